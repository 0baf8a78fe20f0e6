// Capabilities: names resolved in the runtime, masks applied in the child.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

struct CapSets {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// "CAP_NET_ADMIN" (or "NET_ADMIN") -> its number; error naming it when unknown.
Result<int> cap_from_name(const std::string& name);
std::string cap_name(int cap);                // "CAP_NET_ADMIN"
int last_cap();                                // highest capability this kernel knows
std::vector<std::string> all_cap_names();      // CAP_CHOWN .. last_cap()

// Resolves the five sets. Names the kernel does not know are refused with an
// error naming the capability and the set.
Result<CapSets> resolve_caps(const spec::Capabilities& caps);

// Allocation-free steps for the child, in this order:
//   drop_bounding (before setuid), set_keep_caps(true), setuid/setgid,
//   apply_caps (capset + ambient). Each returns 0 or -1 with errno.
int drop_bounding(const CapSets& caps);
int set_keep_caps(bool keep);
int apply_caps(const CapSets& caps);
// capget / capset of the effective, permitted and inheritable sets only.
int get_caps(CapSets* caps);
int set_caps(const CapSets& caps);

constexpr uint64_t kCapSysAdmin = uint64_t{1} << 21;

}  // namespace berth::runtime
