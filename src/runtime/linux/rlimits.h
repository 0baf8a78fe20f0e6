// Resource limits (process.rlimits).
#pragma once

#include <sys/resource.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

struct ResolvedRlimit {
  int resource = 0;
  struct rlimit limit {};
};

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; error naming the unknown type.
Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<spec::Rlimit>& rlimits);
// Child side: setrlimit each; returns 0, or -1 with errno and *failed set to the index.
int apply_rlimits(const std::vector<ResolvedRlimit>& limits, size_t* failed);
std::string rlimit_name(int resource);
// Same, allocation-free for the child's error path ("RLIMIT_?" when unknown).
const char* rlimit_cname(int resource);

}  // namespace berth::runtime
