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
# gRPC, protobuf and abseil are linked statically (Debian ships the archives):
# berthd then maps only the parts it uses, not ~80 shared objects with their
# relocations, which measured 34.3 -> 29.5 MiB RSS for an idle berthd
# (docs/performance.md, "Kubernetes CRI"). The insecure gRPC build is enough
# for a UNIX socket. BERTH_GRPC_STATIC=OFF links the shared libraries.
option(BERTH_GRPC_STATIC "link gRPC, protobuf and abseil statically" ON)
set(berth_grpc_archives grpc++_unsecure grpc_unsecure gpr protobuf upb re2 cares address_sorting)
set(berth_grpc_static_paths)
if(BERTH_GRPC_STATIC)
  foreach(name IN LISTS berth_grpc_archives)
    find_library(BERTH_GRPC_A_${name} NAMES lib${name}.a)
    if(NOT BERTH_GRPC_A_${name})
      message(FATAL_ERROR "lib${name}.a not found: install libgrpc++-dev and libprotobuf-dev, or configure with -DBERTH_GRPC_STATIC=OFF")
    endif()
    list(APPEND berth_grpc_static_paths ${BERTH_GRPC_A_${name}})
  endforeach()
  get_filename_component(berth_grpc_dir ${BERTH_GRPC_A_grpc_unsecure} DIRECTORY)
  file(GLOB berth_absl_archives ${berth_grpc_dir}/libabsl_*.a)
  if(NOT berth_absl_archives)
    message(FATAL_ERROR "libabsl_*.a not found: install libabsl-dev, or configure with -DBERTH_GRPC_STATIC=OFF")
  endif()
  # The archives refer to each other in both directions: one group, rescanned.
  target_link_libraries(berth_cri_proto PUBLIC
      "$<LINK_GROUP:RESCAN,${berth_grpc_static_paths};${berth_absl_archives}>" ZLIB::ZLIB Threads::Threads)
  target_include_directories(berth_cri_proto SYSTEM PUBLIC ${GRPCPP_INCLUDE_DIRS} ${Protobuf_INCLUDE_DIRS})
else()
  target_link_libraries(berth_cri_proto PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
endif()
