// Compiling a profile costs libseccomp ~10 ms (Docker's default profile); the
// program depends only on the profile, libseccomp and the architecture, so it
// is kept in the runtime's state root and reused by later containers.
#pragma once

#include <string>

#include "base/error.h"
#include "runtime/linux/seccomp.h"

namespace berth::runtime {

// canonical_json: the profile as canonical JSON (spec::Linux::seccomp_json).
// A missing or unreadable cache directory only costs the compile.
Result<SeccompProgram> compile_seccomp_cached(const spec::Seccomp& profile, const std::string& canonical_json,
                                              const std::string& cache_dir);

}  // namespace berth::runtime
