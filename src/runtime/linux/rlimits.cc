// process.rlimits: names resolved in the runtime, setrlimit in the child.
#include "runtime/linux/rlimits.h"

#include <cerrno>

namespace berth::runtime {
namespace {

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

}  // namespace

Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<spec::Rlimit>& rlimits) {
  std::vector<ResolvedRlimit> out;
  out.reserve(rlimits.size());
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const auto& rl = rlimits[i];
    std::string field = "process.rlimits[" + std::to_string(i) + "]";
    const RlimitName* found = nullptr;
    for (const auto& e : kRlimits)
      if (rl.type == e.name) found = &e;
    if (!found) return fail(Errc::InvalidArgument, field + ".type: unknown rlimit " + rl.type);
    if (rl.soft > rl.hard)
      return fail(Errc::InvalidArgument, field + ": soft limit of " + rl.type + " exceeds the hard limit");
    for (const auto& prev : out)
      if (prev.resource == found->resource)
        return fail(Errc::InvalidArgument, field + ".type: duplicate rlimit " + rl.type);
    // RLIM_INFINITY is all ones, so the spec's u64 maps straight through.
    out.push_back(ResolvedRlimit{found->resource, {static_cast<rlim_t>(rl.soft), static_cast<rlim_t>(rl.hard)}});
  }
  return out;
}

int apply_rlimits(const std::vector<ResolvedRlimit>& limits, size_t* failed) {
  for (size_t i = 0; i < limits.size(); ++i) {
    // The glibc wrapper takes __rlimit_resource; the int came from the same enum.
    if (::setrlimit(static_cast<__rlimit_resource>(limits[i].resource), &limits[i].limit) < 0) {
      if (failed) *failed = i;
      return -1;
    }
  }
  return 0;
}

const char* rlimit_cname(int resource) {
  for (const auto& e : kRlimits)
    if (e.resource == resource) return e.name;
  return "RLIMIT_?";
}

std::string rlimit_name(int resource) {
  const char* name = rlimit_cname(resource);
  return name[7] != '?' ? name : "RLIMIT_" + std::to_string(resource);
}

}  // namespace berth::runtime
