#include "cli/port_spec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/units.h"

namespace berth::cli {

Result<uint64_t> go_parse_uint(std::string_view s, int bits) {
  auto bad = [&](const char* why) {
    return fail(Errc::InvalidArgument, fmt::format("strconv.ParseUint: parsing {}: {}", go_quote(s), why));
  };
  if (s.empty()) return bad("invalid syntax");
  uint64_t v = 0;
  bool overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return bad("invalid syntax");
    if (v > (std::numeric_limits<uint64_t>::max() - (c - '0')) / 10) overflow = true;
    else v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  uint64_t max = bits >= 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  if (overflow || v > max) return bad("value out of range");
  return v;
}

namespace {

struct Range {
  uint64_t start = 0, end = 0;
};

// nat.ParsePortRange.
Result<Range> parse_port_range(std::string_view ports) {
  if (ports.empty()) return fail(Errc::InvalidArgument, "empty string specified for ports");
  size_t dash = ports.find('-');
  if (dash == std::string_view::npos) {
    uint64_t p = TRY(go_parse_uint(ports, 16));
    return Range{p, p};
  }
  std::string_view second = ports.substr(dash + 1);
  second = second.substr(0, second.find('-'));
  uint64_t start = TRY(go_parse_uint(ports.substr(0, dash), 16));
  uint64_t end = TRY(go_parse_uint(second, 16));
  if (end < start) return fail(Errc::InvalidArgument, fmt::format("invalid range specified for port: {}", ports));
  return Range{start, end};
}

// nat.SplitProtoPort: "80/udp" -> {"udp", "80"}; "80" -> {"tcp", "80"}.
std::pair<std::string, std::string> split_proto_port(const std::string& raw) {
  auto parts = split(raw, '/');
  if (raw.empty() || parts.empty() || parts[0].empty()) return {"", ""};
  if (parts.size() == 1) return {"tcp", raw};
  if (parts[1].empty()) return {"tcp", parts[0]};
  return {parts[1], parts[0]};
}

bool valid_ip(const std::string& ip) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, ip.c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// docker-cli's convertToStandardNotation for the long --publish syntax.
Result<std::string> standard_notation(const std::string& spec) {
  if (spec.find('=') == std::string::npos) return spec;
  std::map<std::string, std::string> params{{"protocol", "tcp"}};
  for (const auto& param : split(spec, ',')) {
    size_t eq = param.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(Errc::InvalidArgument,
                  fmt::format("invalid publish opts format (should be name=value but got '{}')", param));
    }
    params[param.substr(0, eq)] = param.substr(eq + 1);
  }
  return fmt::format("{}:{}/{}", params["published"], params["target"], params["protocol"]);
}

}  // namespace

Result<void> add_publish_spec(const std::string& raw_spec, PortSpecs& into) {
  std::string raw = TRY(standard_notation(raw_spec));
  // splitParts: the last field is the container port, the one before the
  // host port, everything before that the IP (IPv6 has colons).
  auto parts = split(raw, ':');
  std::string ip, host_port, container_port = parts.empty() ? "" : parts.back();
  size_t n = parts.size();
  if (n == 2) {
    host_port = parts[0];
  } else if (n >= 3) {
    host_port = parts[n - 2];
    ip = join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
  }
  auto [proto, port] = split_proto_port(container_port);
  container_port = port;
  if (!ip.empty() && ip.front() == '[') {
    if (ip.back() != ']') return fail(Errc::InvalidArgument, fmt::format("invalid IP address {}", ip));
    ip = ip.substr(1, ip.size() - 2);
  }
  if (!ip.empty() && !valid_ip(ip)) return fail(Errc::InvalidArgument, "invalid IP address: " + ip);
  if (container_port.empty()) return fail(Errc::InvalidArgument, fmt::format("no port specified: {}<empty>", raw));
  auto cr = parse_port_range(container_port);
  if (!cr) return fail(Errc::InvalidArgument, "invalid containerPort: " + container_port);
  Range hr;
  if (!host_port.empty()) {
    auto h = parse_port_range(host_port);
    if (!h) return fail(Errc::InvalidArgument, "invalid hostPort: " + host_port);
    hr = *h;
    if (cr->end - cr->start != hr.end - hr.start && cr->end != cr->start) {
      return fail(Errc::InvalidArgument, fmt::format("invalid ranges specified for container and host Ports: {} and {}",
                                                     container_port, host_port));
    }
  }
  std::string p = lower(proto);
  if (p != "tcp" && p != "udp" && p != "sctp") return fail(Errc::InvalidArgument, "invalid proto: " + proto);
  for (uint64_t i = 0; i <= cr->end - cr->start; ++i) {
    std::string hp = host_port;
    if (!host_port.empty()) hp = std::to_string(hr.start + i);
    // A single container port with a host range: the daemon picks in the range.
    if (cr->start == cr->end && hr.start != hr.end) hp = fmt::format("{}-{}", hp, hr.end);
    std::string key = fmt::format("{}/{}", cr->start + i, p);
    into.exposed[key] = true;
    into.bindings[key].push_back(PortBinding{ip, hp});
  }
  return {};
}

Result<void> add_expose_spec(const std::string& spec, PortSpecs& into) {
  if (spec.find(':') != std::string::npos) {
    return fail(Errc::InvalidArgument, fmt::format("invalid port format for --expose: {}", spec));
  }
  auto [proto, port] = split_proto_port(spec);
  auto r = parse_port_range(port);
  if (!r) {
    return fail(Errc::InvalidArgument,
                fmt::format("invalid range format for --expose: {}, error: {}", spec, r.error().message));
  }
  for (uint64_t p = r->start; p <= r->end; ++p) into.exposed[fmt::format("{}/{}", p, proto)] = true;
  return {};
}

std::string join_host_port(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char c1 = a[i], c2 = b[j];
    bool d1 = digit(c1), d2 = digit(c2);
    if (d1 != d2) return d1;
    if (!d1) {
      if (c1 != c2) return static_cast<unsigned char>(c1) < static_cast<unsigned char>(c2);
      ++i, ++j;
      continue;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    size_t nz1 = i, nz2 = j;
    while (i < a.size() && digit(a[i])) ++i;
    while (j < b.size() && digit(b[j])) ++j;
    if (i - nz1 != j - nz2) return i - nz1 < j - nz2;
    std::string_view n1 = a.substr(nz1, i - nz1), n2 = b.substr(nz2, j - nz2);
    if (n1 != n2) return n1 < n2;
    if (nz1 != nz2) return nz1 < nz2;
  }
  return a.size() < b.size();
}

Result<std::vector<std::string>> port_lines(const Json& ports, const std::string& filter,
                                            const std::string& container) {
  std::vector<std::string> out;
  auto frontend = [](const Json& f) {
    return join_host_port(f.is_object() ? f.value("HostIp", "") : "", f.is_object() ? f.value("HostPort", "") : "");
  };
  if (!filter.empty()) {
    size_t slash = filter.find('/');
    std::string port = filter.substr(0, slash);
    std::string proto = slash == std::string::npos ? "" : filter.substr(slash + 1);
    if (proto.empty()) proto = "tcp";
    auto parsed = go_parse_uint(port, 16);
    if (!parsed) {
      return fail(Errc::InvalidArgument, fmt::format("Error: invalid port ({}): {}", port, parsed.error().message));
    }
    std::string key = port + "/" + proto;
    if (!ports.is_object() || !ports.contains(key) || !ports[key].is_array() || ports[key].empty()) {
      return fail(Errc::NotFound, fmt::format("Error: No public port '{}' published for {}", filter, container));
    }
    for (const auto& f : ports[key]) out.push_back(frontend(f));
  } else if (ports.is_object()) {
    for (auto it = ports.begin(); it != ports.end(); ++it) {
      if (!it.value().is_array()) continue;
      for (const auto& f : it.value()) out.push_back(fmt::format("{} -> {}", it.key(), frontend(f)));
    }
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return out;
}

std::string displayable_ports(const Json& list) {
  struct Port {
    std::string ip, type;
    int64_t priv = 0, pub = 0;
  };
  std::vector<Port> ports;
  if (!list.is_array()) return "";
  for (const auto& p : list) {
    if (!p.is_object()) continue;
    ports.push_back(Port{p.value("IP", ""), p.value("Type", ""), p.value("PrivatePort", int64_t{0}),
                         p.value("PublicPort", int64_t{0})});
  }
  std::stable_sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    if (a.priv != b.priv) return a.priv < b.priv;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.pub != b.pub) return a.pub < b.pub;
    return a.type < b.type;
  });
  struct Group {
    std::string ip, type;
    int64_t first = 0, last = 0;
  };
  auto form = [](const Group& g) {
    std::string range = std::to_string(g.first);
    if (g.first != g.last) range += fmt::format("-{}", g.last);
    if (!g.ip.empty()) range = fmt::format("{}->{}", join_host_port(g.ip, range), range);
    return fmt::format("{}/{}", range, g.type);
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_mappings;
  for (const auto& p : ports) {
    std::string key = p.type;
    if (!p.ip.empty()) {
      if (p.pub != p.priv) {
        host_mappings.push_back(fmt::format("{}->{}/{}", join_host_port(p.ip, std::to_string(p.pub)), p.priv, p.type));
        continue;
      }
      key = p.ip + "/" + p.type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = Group{p.ip, p.type, p.priv, p.priv};
      keys.push_back(key);
      continue;
    }
    if (p.priv == it->second.last + 1) {
      it->second.last = p.priv;
      continue;
    }
    result.push_back(form(it->second));
    it->second = Group{p.ip, p.type, p.priv, p.priv};
  }
  for (const auto& k : keys) result.push_back(form(groups[k]));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  return join(result, ", ");
}

}  // namespace berth::cli
