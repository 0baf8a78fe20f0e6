#include "net/ports.h"

#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <random>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::net {

namespace {

struct Range {
  uint16_t first = 0;
  uint16_t last = 0;
  size_t size() const { return size_t(last) - first + 1; }
};

// "80" or "8000-8010", each 1..65535, first <= last.
Result<Range> parse_range(std::string_view s, std::string_view what) {
  auto bad = [&] { return fail(Errc::InvalidArgument, fmt::format("invalid {}: {}", what, s)); };
  auto num = [](std::string_view p) -> std::optional<uint16_t> {
    if (p.empty() || p.size() > 5) return std::nullopt;
    for (char c : p)
      if (c < '0' || c > '9') return std::nullopt;
    auto v = parse_uint(p);
    if (!v || *v < 1 || *v > 65535) return std::nullopt;
    return uint16_t(*v);
  };
  auto dash = s.find('-');
  auto a = num(s.substr(0, dash));
  if (!a) return bad();
  if (dash == std::string_view::npos) return Range{*a, *a};
  auto b = num(s.substr(dash + 1));
  if (!b || *b < *a) return bad();
  return Range{*a, *b};
}

Result<Proto> parse_proto(std::string_view s) {
  if (s.empty() || s == "tcp") return Proto::Tcp;
  if (s == "udp") return Proto::Udp;
  if (s == "sctp") return fail(Errc::Unsupported, "sctp ports are not supported");
  return fail(Errc::InvalidArgument, fmt::format("invalid proto: {}", s));
}

// "" and "0.0.0.0" are every address (stored as ""); otherwise a dotted IPv4.
Result<std::string> parse_host_ip(std::string_view s) {
  if (s.empty() || s == "0.0.0.0") return std::string();
  if (s.find(':') != std::string_view::npos || s.front() == '[')
    return fail(Errc::Unsupported, fmt::format("IPv6 host addresses are not supported: {}", s));
  in_addr a{};
  std::string str(s);
  if (inet_pton(AF_INET, str.c_str(), &a) != 1)
    return fail(Errc::InvalidArgument, fmt::format("invalid IP address: {}", s));
  return str;
}

// Where the next dynamic port search starts: moby's allocator walks the range
// from the last port it gave out; this does the same from a random start so
// that a restarted daemon does not hand out the same ports first.
std::atomic<uint32_t>& dynamic_cursor() {
  static std::atomic<uint32_t> cursor{[] {
    std::random_device rd;
    return uint32_t(rd() % (kDynamicPortLast - kDynamicPortFirst + 1));
  }()};
  return cursor;
}

// A bound socket on ip:port or the errno of the failure.
Result<UniqueFd> bind_port(const std::string& ip, uint16_t port, Proto proto) {
  int type = (proto == Proto::Tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  UniqueFd fd(::socket(AF_INET, type, 0));
  if (!fd) return fail_errno("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (ip.empty()) {
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    return fail(Errc::InvalidArgument, fmt::format("invalid IP address: {}", ip));
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return fail_errno(fmt::format("listen {}4 {}:{}: bind", proto_name(proto),
                                  ip.empty() ? "0.0.0.0" : ip, port));
  return fd;
}

}  // namespace

std::string_view proto_name(Proto proto) { return proto == Proto::Udp ? "udp" : "tcp"; }

std::string PortBinding::host_str() const {
  std::string s = fmt::format("{}:{}", host_ip.empty() ? "0.0.0.0" : host_ip, host_port);
  if (host_port_end > host_port) s += fmt::format("-{}", host_port_end);
  return s;
}

std::string port_key(uint16_t port, Proto proto) {
  return fmt::format("{}/{}", port, proto_name(proto));
}

Result<std::pair<uint16_t, Proto>> parse_port_key(std::string_view key) {
  auto slash = key.find('/');
  auto port = TRY(parse_range(key.substr(0, slash), "containerPort"));
  if (port.first != port.last)
    return fail(Errc::InvalidArgument, fmt::format("invalid port key (a range): {}", key));
  Proto proto = TRY(parse_proto(slash == std::string_view::npos ? "" : key.substr(slash + 1)));
  return std::pair{port.first, proto};
}

Result<std::vector<PortBinding>> parse_publish(std::string_view spec) {
  if (spec.empty()) return fail(Errc::InvalidArgument, "invalid port spec: empty");
  if (spec.front() == '[')
    return fail(Errc::Unsupported, fmt::format("IPv6 host addresses are not supported: {}", spec));
  auto parts = split(spec, ':');
  if (parts.size() > 3) {
    return fail(Errc::InvalidArgument,
                fmt::format("invalid port spec (IPv6 is not supported): {}", spec));
  }
  std::string ip_part, host_part, ctr_part = parts.back();
  if (parts.size() == 3) {
    ip_part = parts[0];
    host_part = parts[1];
  } else if (parts.size() == 2) {
    host_part = parts[0];
  }
  auto slash = ctr_part.find('/');
  Proto proto = TRY(parse_proto(slash == std::string::npos ? "" : ctr_part.substr(slash + 1)));
  if (slash != std::string::npos) ctr_part.resize(slash);
  if (ctr_part.empty())
    return fail(Errc::InvalidArgument, fmt::format("no port specified: {}", spec));
  Range ctr = TRY(parse_range(ctr_part, "containerPort"));
  std::string ip = TRY(parse_host_ip(ip_part));

  std::vector<PortBinding> out;
  if (host_part.empty()) {  // dynamic host port for each container port
    for (uint32_t p = ctr.first; p <= ctr.last; ++p)
      out.push_back({ip, 0, 0, uint16_t(p), proto});
    return out;
  }
  Range host = TRY(parse_range(host_part, "hostPort"));
  if (ctr.size() == 1) {  // one port, or the first free one of the host range
    out.push_back({ip, host.first, host.size() > 1 ? host.last : uint16_t(0), ctr.first, proto});
    return out;
  }
  if (host.size() != ctr.size()) {
    return fail(Errc::InvalidArgument,
                fmt::format("invalid ranges specified for container and host Ports: {} and {}",
                            ctr_part, host_part));
  }
  for (size_t i = 0; i < ctr.size(); ++i)
    out.push_back({ip, uint16_t(host.first + i), 0, uint16_t(ctr.first + i), proto});
  return out;
}

Result<std::vector<PortBinding>> parse_publish(const std::vector<std::string>& specs) {
  std::vector<PortBinding> out;
  for (const auto& s : specs) {
    auto one = TRY(parse_publish(std::string_view(s)));
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

Result<PortBinding> parse_port_binding(std::string_view key, std::string_view host_ip, std::string_view host_port) {
  auto [port, proto] = TRY_CTX(parse_port_key(key), "PortBindings");
  PortBinding pb;
  pb.host_ip = TRY_CTX(parse_host_ip(std::string(host_ip)), fmt::format("PortBindings[{}]", key));
  pb.container_port = port;
  pb.proto = proto;
  if (!host_port.empty()) {
    Range r = TRY_CTX(parse_range(std::string(host_port), "hostPort"), fmt::format("PortBindings[{}]", key));
    pb.host_port = r.first;
    pb.host_port_end = r.size() > 1 ? r.last : 0;
  }
  return pb;
}

Result<std::vector<PortBinding>> port_bindings_from_json(const nlohmann::json& j) {
  std::vector<PortBinding> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return fail(Errc::InvalidArgument, "PortBindings: not an object");
  for (const auto& [key, list] : j.items()) {
    TRY_CTX(parse_port_key(key), "PortBindings");
    if (list.is_null()) continue;
    if (!list.is_array())
      return fail(Errc::InvalidArgument, fmt::format("PortBindings[{}]: not a list", key));
    for (const auto& b : list) {
      if (!b.is_object())
        return fail(Errc::InvalidArgument, fmt::format("PortBindings[{}]: not an object", key));
      std::string host_ip, host_port;
      if (auto it = b.find("HostIp"); it != b.end() && !it->is_null()) {
        if (!it->is_string())
          return fail(Errc::InvalidArgument, fmt::format("PortBindings[{}].HostIp: not a string", key));
        host_ip = it->get<std::string>();
      }
      if (auto it = b.find("HostPort"); it != b.end() && !it->is_null()) {
        if (!it->is_string())
          return fail(Errc::InvalidArgument, fmt::format("PortBindings[{}].HostPort: not a string", key));
        host_port = it->get<std::string>();
      }
      out.push_back(TRY(parse_port_binding(key, host_ip, host_port)));
    }
  }
  return out;
}

nlohmann::json port_bindings_to_json(const std::vector<PortBinding>& bindings, bool docker_ips) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& b : bindings) {
    std::string host_port;
    if (b.host_port != 0) {
      host_port = std::to_string(b.host_port);
      if (b.host_port_end > b.host_port) host_port += "-" + std::to_string(b.host_port_end);
    }
    std::string ip = b.host_ip.empty() && docker_ips ? "0.0.0.0" : b.host_ip;
    auto& list = j[port_key(b.container_port, b.proto)];
    if (list.is_null()) list = nlohmann::json::array();
    list.push_back({{"HostIp", ip}, {"HostPort", host_port}});
  }
  return j;
}

Result<std::vector<PortBinding>> publish_all(std::vector<PortBinding> bindings,
                                             const nlohmann::json& exposed_ports) {
  if (exposed_ports.is_null()) return bindings;
  if (!exposed_ports.is_object()) return fail(Errc::InvalidArgument, "ExposedPorts: not an object");
  std::set<std::string> keys;
  for (const auto& [key, _] : exposed_ports.items()) keys.insert(key);
  return publish_all(std::move(bindings), keys);
}

Result<std::vector<PortBinding>> publish_all(std::vector<PortBinding> bindings, const std::set<std::string>& exposed) {
  std::vector<PortBinding> added;
  for (const auto& key : exposed) {
    auto [port, proto] = TRY_CTX(parse_port_key(key), "ExposedPorts");
    bool bound = false;
    for (const auto& b : bindings) bound |= b.container_port == port && b.proto == proto;
    if (!bound) added.push_back({"", 0, 0, port, proto});
  }
  bindings.insert(bindings.end(), added.begin(), added.end());
  return bindings;
}

namespace {
HostPortExporter& host_port_exporter() {
  static HostPortExporter exporter;
  return exporter;
}
}  // namespace

void set_host_port_exporter(HostPortExporter exporter) { host_port_exporter() = std::move(exporter); }

Result<PortReservation> reserve_ports(const std::vector<PortBinding>& requested) {
  PortReservation res;
  // The port here and, for a rootless daemon, on the host too.
  auto claim = [&res](const std::string& ip, uint16_t port, Proto proto, const PortBinding& b) -> Result<UniqueFd> {
    auto fd = TRY(net::bind_port(ip, port, proto));
    if (host_port_exporter()) {
      PortBinding resolved = b;
      resolved.host_ip = ip;
      resolved.host_port = resolved.host_port_end = port;
      res.exports_.push_back(TRY(host_port_exporter()(resolved)));
    }
    return fd;
  };
  for (const auto& want : requested) {
    if (want.container_port == 0)
      return fail(Errc::InvalidArgument, "port binding without a container port");
    std::string ip = TRY(parse_host_ip(want.host_ip));
    PortBinding got = want;
    got.host_ip = ip;
    auto in_use = [&](const PortBinding& b) {
      return fail(Errc::Conflict,
                  fmt::format("Bind for {} failed: port is already allocated", b.host_str()));
    };
    if (want.host_port != 0 && want.host_port_end <= want.host_port) {  // exactly this port
      auto fd = claim(ip, want.host_port, want.proto, want);
      if (!fd) {
        if (fd.error().sys_errno == EADDRINUSE) return in_use(got);
        return std::unexpected(std::move(fd).error());
      }
      got.host_port_end = got.host_port;
      res.fds_.push_back(std::move(*fd));
      res.bindings_.push_back(std::move(got));
      continue;
    }
    // A range: the given one from its start, or Docker's dynamic range from the cursor.
    bool dynamic = want.host_port == 0;
    uint32_t first = dynamic ? kDynamicPortFirst : want.host_port;
    uint32_t last = dynamic ? kDynamicPortLast : want.host_port_end;
    uint32_t n = last - first + 1;
    uint32_t start = dynamic ? dynamic_cursor().load() % n : 0;
    bool found = false;
    for (uint32_t i = 0; i < n && !found; ++i) {
      uint16_t port = uint16_t(first + (start + i) % n);
      auto fd = claim(ip, port, want.proto, want);
      if (!fd) {
        if (fd.error().sys_errno == EADDRINUSE) continue;
        return std::unexpected(std::move(fd).error());
      }
      if (dynamic) dynamic_cursor().store((start + i + 1) % n);
      got.host_port = got.host_port_end = port;
      res.fds_.push_back(std::move(*fd));
      res.bindings_.push_back(got);
      found = true;
    }
    if (!found) {
      if (!dynamic) return in_use(want);
      return fail(Errc::Conflict, fmt::format("Bind for {}:{}-{} failed: all ports are allocated",
                                              ip.empty() ? "0.0.0.0" : ip, first, last));
    }
  }
  return res;
}

}  // namespace berth::net
