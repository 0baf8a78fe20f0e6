# Build speed of the test binaries (included at the end of the top-level
# CMakeLists.txt, once all targets exist). Measured on the 2-core machine, CPU
# seconds of one translation unit (docs/testing.md has the table):
#
# - The tests' own sources are compiled with -Og instead of -O2: their cost is
#   mostly the optimiser working on GoogleTest's expanded macros (unit/shim/
#   protocol_test.cc: 16.8 s at -O2, 10.1 s at -Og). The product libraries they
#   link keep the build type's -O2, so what is tested is what ships.
# - A precompiled header (GoogleTest, nlohmann/json, fmt, a few std headers),
#   one per build: the owner target berth_test_pch holds it and every GoogleTest
#   target reuses it (REUSE_FROM). With GCC 12, -g and C++23 a .gch is large
#   (~76 MB for the std headers alone, ~120 MB with json) and loading it costs
#   1-2 CPU-s in every source, so only the tests use one, where each source parses
#   gtest and json: 0-11 % less per test source at -O2; the product's many small
#   sources got slower with it (src/runtime/linux/mount_options.cc 1.3 s -> 3.9 s).
#   Beast is in three sources only. ccache caches the .gch and its users (CMake
#   passes it with -include; the launcher sets sloppiness pch_defines,time_macros).
#   A .gch the compiler cannot use (-Winvalid-pch) falls back to the header:
#   slower, never wrong.
# - The test binaries link with mold when it is installed (scripts/setup.sh
#   installs it): ~35 of them, each pulling in the static modules with their
#   debug info. The product binaries keep the default linker.
option(BERTH_PCH "Precompile GoogleTest, json and fmt for the test binaries" ON)
find_program(BERTH_MOLD mold)

# The owner compiles only the precompiled header, with the tests' flags
# (GTEST_HAS_PTHREAD from GTest, no FMT_HEADER_ONLY: see fmt_compiled_once.cmake).
if(BERTH_PCH)
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/pch/anchor.cc
       CONTENT "// Owner of the tests' precompiled header: no code of its own.\n")
  add_library(berth_test_pch OBJECT ${CMAKE_BINARY_DIR}/pch/anchor.cc)
  target_link_libraries(berth_test_pch PRIVATE fmt::fmt-header-only nlohmann_json::nlohmann_json GTest::gtest)
  target_compile_options(berth_test_pch PRIVATE -Og)  # as its users
  target_precompile_headers(berth_test_pch PRIVATE
    <gtest/gtest.h> <nlohmann/json.hpp> <fmt/format.h>
    <filesystem> <map> <optional> <string> <string_view> <vector>)
endif()

# Every target defined in DIR and below.
function(berth_targets_under dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    berth_targets_under(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

berth_targets_under(${CMAKE_SOURCE_DIR} all_targets)
foreach(target ${all_targets})
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE" OR target STREQUAL "berth_test_pch")
    continue()
  endif()
  get_target_property(links ${target} LINK_LIBRARIES)
  if("${links}" MATCHES "GTest::")
    target_compile_options(${target} PRIVATE -Og)  # after the build type's -O2: it wins
    if(BERTH_PCH)
      target_precompile_headers(${target} REUSE_FROM berth_test_pch)
    endif()
    if(BERTH_MOLD)
      target_link_options(${target} PRIVATE -fuse-ld=mold)
    endif()
  endif()
endforeach()
