#include "support/paths.h"

#include <cstdlib>
#include <stdexcept>

namespace berth::testing {
namespace {

// kRuntime, kShim, kInit (empty when the target is not built) and kFixturesDir.
#include "build_paths.inc"

std::string from_env_or_build(const char* var, const char* built, const char* target) {
  if (const char* p = std::getenv(var); p && *p) return p;
  if (*built) return built;
  throw std::runtime_error(std::string(target) + " is not part of this build (set " + var + ")");
}

}  // namespace

std::string runtime_path() { return from_env_or_build("BERTH_RUNTIME", kRuntime, "berth-runtime"); }
std::string berth_shim_path() { return from_env_or_build("BERTH_SHIM", kShim, "berth-shim"); }
std::string berth_init_path() { return from_env_or_build("BERTH_INIT", kInit, "berth-init"); }
std::string fixture_path(const std::string& name) { return std::string(kFixturesDir) + "/" + name; }

}  // namespace berth::testing
