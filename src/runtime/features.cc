#include "runtime/features.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/default_spec.h"
#include "runtime/linux/caps.h"
#include "runtime/linux/mount_options.h"
#include "runtime/linux/seccomp.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Mount options the runtime's parser knows (flags, propagation, recursive
// attributes), sorted and without duplicates, as runc prints them.
std::vector<std::string> mount_options() {
  std::vector<std::string> opts = known_mount_options();
  std::sort(opts.begin(), opts.end());
  opts.erase(std::unique(opts.begin(), opts.end()), opts.end());
  return opts;
}

// The seccomp flags this kernel accepts. The runtime loads filters with
// seccomp(2) itself, so the kernel decides: it validates the flags before it
// reads the (here NULL) program, so EFAULT means "flag known", EINVAL "not".
std::vector<std::string> seccomp_supported_flags(const std::vector<std::string>& known) {
  auto value = [](const std::string& flag) -> unsigned {
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC") return SECCOMP_FILTER_FLAG_TSYNC;
    if (flag == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
    if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (flag == "SECCOMP_FILTER_FLAG_NEW_LISTENER") return SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC_ESRCH") return SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") return 1u << 5;
    return 0;  // a flag we cannot map is not claimed
  };
  std::vector<std::string> out;
  for (const auto& f : known) {
    unsigned v = value(f);
    if (v == 0) continue;
    // The kernel refuses WAIT_KILLABLE_RECV without NEW_LISTENER.
    if (v == (1u << 5)) v |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (sys::seccomp(SECCOMP_SET_MODE_FILTER, v, nullptr) < 0 && errno == EFAULT) out.push_back(f);
  }
  return out;
}

}  // namespace

json features_json() {
  json f;
  f["ociVersionMin"] = "1.0.0";
  f["ociVersionMax"] = kOciVersion;
  f["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  f["mountOptions"] = mount_options();

  json lx;
  lx["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  lx["capabilities"] = all_cap_names();
  lx["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}};
  auto known_flags = seccomp_known_flags();
  json seccomp;
  seccomp["enabled"] = true;
  seccomp["actions"] = sorted(seccomp_known_actions());
  seccomp["operators"] = sorted(seccomp_known_operators());
  seccomp["archs"] = sorted(seccomp_known_archs());
  seccomp["knownFlags"] = known_flags;
  seccomp["supportedFlags"] = seccomp_supported_flags(known_flags);
  lx["seccomp"] = std::move(seccomp);
  lx["apparmor"] = {{"enabled", false}};
  lx["selinux"] = {{"enabled", false}};
  f["linux"] = std::move(lx);

  const scmp_version* v = seccomp_version();
  std::string version = v ? std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                std::to_string(v->micro)
                          : "";
  f["annotations"] = {{"io.github.seccomp.libseccomp.version", version}};
  return f;
}

}  // namespace berth::runtime
