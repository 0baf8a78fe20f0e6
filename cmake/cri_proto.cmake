# The CRI's protocol (proto/runtime/v1/api.proto, issue 13): C++ messages and
# gRPC stubs generated into the build tree by Debian's protoc and
# grpc_cpp_plugin, compiled once into berth_cri_proto. Its include root is
# ${CMAKE_BINARY_DIR}/proto, so code includes "runtime/v1/api.pb.h".
find_package(Protobuf REQUIRED)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(BERTH_PROTO_DIR ${CMAKE_CURRENT_SOURCE_DIR}/proto)
set(BERTH_PROTO_OUT ${CMAKE_BINARY_DIR}/proto)
set(cri_proto ${BERTH_PROTO_DIR}/runtime/v1/api.proto)
set(cri_gen
    ${BERTH_PROTO_OUT}/runtime/v1/api.pb.cc ${BERTH_PROTO_OUT}/runtime/v1/api.pb.h
    ${BERTH_PROTO_OUT}/runtime/v1/api.grpc.pb.cc ${BERTH_PROTO_OUT}/runtime/v1/api.grpc.pb.h)
add_custom_command(
  OUTPUT ${cri_gen}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BERTH_PROTO_OUT}
  COMMAND protobuf::protoc -I ${BERTH_PROTO_DIR}
          --cpp_out=${BERTH_PROTO_OUT} --grpc_out=${BERTH_PROTO_OUT}
          --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
          ${cri_proto}
  DEPENDS ${cri_proto} ${GRPC_CPP_PLUGIN}
  COMMENT "protoc: runtime/v1/api.proto (CRI)"
  VERBATIM)
add_library(berth_cri_proto STATIC ${BERTH_LIB_ALL} ${cri_gen})
# Generated code: its warnings are not ours to fix.
target_compile_options(berth_cri_proto PRIVATE -w)
target_include_directories(berth_cri_proto SYSTEM PUBLIC ${BERTH_PROTO_OUT})
target_link_libraries(berth_cri_proto PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
