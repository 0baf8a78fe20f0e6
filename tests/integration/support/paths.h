// Where the integration tests find the programs and fixtures they drive.
// The defaults are the build's own (CMake generates them into build_paths.inc),
// so a test binary needs no environment, whether CTest or a person runs it;
// each variable still overrides its default, e.g. to test installed binaries.
#pragma once

#include <string>

namespace berth::testing {

std::string runtime_path();     // $BERTH_RUNTIME, else the build's berth-runtime
std::string berth_shim_path();  // $BERTH_SHIM, else the build's berth-shim
std::string berth_init_path();  // $BERTH_INIT, else the build's berth-init
// tests/fixtures/NAME in this source tree (e.g. "make-rootfs.sh").
std::string fixture_path(const std::string& name);

}  // namespace berth::testing
