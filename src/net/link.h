// Links, addresses and routes through rtnetlink (libnl-route-3): Linux
// bridges for networks, veth pairs from a bridge into a container's network
// namespace, and the few /proc/sys knobs networking needs. No `ip` or
// `sysctl` processes.
//
// Every call opens its own netlink socket, so any thread may call any of
// these at any time. Work inside a container's namespace runs on a
// short-lived thread that setns()es into the namespace file; the calling
// thread's namespace never changes. Calls act on the caller's own network
// namespace otherwise (berthd's: the host's).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/ipam.h"

namespace berth::net {

// Creates the bridge `name` when missing (an existing link of that name is
// adopted if it is a bridge; Conflict otherwise), sets its MTU (mtu > 0),
// makes `gateway_cidr` ("172.30.0.1/16"; may be empty: addresses untouched)
// its only IPv4 address (others are deleted, see surplus_bridge_addresses;
// never a second one stacked), and brings it up. Idempotent. A new bridge gets
// a fixed random MAC, so the gateway's MAC does not change as ports come and go.
Result<void> ensure_bridge(const std::string& name, const std::string& gateway_cidr, int mtu);

// Deletes the bridge (its ports are released; veths stay). Missing is fine;
// InvalidArgument when `name` is not a bridge.
Result<void> remove_bridge(const std::string& name);

struct AttachSpec {
  std::string netns_path;       // bind-mounted namespace file, e.g. <exec-root>/containers/<id>/netns
  std::string bridge;           // host bridge to plug into
  std::string ifname = "eth0";  // name inside the namespace
  std::string address;          // CIDR, e.g. "172.30.0.2/16"
  std::string gateway;          // default route via this address when non-empty
  int mtu = 0;                  // 0: the kernel's default (1500)
  std::string mac;              // "aa:bb:cc:dd:ee:ff"; empty: Docker's 02:42:<address bytes>
};

// Creates a veth pair: the host end `veth<7 hex>` in the bridge and up, the
// peer created directly in the namespace as spec.ifname with the MAC, MTU and
// address, up, and the default route via spec.gateway. Returns the host end's
// name. On failure nothing is left behind (the pair is deleted).
// Errors: NotFound (namespace file or bridge missing), InvalidArgument (not a
// network namespace, bad address/MAC), Conflict (ifname taken in the
// namespace), else the kernel's reason.
Result<std::string> attach(const AttachSpec& spec);

// Deletes a veth pair by its host end (the peer goes with it). Missing is fine.
Result<void> detach(const std::string& host_veth);

// Deletes `ifname` inside the namespace (its veth pair goes with it), for
// `network disconnect` of a running container. A missing namespace file or
// interface is fine.
Result<void> detach_in_netns(const std::string& netns_path, const std::string& ifname);

// Whether a link of that name exists in the caller's namespace.
Result<bool> link_exists(const std::string& name);

// The IPv4 destinations of the main routing table (default routes left
// out), for choose_subnet(): a new network must not shadow a host route.
Result<std::vector<Ipv4Net>> host_routes();

// The IPv4 addresses on link `name` (address/prefix, host bits kept) in the
// kernel's order; empty when it has none or does not exist.
Result<std::vector<Ipv4Net>> link_ipv4_addresses(const std::string& name);

// What a new network's subnet must not overlap on this host: host_routes()
// plus the subnet of every IPv4 address on every link (a link that is down
// keeps its addresses but has no routes).
Result<std::vector<Ipv4Net>> host_networks();

// Writes `value` to /proc/sys/<path>, path with slashes, e.g.
// "net/ipv4/ip_forward" or "net/ipv4/conf/br-x/route_localnet".
Result<void> set_sysctl(const std::string& path, std::string_view value);

}  // namespace berth::net
