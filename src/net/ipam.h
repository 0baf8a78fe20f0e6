// IPv4 address management for bridge networks: pure functions (no I/O), so
// the engine feeds them what the metadata store and the kernel say and keeps
// the results in the store. Addresses are host-order uint32_t.
//
// Behaviour follows Docker's default IPAM (libnetwork ipams/defaultipam):
// - the gateway is the subnet's first host unless given;
// - addresses are handed out round-robin: the next free one after the last
//   handed out, wrapping, so a just-freed address is not reused at once;
// - a requested address (--ip) may lie anywhere in the subnet (also outside
//   an --ip-range), but not on the gateway, network or broadcast address;
// - new networks take the first free block of the default pools
//   (172.17-31.0.0/16, then 192.168.0.0/16 in /20s) that overlaps neither an
//   existing network nor a host route.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::net {

// An IPv4 prefix; `addr` may have host bits set (an interface address such as
// 172.30.0.1/16), network() clears them.
struct Ipv4Net {
  uint32_t addr = 0;
  int prefix = 0;  // 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t network() const { return addr & mask(); }
  uint32_t broadcast() const { return network() | ~mask(); }
  bool contains(uint32_t a) const { return (a & mask()) == network(); }
  // Every address of `other` is in this one.
  bool contains(const Ipv4Net& other) const { return other.prefix >= prefix && contains(other.addr); }
  bool overlaps(const Ipv4Net& other) const { return contains(other.network()) || other.contains(network()); }
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  Ipv4Net as_network() const { return {network(), prefix}; }
  bool operator==(const Ipv4Net&) const = default;
};

// "10.1.2.3" (exactly four decimal octets, no leading zeros beyond "0").
Result<uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(uint32_t addr);
// "10.1.0.0/16"; a bare address is not a CIDR. Host bits are kept.
Result<Ipv4Net> parse_cidr(std::string_view text);
// "10.1.0.0/16" (addr as stored, host bits included).
std::string format_cidr(const Ipv4Net& net);

// The first and last addresses containers may get: the subnet without its
// network and broadcast addresses (/31 and /32: every address).
uint32_t first_host(const Ipv4Net& subnet);
uint32_t last_host(const Ipv4Net& subnet);
// Docker's default gateway: the subnet's first host.
uint32_t default_gateway(const Ipv4Net& subnet);

// Docker's MAC for an address: 02:42 followed by the four address bytes.
std::string docker_mac(uint32_t addr);

// What the user gave for one IPAM config (`--subnet`, `--ip-range`,
// `--gateway`), each possibly empty.
struct PoolSpec {
  std::string subnet;
  std::string ip_range;
  std::string gateway;
};

// A validated pool: range is where dynamic addresses come from (the whole
// subnet when no --ip-range was given).
struct Pool {
  Ipv4Net subnet;
  Ipv4Net range;
  uint32_t gateway = 0;
  bool has_range = false;  // an explicit --ip-range
};

// Validates a spec whose subnet is given (InvalidArgument, Docker's texts):
//   invalid CIDR address: X
//   invalid subnet X: it should be Y          (host bits set)
//   no matching subnet for gateway X
//   no matching subnet for ip-range X
// The gateway defaults to the subnet's first host.
Result<Pool> make_pool(const PoolSpec& spec);
// The same for a subnet chosen by choose_subnet(), with an optional gateway
// and ip-range from the user.
Result<Pool> make_pool(const Ipv4Net& subnet, const PoolSpec& spec);

// Docker's default address pools in order: 172.17.0.0/16 .. 172.31.0.0/16,
// then 192.168.0.0/20 .. 192.168.240.0/20.
std::vector<Ipv4Net> default_pools();

// The first default pool block overlapping none of `in_use` (the subnets of
// existing networks and the destinations of host routes; default routes
// (prefix 0) are ignored). Unavailable when none is free:
//   could not find an available, non-overlapping IPv4 address pool among the
//   defaults to assign to the network
Result<Ipv4Net> choose_subnet(std::span<const Ipv4Net> in_use);
Result<Ipv4Net> choose_subnet(std::span<const Ipv4Net> candidates, std::span<const Ipv4Net> in_use);

// The default network's gateway address (address and prefix) for a data root
// that has no record of it yet, settled as dockerd settles docker0's:
// - `bip` (--bip) when given;
// - else the first IPv4 address the bridge already carries (`bridge_addresses`,
//   empty when it has none or does not exist), so a daemon started on a fresh
//   data root takes over its bridge as it is instead of adding a subnet;
// - else the first free default pool (choose_subnet over `in_use`).
// The gateway is the given address unless that is the subnet's own (host bits
// zero): then the subnet's first host. InvalidArgument for a bad `bip`;
// Unavailable as choose_subnet.
Result<Ipv4Net> default_bridge_address(std::span<const Ipv4Net> bridge_addresses, std::string_view bip,
                                       std::span<const Ipv4Net> in_use);

// The IPv4 addresses to delete from a bridge so that it carries `wanted`
// (gateway/prefix) and nothing else: every address but `wanted` itself. A
// daemon holds its bridges exclusively (host_claim.h), so any other address is
// stale (an older gateway, or a subnet stacked by an older berth) and would only
// make the host route a subnet no container is on. dockerd replaces the one
// address it selects; berth goes as far as "exactly one".
std::vector<Ipv4Net> surplus_bridge_addresses(std::span<const Ipv4Net> current, const Ipv4Net& wanted);

// Conflict "Pool overlaps with other one on this address space" when a
// user-given subnet overlaps one of `existing` (other networks' subnets).
Result<void> check_overlap(const Ipv4Net& subnet, std::span<const Ipv4Net> existing);

// The next address for a container: the first free one in the pool's range
// after `last` (the previous address handed out on this network, if any),
// wrapping around once. `taken` holds the addresses in use; the gateway is
// never handed out. Unavailable when the range is full:
//   no available IPv4 addresses on this network's address pools
Result<uint32_t> next_address(const Pool& pool, const std::set<uint32_t>& taken,
                              std::optional<uint32_t> last = std::nullopt);

// Checks a requested address (--ip):
//   InvalidArgument "Invalid address X: It does not belong to any of this
//   network's subnets" (outside the subnet),
//   Conflict "Address already in use" (taken, the gateway, or the subnet's
//   network/broadcast address).
Result<void> check_requested(const Pool& pool, uint32_t addr, const std::set<uint32_t>& taken);

}  // namespace berth::net
