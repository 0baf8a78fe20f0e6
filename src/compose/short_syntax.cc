#include "compose/short_syntax.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::compose {

namespace {

Node str(std::string s) { return Node::make_scalar(std::move(s)); }
Node num(uint64_t v) { return Node::make_scalar(std::to_string(v), true); }
Node boolean(bool v) { return Node::make_scalar(v ? "true" : "false", true); }

struct PortRange {
  uint32_t first = 0, last = 0;
  uint32_t size() const { return last - first + 1; }
};

std::optional<uint32_t> port_number(std::string_view s) {
  auto v = parse_uint(s);
  if (!v || *v > 65535 || s.empty() || s[0] == '+') return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::optional<PortRange> port_range(std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto p = port_number(s);
    if (!p) return std::nullopt;
    return PortRange{*p, *p};
  }
  auto a = port_number(s.substr(0, dash));
  auto b = port_number(s.substr(dash + 1));
  if (!a || !b || *b < *a) return std::nullopt;
  return PortRange{*a, *b};
}

}  // namespace

bool is_host_path(std::string_view source) {
  return !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~');
}

Result<std::vector<Node>> expand_port(std::string_view spec) {
  auto bad = [&] { return fail(Errc::InvalidArgument, fmt::format("invalid port \"{}\"", spec)); };
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
      return fail(Errc::InvalidArgument, fmt::format("invalid proto: {}", protocol));
    }
  }
  std::string_view ip, host, container;
  size_t last = rest.rfind(':');
  if (last == std::string_view::npos) {
    container = rest;
  } else {
    container = rest.substr(last + 1);
    std::string_view before = rest.substr(0, last);
    size_t second = before.rfind(':');
    if (second == std::string_view::npos || before.ends_with(']')) {
      host = before;
    } else {
      host = before.substr(second + 1);
      ip = before.substr(0, second);
    }
    if (host.starts_with('[')) return bad();
  }
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  auto target = port_range(container);
  if (!target) return bad();
  std::optional<PortRange> published;
  if (!host.empty()) {
    published = port_range(host);
    if (!published) return bad();
    if (target->size() > 1 && published->size() != target->size()) return bad();
  }
  std::vector<Node> out;
  for (uint32_t i = 0; i < target->size(); ++i) {
    Node n = Node::make_mapping();
    n.set("mode", str("ingress"));
    if (!ip.empty()) n.set("host_ip", str(std::string(ip)));
    n.set("target", num(target->first + i));
    if (published) {
      if (target->size() > 1) {
        n.set("published", str(std::to_string(published->first + i)));
      } else if (published->size() > 1) {
        n.set("published", str(fmt::format("{}-{}", published->first, published->last)));
      } else {
        n.set("published", str(std::to_string(published->first)));
      }
    }
    n.set("protocol", str(protocol));
    out.push_back(std::move(n));
  }
  return out;
}

Result<Node> expand_volume(std::string_view spec) {
  if (spec.empty()) return fail(Errc::InvalidArgument, "invalid empty volume spec");
  std::vector<std::string> parts = split(spec, ':');
  if (parts.size() > 3) return fail(Errc::InvalidArgument, fmt::format("invalid spec: {}: too many colons", spec));
  Node n = Node::make_mapping();
  if (parts.size() == 1) {
    n.set("type", str("volume"));
    n.set("target", str(parts[0]));
    n.set("volume", Node::make_mapping());
    return n;
  }
  const std::string& source = parts[0];
  bool bind = is_host_path(source);
  n.set("type", str(bind ? "bind" : "volume"));
  n.set("source", str(source));
  n.set("target", str(parts[1]));
  Node bind_opts = Node::make_mapping();
  Node volume_opts = Node::make_mapping();
  bool read_only = false;
  if (parts.size() == 3) {
    for (const std::string& opt : split(parts[2], ',')) {
      if (opt == "ro") {
        read_only = true;
      } else if (opt == "rw") {
        read_only = false;
      } else if (opt == "z" || opt == "Z") {
        bind_opts.set("selinux", str(opt));
      } else if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" || opt == "private" ||
                 opt == "rprivate") {
        bind_opts.set("propagation", str(opt));
      } else if (opt == "nocopy") {
        volume_opts.set("nocopy", boolean(true));
      } else if (opt == "consistent" || opt == "cached" || opt == "delegated") {
        n.set("consistency", str(opt));
      } else {
        return fail(Errc::InvalidArgument, fmt::format("invalid spec: {}: unknown option {}", spec, opt));
      }
    }
  }
  if (read_only) n.set("read_only", boolean(true));
  if (bind) {
    bind_opts.set("create_host_path", boolean(true));
    n.set("bind", std::move(bind_opts));
  } else {
    n.set("volume", std::move(volume_opts));
  }
  return n;
}

Result<Node> expand_device(std::string_view spec) {
  std::vector<std::string> parts = split(spec, ':');
  if (parts.empty() || parts.size() > 3 || parts[0].empty()) {
    return fail(Errc::InvalidArgument, fmt::format("invalid device: {}", spec));
  }
  Node n = Node::make_mapping();
  n.set("source", str(parts[0]));
  n.set("target", str(parts.size() > 1 ? parts[1] : parts[0]));
  n.set("permissions", str(parts.size() > 2 ? parts[2] : "rwm"));
  return n;
}

}  // namespace berth::compose
