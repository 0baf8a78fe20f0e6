// Seccomp: the spec's profile is compiled once, in the runtime (libseccomp),
// into a BPF program; the container's child only loads it with one syscall.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  unsigned flags = 0;           // SECCOMP_FILTER_FLAG_*
  bool wants_listener = false;  // SCMP_ACT_NOTIFY used: load returns a listener fd

  bool empty() const { return filter.empty(); }
};

// Compiles linux.seccomp. Unknown syscall names on this architecture are
// skipped (as runc does); unknown actions, operators, architectures or flags
// are errors naming the field.
Result<SeccompProgram> compile_seccomp(const spec::Seccomp& profile);

// Loads a compiled program in the calling thread. Allocation-free (safe in the
// cloned child). Returns 0, a listener fd (>0) when wants_listener, or -1 with errno.
int load_seccomp(const SeccompProgram& program);

// Serialised form kept in the container state so `exec` need not recompile.
std::string seccomp_to_bytes(const SeccompProgram& program);
Result<SeccompProgram> seccomp_from_bytes(const std::string& bytes);

// For `features`: action, operator and architecture names this build knows.
std::vector<std::string> seccomp_known_actions();
std::vector<std::string> seccomp_known_operators();
std::vector<std::string> seccomp_known_archs();
std::vector<std::string> seccomp_known_flags();

}  // namespace berth::runtime
