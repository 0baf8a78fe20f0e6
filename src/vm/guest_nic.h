// The guest's NIC on berth's network without changing how the engine
// attaches a container: the engine made the container's network namespace
// with its veth `eth0` on berth's bridge, holding the IPAM address (ports'
// DNAT and the embedded DNS point at it). Inside that namespace this moves
// the address to the guest: a tap device and the veth become the two ports
// of a bridge, the veth gives up its address and its MAC (the guest takes
// the MAC Docker reported), and the guest gets the address and default route
// through the agent's `network` request. QEMU gets the tap's fd.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vm {

struct GuestNic {
  UniqueFd tap;                        // for QEMU's -netdev tap,fd=
  std::string mac;                     // the guest NIC's MAC (the veth's before)
  std::vector<std::string> addresses;  // CIDR, the veth's before
  std::string gateway;                 // the default route's gateway ("" = none)
  unsigned mtu = 0;
};

// In the network namespace at netns_path; NotFound when it has no `ifname`
// (a container on --network none: no NIC). Nothing is undone on failure:
// the namespace is the container's and goes with it.
Result<GuestNic> move_nic_to_guest(const std::string& netns_path, const std::string& ifname = "eth0");

// A pooled VM (pool_keeper.h) boots with a tap0 of its own in a network
// namespace of its own (nothing on the host's). At claim, tap0 moves into
// the container's namespace (netns_path) and is bridged with the veth as
// above; GuestNic.tap stays empty (QEMU holds it) and GuestNic.mac is the
// container's MAC, which the guest NIC takes through the agent (set_mac).
// NotFound when the container has no `ifname` (--network none).
Result<UniqueFd> make_pool_tap();
Result<GuestNic> move_pool_tap_to_guest(int tap_netns_fd, const std::string& netns_path, const std::string& ifname = "eth0");

// A VM pod's keeper, once its QEMU is gone: br0 goes and the veth gets its
// addresses back, so the CNI plugins' DEL finds the namespace as their ADD
// left it (the bridge plugin tears down masquerading by those addresses).
Result<void> give_nic_back(const std::string& netns_path, const std::vector<std::string>& addresses,
                           const std::string& ifname = "eth0");

// The MAC the veth takes so the guest's is not a local address of the
// bridge: the same with the next locally administered variant.
std::string veth_mac_for(const std::string& guest_mac);

}  // namespace berth::vm
