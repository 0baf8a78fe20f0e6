#include "specgen/caps.h"

#include "spec/capability_names.h"

#include <algorithm>

namespace berth::specgen::detail {
namespace {

const auto kCapNames = spec::capability_names();
const int kCapCount = static_cast<int>(kCapNames.size());

int cap_number(const std::string& name) {
  for (int i = 0; i < kCapCount; ++i)
    if (name == kCapNames[i]) return i;
  return -1;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",     "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return caps;
}

std::vector<std::string> capabilities_in(uint64_t mask) {
  std::vector<std::string> out;
  for (int i = 0; i < kCapCount; ++i)
    if (mask & (uint64_t{1} << i)) out.push_back(kCapNames[i]);
  return out;
}

Result<std::string> normalize_capability(const std::string& name) {
  std::string up;
  for (char c : name) up += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  if (up == "ALL") return up;
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  if (cap_number(up) < 0) return fail(Errc::InvalidArgument, "unknown capability: \"" + up + "\"");
  return up;
}

Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& add_in,
                                                        const std::vector<std::string>& drop_in,
                                                        bool privileged, uint64_t host_mask) {
  std::vector<std::string> add, drop;
  for (const auto& c : add_in) add.push_back(TRY(normalize_capability(c)));
  for (const auto& c : drop_in) drop.push_back(TRY(normalize_capability(c)));
  const std::vector<std::string> available = capabilities_in(host_mask);

  std::vector<std::string> caps;
  auto push = [&](const std::string& c) {
    if (c != "ALL" && !contains(caps, c)) caps.push_back(c);
  };
  if (privileged || contains(add, "ALL")) {
    for (const auto& c : available)
      if (privileged || !contains(drop, c)) push(c);
  } else if (contains(drop, "ALL")) {
    for (const auto& c : add) push(c);
  } else {
    for (const auto& c : default_capabilities())
      if (!contains(drop, c)) push(c);
    for (const auto& c : add) push(c);
  }
  for (const auto& c : caps)
    if (!contains(available, c))
      return fail(Errc::InvalidArgument,
                  "capability " + c + " cannot be granted: this host's bounding set lacks it");
  return caps;
}

}  // namespace berth::specgen::detail
