// IPAM math: parsing, validation with Docker's messages, round-robin
// allocation, ranges, exhaustion, requested addresses and subnet choice.
#include <gtest/gtest.h>

#include <chrono>

#include "net/ipam.h"

using namespace berth;
using namespace berth::net;

namespace {

uint32_t ip(const char* s) {
  auto r = parse_ipv4(s);
  EXPECT_TRUE(r) << s;
  return r ? *r : 0;
}

Ipv4Net cidr(const char* s) {
  auto r = parse_cidr(s);
  EXPECT_TRUE(r) << s;
  return r ? *r : Ipv4Net{};
}

Pool pool(std::string subnet, std::string range = {}, std::string gateway = {}) {
  auto p = make_pool(PoolSpec{std::move(subnet), std::move(range), std::move(gateway)});
  EXPECT_TRUE(p) << p.error().str();
  return p ? *p : Pool{};
}

}  // namespace

TEST(Ipam, ParseAndFormat) {
  EXPECT_EQ(ip("10.201.0.1"), 0x0AC90001u);
  EXPECT_EQ(format_ipv4(0x0AC90001u), "10.201.0.1");
  EXPECT_EQ(format_ipv4(0), "0.0.0.0");
  EXPECT_EQ(format_ipv4(0xffffffffu), "255.255.255.255");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "01.2.3.4", "1..2.3", "a.b.c.d",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/8"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;

  auto n = cidr("172.30.0.1/16");
  EXPECT_EQ(n.addr, ip("172.30.0.1"));
  EXPECT_EQ(n.prefix, 16);
  EXPECT_EQ(n.network(), ip("172.30.0.0"));
  EXPECT_EQ(n.broadcast(), ip("172.30.255.255"));
  EXPECT_EQ(format_cidr(n), "172.30.0.1/16");
  EXPECT_EQ(format_cidr(n.as_network()), "172.30.0.0/16");
  EXPECT_EQ(cidr("0.0.0.0/0").mask(), 0u);
  EXPECT_EQ(cidr("1.2.3.4/32").mask(), 0xffffffffu);
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0/8",
                          "10.0.0.0/8x"}) {
    auto r = parse_cidr(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, std::string("invalid CIDR address: ") + bad);
  }
}

TEST(Ipam, Overlaps) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
  EXPECT_TRUE(cidr("10.0.0.0/8").contains(cidr("10.1.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/16").contains(cidr("10.0.0.0/8")));
}

TEST(Ipam, HostsAndGatewayAndMac) {
  EXPECT_EQ(first_host(cidr("10.201.0.0/24")), ip("10.201.0.1"));
  EXPECT_EQ(last_host(cidr("10.201.0.0/24")), ip("10.201.0.254"));
  EXPECT_EQ(first_host(cidr("10.201.0.0/31")), ip("10.201.0.0"));
  EXPECT_EQ(last_host(cidr("10.201.0.0/31")), ip("10.201.0.1"));
  EXPECT_EQ(default_gateway(cidr("172.17.0.0/16")), ip("172.17.0.1"));
  EXPECT_EQ(docker_mac(ip("172.17.0.2")), "02:42:ac:11:00:02");
}

TEST(Ipam, PoolValidation) {
  auto p = pool("10.201.0.0/16", "10.201.5.0/24", "10.201.0.254");
  EXPECT_EQ(p.subnet, cidr("10.201.0.0/16"));
  EXPECT_EQ(p.range, cidr("10.201.5.0/24"));
  EXPECT_EQ(p.gateway, ip("10.201.0.254"));
  EXPECT_TRUE(p.has_range);

  auto d = pool("10.201.0.0/24");
  EXPECT_EQ(d.gateway, ip("10.201.0.1"));
  EXPECT_EQ(d.range, d.subnet);
  EXPECT_FALSE(d.has_range);

  struct Case {
    PoolSpec spec;
    std::string message;
  } cases[] = {
      {{"10.201.0.1/24", "", ""}, "invalid subnet 10.201.0.1/24: it should be 10.201.0.0/24"},
      {{"10.201.0.0/33", "", ""}, "invalid CIDR address: 10.201.0.0/33"},
      {{"nonsense", "", ""}, "invalid CIDR address: nonsense"},
      {{"10.201.0.0/24", "", "10.201.1.1"}, "no matching subnet for gateway 10.201.1.1"},
      {{"10.201.0.0/24", "", "10.201.0"}, "invalid gateway address: 10.201.0"},
      {{"10.201.0.0/24", "10.201.0.0/16", ""}, "no matching subnet for ip-range 10.201.0.0/16"},
      {{"10.201.0.0/24", "10.201.1.0/28", ""}, "no matching subnet for ip-range 10.201.1.0/28"},
      {{"10.201.0.0/24", "10.201.0.1/28", ""}, "invalid ip-range 10.201.0.1/28: it should be 10.201.0.0/28"},
  };
  for (const auto& c : cases) {
    auto r = make_pool(c.spec);
    ASSERT_FALSE(r) << c.spec.subnet << " " << c.spec.ip_range << " " << c.spec.gateway;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(Ipam, RoundRobinDoesNotReuseAtOnce) {
  auto p = pool("10.201.0.0/24");
  std::set<uint32_t> taken;
  std::optional<uint32_t> last;
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto a = next_address(p, taken, last);
    ASSERT_TRUE(a) << a.error().str();
    got.push_back(format_ipv4(*a));
    taken.insert(*a);
    last = *a;
  }
  // The gateway (.1) is skipped.
  EXPECT_EQ(got, (std::vector<std::string>{"10.201.0.2", "10.201.0.3", "10.201.0.4"}));
  // .2 is freed: the next one is .5, not .2.
  taken.erase(ip("10.201.0.2"));
  EXPECT_EQ(format_ipv4(*next_address(p, taken, last)), "10.201.0.5");
  // Without a last one (fresh start), the lowest free one.
  EXPECT_EQ(format_ipv4(*next_address(p, taken)), "10.201.0.2");
}

TEST(Ipam, WrapsAroundAndSkipsTaken) {
  auto p = pool("10.201.0.0/29");  // hosts .1-.6, gateway .1
  std::set<uint32_t> taken = {ip("10.201.0.3"), ip("10.201.0.6")};
  // After .5: .6 taken, wrap: .1 gateway, .2 free.
  EXPECT_EQ(format_ipv4(*next_address(p, taken, ip("10.201.0.5"))), "10.201.0.2");
  // After the last host: wrap.
  EXPECT_EQ(format_ipv4(*next_address(p, {}, ip("10.201.0.6"))), "10.201.0.2");
  // A `last` outside the range (an older --ip) starts from the bottom.
  EXPECT_EQ(format_ipv4(*next_address(p, {}, ip("192.168.0.1"))), "10.201.0.2");
}

TEST(Ipam, Exhaustion) {
  auto p = pool("10.201.0.0/29");
  std::set<uint32_t> taken;
  std::optional<uint32_t> last;
  for (int i = 0; i < 5; ++i) {  // .2 - .6
    auto a = next_address(p, taken, last);
    ASSERT_TRUE(a) << i;
    taken.insert(*a);
    last = *a;
  }
  auto full = next_address(p, taken, last);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::Unavailable);
  EXPECT_EQ(full.error().message, "no available IPv4 addresses on this network's address pools");
  // One freed: handed out again.
  taken.erase(ip("10.201.0.4"));
  EXPECT_EQ(format_ipv4(*next_address(p, taken, last)), "10.201.0.4");
}

TEST(Ipam, IpRange) {
  auto p = pool("10.201.0.0/24", "10.201.0.128/30");  // .128-.131
  std::set<uint32_t> taken;
  std::optional<uint32_t> last;
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    auto a = next_address(p, taken, last);
    ASSERT_TRUE(a) << i;
    got.push_back(format_ipv4(*a));
    taken.insert(*a);
    last = *a;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"10.201.0.128", "10.201.0.129", "10.201.0.130", "10.201.0.131"}));
  EXPECT_FALSE(next_address(p, taken, last));
  // A range at the top of the subnet leaves out the broadcast address.
  auto top = pool("10.201.0.0/24", "10.201.0.252/30");
  std::set<uint32_t> t2;
  EXPECT_EQ(format_ipv4(*next_address(top, t2)), "10.201.0.252");
  t2 = {ip("10.201.0.252"), ip("10.201.0.253"), ip("10.201.0.254")};
  EXPECT_FALSE(next_address(top, t2));
}

TEST(Ipam, RequestedAddress) {
  auto p = pool("10.201.0.0/24", "10.201.0.128/25");
  std::set<uint32_t> taken = {ip("10.201.0.5")};
  // Outside the ip-range but in the subnet: allowed, as Docker.
  EXPECT_TRUE(check_requested(p, ip("10.201.0.9"), taken));
  EXPECT_TRUE(check_requested(p, ip("10.201.0.200"), taken));
  for (const char* in_use : {"10.201.0.5", "10.201.0.1", "10.201.0.0", "10.201.0.255"}) {
    auto r = check_requested(p, ip(in_use), taken);
    ASSERT_FALSE(r) << in_use;
    EXPECT_EQ(r.error().code, Errc::Conflict);
    EXPECT_EQ(r.error().message, "Address already in use");
  }
  auto out = check_requested(p, ip("10.202.0.9"), taken);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::InvalidArgument);
  EXPECT_EQ(out.error().message, "Invalid address 10.202.0.9: It does not belong to any of this network's subnets");
}

TEST(Ipam, DefaultPools) {
  auto pools = default_pools();
  ASSERT_EQ(pools.size(), 15u + 16u);
  EXPECT_EQ(format_cidr(pools.front()), "172.17.0.0/16");
  EXPECT_EQ(format_cidr(pools[14]), "172.31.0.0/16");
  EXPECT_EQ(format_cidr(pools[15]), "192.168.0.0/20");
  EXPECT_EQ(format_cidr(pools.back()), "192.168.240.0/20");
}

TEST(Ipam, ChooseSubnet) {
  std::vector<Ipv4Net> in_use;
  EXPECT_EQ(format_cidr(*choose_subnet(in_use)), "172.17.0.0/16");
  // The default route says nothing; a host route in 172.18/16 and a network
  // on 172.17/16 are skipped.
  in_use = {cidr("0.0.0.0/0"), cidr("172.17.0.0/16"), cidr("172.18.5.0/24")};
  EXPECT_EQ(format_cidr(*choose_subnet(in_use)), "172.19.0.0/16");
  // A wide route (172.16/12) covers all the 172 pools: 192.168 blocks follow.
  in_use = {cidr("172.16.0.0/12"), cidr("192.168.0.0/24")};
  EXPECT_EQ(format_cidr(*choose_subnet(in_use)), "192.168.16.0/20");
  // Nothing free.
  in_use = {cidr("172.16.0.0/12"), cidr("192.168.0.0/16")};
  auto none = choose_subnet(in_use);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::Unavailable);
  EXPECT_EQ(none.error().message,
            "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the "
            "network");
  // A chosen subnet makes a pool with Docker's gateway.
  auto chosen = *choose_subnet(std::vector<Ipv4Net>{});
  auto p = make_pool(chosen, PoolSpec{});
  ASSERT_TRUE(p);
  EXPECT_EQ(format_ipv4(p->gateway), "172.17.0.1");
}

TEST(Ipam, CheckOverlap) {
  std::vector<Ipv4Net> existing = {cidr("10.201.0.0/24"), cidr("10.201.2.0/24")};
  EXPECT_TRUE(check_overlap(cidr("10.201.1.0/24"), existing));
  auto r = check_overlap(cidr("10.201.0.0/16"), existing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_EQ(r.error().message, "Pool overlaps with other one on this address space");
}

TEST(Ipam, LargeNearlyFullNetworkIsFast) {
  // A /16 with every address but the last taken: the walk passes over the
  // taken set once, it does not probe 65k addresses one by one with lookups.
  auto p = pool("10.201.0.0/16");
  std::set<uint32_t> taken;
  for (uint32_t a = first_host(p.subnet); a < last_host(p.subnet); ++a) taken.insert(a);
  auto t0 = std::chrono::steady_clock::now();
  auto a = next_address(p, taken, ip("10.201.0.2"));
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(a);
  EXPECT_EQ(format_ipv4(*a), "10.201.255.254");
  EXPECT_LT(ms, 50.0);
}

// A daemon on a fresh data root takes over the bridge's address (the defect:
// it used to add the next free /16 to the same bridge at every such start).
TEST(Ipam, DefaultBridgeAddressAdoptsTheBridgesAddress) {
  // The bridge's own route makes its subnet look used: adoption must not care.
  std::vector<Ipv4Net> in_use = {cidr("0.0.0.0/0"), cidr("172.17.0.0/16"), cidr("192.0.2.0/24")};
  std::vector<Ipv4Net> bridge = {cidr("172.17.0.1/16")};
  auto a = default_bridge_address(bridge, "", in_use);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(format_cidr(*a), "172.17.0.1/16");
  // The gateway is the address itself, wherever it lies in the subnet.
  bridge = {cidr("10.99.3.7/24")};
  EXPECT_EQ(format_cidr(*default_bridge_address(bridge, "", in_use)), "10.99.3.7/24");
  // Several addresses (left stacked by an older berth): the first, as dockerd.
  bridge = {cidr("172.17.0.1/16"), cidr("172.18.0.1/16"), cidr("172.19.0.1/16")};
  EXPECT_EQ(format_cidr(*default_bridge_address(bridge, "", in_use)), "172.17.0.1/16");
  // An address with no host bits: the subnet's first host is the gateway.
  bridge = {cidr("10.99.3.0/24")};
  EXPECT_EQ(format_cidr(*default_bridge_address(bridge, "", in_use)), "10.99.3.1/24");
}

TEST(Ipam, DefaultBridgeAddressBipWins) {
  std::vector<Ipv4Net> in_use = {cidr("172.17.0.0/16")};
  std::vector<Ipv4Net> bridge = {cidr("172.17.0.1/16")};
  // --bip given and different from the bridge's address: --bip, as dockerd
  // (whose bridge driver then replaces the bridge's address).
  EXPECT_EQ(format_cidr(*default_bridge_address(bridge, "10.98.0.1/24", in_use)), "10.98.0.1/24");
  EXPECT_EQ(format_cidr(*default_bridge_address({}, "10.98.0.0/24", in_use)), "10.98.0.1/24");
  auto bad = default_bridge_address(bridge, "10.98.0.1", in_use);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

TEST(Ipam, DefaultBridgeAddressAvoidsHostRoutesAndAddresses) {
  // No bridge (or no address on it): the first default pool that overlaps no
  // route and no interface of the host.
  std::vector<Ipv4Net> in_use = {cidr("0.0.0.0/0"), cidr("172.17.0.0/16"), cidr("172.18.4.0/22"),
                                 cidr("172.19.0.0/16")};
  EXPECT_EQ(format_cidr(*default_bridge_address({}, "", in_use)), "172.20.0.1/16");
  // A route wider than a pool covers it; one inside 192.168/16 pushes the /20s on.
  in_use = {cidr("172.16.0.0/12"), cidr("192.168.0.0/19")};
  EXPECT_EQ(format_cidr(*default_bridge_address({}, "", in_use)), "192.168.32.1/20");
  in_use = {cidr("172.16.0.0/12"), cidr("192.168.0.0/16")};
  auto none = default_bridge_address({}, "", in_use);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::Unavailable);
}

TEST(Ipam, SurplusBridgeAddresses) {
  Ipv4Net gw = cidr("172.17.0.1/16");
  EXPECT_TRUE(surplus_bridge_addresses(std::vector<Ipv4Net>{}, gw).empty());
  EXPECT_TRUE(surplus_bridge_addresses(std::vector<Ipv4Net>{gw}, gw).empty());
  // Stacked subnets and the same address with another prefix all go.
  std::vector<Ipv4Net> current = {cidr("172.18.0.1/16"), gw, cidr("172.17.0.1/24"), cidr("172.19.0.1/16")};
  auto surplus = surplus_bridge_addresses(current, gw);
  std::vector<std::string> got;
  for (const auto& a : surplus) got.push_back(format_cidr(a));
  EXPECT_EQ(got, (std::vector<std::string>{"172.18.0.1/16", "172.17.0.1/24", "172.19.0.1/16"}));
}
