// The guest's network as the host says (vmproto NetworkConfig): each NIC,
// found by its MAC, gets its MTU, addresses and link up; then the routes.
// Raw rtnetlink (the agent is static and small: no libnl); loopback comes up too.
#pragma once

#include <string>

#include "base/error.h"
#include "vmproto/messages.h"

namespace berth::vmagent {

Result<void> configure_network(const vmproto::NetworkConfig& config);

// "10.0.0.2/24" -> family, 4 or 16 address bytes, prefix length (for tests).
struct Cidr {
  int family = 0;
  unsigned char addr[16] = {};
  int prefix = 0;
};
Result<Cidr> parse_cidr(const std::string& text, bool need_prefix);

}  // namespace berth::vmagent
