#include "net/ipam.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace berth::net {
namespace {

constexpr std::string_view kNoPool =
    "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network";

bool parse_octet(std::string_view s, uint32_t& out) {
  if (s.empty() || s.size() > 3) return false;
  if (s.size() > 1 && s[0] == '0') return false;  // "010": Go's netip refuses leading zeros too
  for (char c : s)
    if (c < '0' || c > '9') return false;
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > 255) return false;
  out = v;
  return true;
}

// The lowest address in [from, to] that is neither taken nor the gateway.
// Walks the ordered set alongside, so the cost is the number of taken
// addresses passed over, not the size of the range.
std::optional<uint32_t> first_free(uint32_t from, uint32_t to, uint32_t gateway, const std::set<uint32_t>& taken) {
  auto it = taken.lower_bound(from);
  for (uint64_t a = from; a <= to; ++a) {
    while (it != taken.end() && *it < a) ++it;
    if (a == gateway || (it != taken.end() && *it == a)) continue;
    return static_cast<uint32_t>(a);
  }
  return std::nullopt;
}

}  // namespace

Result<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t addr = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    size_t dot = rest.find('.');
    std::string_view part = i < 3 ? rest.substr(0, dot) : rest;
    if ((i < 3 && dot == std::string_view::npos) || (i == 3 && rest.find('.') != std::string_view::npos))
      return fail(Errc::InvalidArgument, fmt::format("invalid IPv4 address: {:?}", std::string(text)));
    uint32_t octet = 0;
    if (!parse_octet(part, octet))
      return fail(Errc::InvalidArgument, fmt::format("invalid IPv4 address: {:?}", std::string(text)));
    addr = addr << 8 | octet;
    if (i < 3) rest.remove_prefix(dot + 1);
  }
  return addr;
}

std::string format_ipv4(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

Result<Ipv4Net> parse_cidr(std::string_view text) {
  auto bad = [&] { return fail(Errc::InvalidArgument, "invalid CIDR address: " + std::string(text)); };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) return bad();
  std::string_view len = text.substr(slash + 1);
  if (len.empty() || len.size() > 2 || (len.size() > 1 && len[0] == '0')) return bad();
  int prefix = -1;
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || p != len.data() + len.size() || prefix < 0 || prefix > 32) return bad();
  return Ipv4Net{*addr, prefix};
}

std::string format_cidr(const Ipv4Net& net) { return format_ipv4(net.addr) + "/" + std::to_string(net.prefix); }

uint32_t first_host(const Ipv4Net& subnet) {
  return subnet.prefix >= 31 ? subnet.network() : subnet.network() + 1;
}

uint32_t last_host(const Ipv4Net& subnet) {
  return subnet.prefix >= 31 ? subnet.broadcast() : subnet.broadcast() - 1;
}

uint32_t default_gateway(const Ipv4Net& subnet) { return first_host(subnet); }

std::string docker_mac(uint32_t a) {
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

Result<Pool> make_pool(const Ipv4Net& subnet, const PoolSpec& spec) {
  Pool pool;
  pool.subnet = subnet;
  pool.range = subnet;
  pool.gateway = default_gateway(subnet);
  if (!spec.ip_range.empty()) {
    auto range = TRY(parse_cidr(spec.ip_range));
    if (range.addr != range.network())
      return fail(Errc::InvalidArgument, fmt::format("invalid ip-range {}: it should be {}", spec.ip_range,
                                                     format_cidr(range.as_network())));
    if (!subnet.contains(range))
      return fail(Errc::InvalidArgument, "no matching subnet for ip-range " + spec.ip_range);
    pool.range = range;
    pool.has_range = true;
  }
  if (!spec.gateway.empty()) {
    auto gw = parse_ipv4(spec.gateway);
    if (!gw) return fail(Errc::InvalidArgument, "invalid gateway address: " + spec.gateway);
    if (!subnet.contains(*gw)) return fail(Errc::InvalidArgument, "no matching subnet for gateway " + spec.gateway);
    pool.gateway = *gw;
  }
  return pool;
}

Result<Pool> make_pool(const PoolSpec& spec) {
  if (spec.subnet.empty()) return fail(Errc::InvalidArgument, "a subnet is required");
  auto subnet = TRY(parse_cidr(spec.subnet));
  if (subnet.addr != subnet.network())
    return fail(Errc::InvalidArgument,
                fmt::format("invalid subnet {}: it should be {}", spec.subnet, format_cidr(subnet.as_network())));
  return make_pool(subnet, spec);
}

std::vector<Ipv4Net> default_pools() {
  std::vector<Ipv4Net> out;
  for (uint32_t b = 17; b <= 31; ++b) out.push_back({(172u << 24) | (b << 16), 16});
  for (uint32_t c = 0; c < 256; c += 16) out.push_back({(192u << 24) | (168u << 16) | (c << 8), 20});
  return out;
}

Result<Ipv4Net> choose_subnet(std::span<const Ipv4Net> candidates, std::span<const Ipv4Net> in_use) {
  for (const Ipv4Net& c : candidates) {
    bool free = true;
    for (const Ipv4Net& u : in_use) {
      if (u.prefix == 0) continue;  // a default route covers everything and says nothing
      if (c.overlaps(u)) {
        free = false;
        break;
      }
    }
    if (free) return c;
  }
  return fail(Errc::Unavailable, std::string(kNoPool));
}

Result<Ipv4Net> choose_subnet(std::span<const Ipv4Net> in_use) {
  auto pools = default_pools();
  return choose_subnet(pools, in_use);
}

Result<Ipv4Net> default_bridge_address(std::span<const Ipv4Net> bridge_addresses, std::string_view bip,
                                       std::span<const Ipv4Net> in_use) {
  Ipv4Net chosen;
  if (!bip.empty()) {
    chosen = TRY(parse_cidr(bip));
  } else if (!bridge_addresses.empty()) {
    chosen = bridge_addresses.front();
  } else {
    auto subnet = TRY(choose_subnet(in_use));
    return Ipv4Net{default_gateway(subnet), subnet.prefix};
  }
  if (chosen.addr == chosen.network()) chosen.addr = default_gateway(chosen);
  return chosen;
}

std::vector<Ipv4Net> surplus_bridge_addresses(std::span<const Ipv4Net> current, const Ipv4Net& wanted) {
  std::vector<Ipv4Net> out;
  for (const Ipv4Net& a : current)
    if (!(a == wanted)) out.push_back(a);
  return out;
}

Result<void> check_overlap(const Ipv4Net& subnet, std::span<const Ipv4Net> existing) {
  for (const Ipv4Net& e : existing)
    if (subnet.overlaps(e)) return fail(Errc::Conflict, "Pool overlaps with other one on this address space");
  return {};
}

Result<uint32_t> next_address(const Pool& pool, const std::set<uint32_t>& taken, std::optional<uint32_t> last) {
  // Hosts of the range, without the subnet's network/broadcast addresses.
  uint32_t lo = std::max(pool.range.network(), first_host(pool.subnet));
  uint32_t hi = std::min(pool.range.broadcast(), last_host(pool.subnet));
  if (lo <= hi) {
    uint32_t start = lo;
    if (last && *last >= lo && *last < hi) start = *last + 1;
    // From start to hi, then from lo to start-1.
    if (auto a = first_free(start, hi, pool.gateway, taken)) return *a;
    if (start > lo)
      if (auto a = first_free(lo, start - 1, pool.gateway, taken)) return *a;
  }
  return fail(Errc::Unavailable, "no available IPv4 addresses on this network's address pools");
}

Result<void> check_requested(const Pool& pool, uint32_t addr, const std::set<uint32_t>& taken) {
  if (!pool.subnet.contains(addr))
    return fail(Errc::InvalidArgument,
                "Invalid address " + format_ipv4(addr) + ": It does not belong to any of this network's subnets");
  if (addr == pool.gateway || taken.contains(addr) || addr < first_host(pool.subnet) || addr > last_host(pool.subnet))
    return fail(Errc::Conflict, "Address already in use");
  return {};
}

}  // namespace berth::net
