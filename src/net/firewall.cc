#include "net/firewall.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"

namespace berth::net {

namespace {

using nlohmann::json;

// Base chains: name, type, hook, priority. A table whose chains differ (an
// older berth, or something else that took the name) is rebuilt.
struct BaseChain {
  const char* name;
  const char* type;
  const char* hook;
  int prio;
};
constexpr BaseChain kBaseChains[] = {
    {"prerouting", "nat", "prerouting", -100},    // dstnat
    {"output", "nat", "output", -100},            // dstnat (nft has no name for it here)
    {"postrouting", "nat", "postrouting", 100},   // srcnat
    {"forward", "filter", "forward", 0},          // filter
    {"raw_prerouting", "filter", "prerouting", -300},  // raw
};
// Regular chains; schema_v1 is empty and marks the layout version.
constexpr const char* kChains[] = {"ports", "internal", "isolation", "schema_v1"};
constexpr const char* kBaseComment = "berth";
// The fixed jumps and accepts, in chain order (each tagged kBaseComment).
constexpr const char* kBaseRules[][2] = {
    {"prerouting", "fib daddr type local jump ports"},
    {"output", "fib daddr type local jump ports"},
    {"forward", "jump internal"},
    {"forward", "ct state established,related accept"},
    {"forward", "ct status dnat accept"},
    {"forward", "jump isolation"},
};

bool valid_name(const std::string& s, size_t max, bool dots) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (dots && c == '.');
  });
}

Result<void> check_bridge(const std::string& bridge) {
  if (!valid_name(bridge, 15, true))
    return fail(Errc::InvalidArgument, fmt::format("invalid bridge name: \"{}\"", bridge));
  return {};
}

Result<std::string> check_ipv4(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
    return fail(Errc::InvalidArgument, fmt::format("invalid IPv4 address: \"{}\"", ip));
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return std::string(buf);
}

// "10.202.0.1/24" -> "10.202.0.0/24" (nft wants the network address).
Result<std::string> normalize_subnet(const std::string& subnet) {
  auto bad = [&] { return fail(Errc::InvalidArgument, fmt::format("invalid IPv4 subnet: \"{}\"", subnet)); };
  auto slash = subnet.find('/');
  if (slash == std::string::npos) return bad();
  auto len = parse_uint(std::string_view(subnet).substr(slash + 1));
  if (!len || *len > 32 || subnet.size() - slash - 1 > 2) return bad();
  in_addr a{};
  if (inet_pton(AF_INET, subnet.substr(0, slash).c_str(), &a) != 1) return bad();
  uint32_t mask = *len == 0 ? 0 : ~uint32_t(0) << (32 - *len);
  a.s_addr = htonl(ntohl(a.s_addr) & mask);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return fmt::format("{}/{}", buf, *len);
}

// /proc/sys writer (berth_net's link module has its own; this keeps the
// firewall independent of it). Writes only when the value differs.
Result<void> write_proc_sys(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  auto cur = read_file(path);
  if (cur && trim(*cur) == value) return {};
  TRYV_CTX(write_existing(path, value), fmt::format("setting {}={}", key, value));
  return {};
}

Errc errc_from_nft(const std::string& msg) {
  if (msg.find("No such file or directory") != std::string::npos) return Errc::NotFound;
  if (msg.find("Operation not permitted") != std::string::npos) return Errc::PermissionDenied;
  if (msg.find("File exists") != std::string::npos) return Errc::AlreadyExists;
  return Errc::Internal;
}

// The first line(s) of libnftables' error text, without the caret lines.
std::string short_error(const char* buf) {
  std::string out;
  for (const auto& line : split(buf ? buf : "", '\n', true)) {
    if (line.find_first_not_of(" ^~") == std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += std::string(trim(line));
    if (out.size() > 600) break;
  }
  return out.empty() ? "unknown libnftables error" : out;
}

}  // namespace

Result<std::unique_ptr<Firewall>> Firewall::open(const std::string& table, Stale stale) {
  if (!valid_name(table, 64, false))
    return fail(Errc::InvalidArgument, fmt::format("invalid nftables table name: \"{}\"", table));
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return fail(Errc::Internal, "nft_ctx_new failed");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  std::unique_ptr<Firewall> fw(new Firewall(table, ctx));
  std::lock_guard lock(fw->mu_);

  // Inspect what is there.
  bool exists = false, matches = false;
  nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_run_cmd_from_buffer(ctx, fmt::format("list table ip {}", table).c_str());
  nft_ctx_output_set_flags(ctx, 0);
  if (rc == 0) {
    exists = true;
    auto doc = json::parse(nft_ctx_get_output_buffer(ctx), nullptr, false);
    std::set<std::string> chains_ok;
    size_t base_rules = 0;
    if (doc.is_object() && doc.contains("nftables") && doc["nftables"].is_array()) {
      for (const auto& item : doc["nftables"]) {
        if (auto c = item.find("chain"); c != item.end()) {
          std::string name = c->value("name", "");
          bool ok = false;
          for (const auto& b : kBaseChains) {
            if (name == b.name)
              ok = c->value("type", "") == b.type && c->value("hook", "") == b.hook &&
                   c->value("prio", 1 << 30) == b.prio && c->value("policy", "") == "accept";
          }
          for (const char* n : kChains) ok |= !c->contains("hook") && name == n;
          if (ok) chains_ok.insert(name);
        } else if (auto r = item.find("rule"); r != item.end()) {
          if (r->value("comment", "") == kBaseComment) ++base_rules;
        }
      }
    }
    matches = chains_ok.size() == std::size(kBaseChains) + std::size(kChains) &&
              base_rules == std::size(kBaseRules);
  } else {
    std::string err = short_error(nft_ctx_get_error_buffer(ctx));
    if (errc_from_nft(err) != Errc::NotFound)
      return fail(errc_from_nft(err), fmt::format("listing nftables table ip {}: {}", table, err));
  }
  if (exists && matches && stale == Stale::Keep) return fw;
  if (exists && stale == Stale::Keep)
    log::warn("nftables table ip {} has an unexpected layout; rebuilding it", table);

  std::string cmds;
  if (exists) cmds += fmt::format("delete table ip {}\n", table);
  cmds += fmt::format("add table ip {}\n", table);
  for (const auto& b : kBaseChains) {
    cmds += fmt::format("add chain ip {} {} {{ type {} hook {} priority {}; policy accept; }}\n",
                        table, b.name, b.type, b.hook, b.prio);
  }
  for (const char* n : kChains) cmds += fmt::format("add chain ip {} {}\n", table, n);
  for (const auto& r : kBaseRules)
    cmds += fmt::format("add rule ip {} {} {} comment \"{}\"\n", table, r[0], r[1], kBaseComment);
  TRYV_CTX(fw->run(cmds), fmt::format("creating nftables table ip {}", table));
  return fw;
}

Firewall::~Firewall() {
  if (ctx_) nft_ctx_free(ctx_);
}

Result<void> Firewall::run(const std::string& cmds) {
  if (!ctx_) return fail(Errc::NotFound, fmt::format("nftables table {} was destroyed", table_));
  if (nft_run_cmd_from_buffer(ctx_, cmds.c_str()) != 0) {
    std::string err = short_error(nft_ctx_get_error_buffer(ctx_));
    return fail(errc_from_nft(err), fmt::format("nftables: {}", err));
  }
  return {};
}

Result<std::vector<Firewall::Rule>> Firewall::list_rules() {
  if (!ctx_) return fail(Errc::NotFound, fmt::format("nftables table {} was destroyed", table_));
  nft_ctx_output_set_flags(ctx_, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_run_cmd_from_buffer(ctx_, fmt::format("list table ip {}", table_).c_str());
  nft_ctx_output_set_flags(ctx_, 0);
  if (rc != 0) {
    std::string err = short_error(nft_ctx_get_error_buffer(ctx_));
    return fail(errc_from_nft(err), fmt::format("listing nftables table ip {}: {}", table_, err));
  }
  auto doc = json::parse(nft_ctx_get_output_buffer(ctx_), nullptr, false);
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array())
    return fail(Errc::Internal, "libnftables returned unexpected JSON");
  std::vector<Rule> rules;
  for (const auto& item : doc["nftables"]) {
    auto r = item.find("rule");
    if (r == item.end() || !r->is_object()) continue;
    rules.push_back({r->value("chain", ""), r->value("handle", uint64_t(0)), r->value("comment", "")});
  }
  return rules;
}

Result<std::string> Firewall::delete_cmds(const std::string& comment) {
  std::string cmds;
  for (const auto& r : TRY(list_rules())) {
    if (r.comment == comment)
      cmds += fmt::format("delete rule ip {} {} handle {}\n", table_, r.chain, r.handle);
  }
  return cmds;
}

Result<std::vector<std::string>> Firewall::comments_with_prefix(const std::string& prefix) {
  std::set<std::string> out;
  for (const auto& r : TRY(list_rules())) {
    if (r.comment.starts_with(prefix)) out.insert(r.comment.substr(prefix.size()));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<void> Firewall::add_network(const std::string& bridge, const std::string& subnet,
                                   bool internal) {
  TRYV(check_bridge(bridge));
  std::string net = TRY(normalize_subnet(subnet));
  std::lock_guard lock(mu_);
  std::string tag = fmt::format("comment \"net:{}\"", bridge);
  std::string cmds = TRY(delete_cmds("net:" + bridge));
  auto rule = [&](std::string_view chain, const std::string& body) {
    cmds += fmt::format("add rule ip {} {} {} {}\n", table_, chain, body, tag);
  };
  if (internal) {
    rule("internal", fmt::format("iifname \"{0}\" oifname != \"{0}\" drop", bridge));
    rule("internal", fmt::format("oifname \"{0}\" iifname != \"{0}\" drop", bridge));
  } else {
    // Outbound NAT (Docker: -s SUBNET ! -o BRIDGE -j MASQUERADE).
    rule("postrouting", fmt::format("ip saddr {} oifname != \"{}\" masquerade", net, bridge));
    // New connections from elsewhere into the bridge: only published ports
    // (ct status dnat) and replies (established) pass; both accepted earlier.
    rule("isolation", fmt::format("oifname \"{0}\" iifname != \"{0}\" drop", bridge));
  }
  // The host's 127.0.0.1:PORT DNATed to a container leaves with source 127.0.0.1
  // (allowed by route_localnet): give it the bridge's address.
  rule("postrouting", fmt::format("oifname \"{}\" ip saddr 127.0.0.0/8 masquerade", bridge));
  // Hairpin: a container reaching a published port of its own network through a
  // host address; without SNAT the answer would bypass the host's conntrack.
  rule("postrouting",
       fmt::format("oifname \"{}\" ip saddr {} ct status dnat masquerade", bridge, net));
  // route_localnet lets the bridge carry 127.0.0.0/8: refuse it from containers.
  rule("raw_prerouting", fmt::format("iifname \"{}\" ip saddr 127.0.0.0/8 drop", bridge));
  rule("raw_prerouting", fmt::format("iifname \"{}\" ip daddr 127.0.0.0/8 drop", bridge));
  TRYV_CTX(run(cmds), fmt::format("adding firewall rules for network {}", bridge));
  TRYV(write_proc_sys("net/ipv4/ip_forward", "1"));
  return {};
}

Result<void> Firewall::remove_network(const std::string& bridge) {
  TRYV(check_bridge(bridge));
  std::lock_guard lock(mu_);
  std::string cmds = TRY(delete_cmds("net:" + bridge));
  if (cmds.empty()) return {};
  TRYV_CTX(run(cmds), fmt::format("removing firewall rules for network {}", bridge));
  return {};
}

Result<void> Firewall::add_ports(const std::string& owner, const std::string& container_ip,
                                 const std::string& bridge,
                                 const std::vector<PortBinding>& bindings) {
  if (!valid_name(owner, 100, true))
    return fail(Errc::InvalidArgument, fmt::format("invalid port owner: \"{}\"", owner));
  TRYV(check_bridge(bridge));
  std::string cip = TRY(check_ipv4(container_ip));
  std::string body;
  for (const auto& b : bindings) {
    if (b.host_port == 0 || (b.host_port_end != 0 && b.host_port_end != b.host_port))
      return fail(Errc::InvalidArgument,
                  fmt::format("port binding {} -> {} is not resolved", b.host_str(),
                              port_key(b.container_port, b.proto)));
    if (b.container_port == 0) return fail(Errc::InvalidArgument, "port binding without a container port");
    std::string match;
    if (!b.host_ip.empty() && b.host_ip != "0.0.0.0")
      match = fmt::format("ip daddr {} ", TRY(check_ipv4(b.host_ip)));
    body += fmt::format("add rule ip {} ports {}{} dport {} dnat to {}:{} comment \"port:{}\"\n",
                        table_, match, proto_name(b.proto), b.host_port, cip, b.container_port,
                        owner);
  }
  {
    std::lock_guard lock(mu_);
    std::string cmds = TRY(delete_cmds("port:" + owner));
    cmds += body;
    if (!cmds.empty())
      TRYV_CTX(run(cmds), fmt::format("publishing ports of {}", owner));
  }
  if (!bindings.empty())
    TRYV(write_proc_sys(fmt::format("net/ipv4/conf/{}/route_localnet", bridge), "1"));
  return {};
}

Result<void> Firewall::remove_ports(const std::string& owner) {
  if (!valid_name(owner, 100, true))
    return fail(Errc::InvalidArgument, fmt::format("invalid port owner: \"{}\"", owner));
  std::lock_guard lock(mu_);
  std::string cmds = TRY(delete_cmds("port:" + owner));
  if (cmds.empty()) return {};
  TRYV_CTX(run(cmds), fmt::format("unpublishing ports of {}", owner));
  return {};
}

Result<std::vector<std::string>> Firewall::owners() {
  std::lock_guard lock(mu_);
  return comments_with_prefix("port:");
}

Result<std::vector<std::string>> Firewall::networks() {
  std::lock_guard lock(mu_);
  return comments_with_prefix("net:");
}

Result<void> Firewall::destroy() {
  std::lock_guard lock(mu_);
  if (!ctx_) return {};
  auto r = run(fmt::format("delete table ip {}", table_));
  if (!r && r.error().code != Errc::NotFound)
    return std::unexpected(std::move(r).error().wrap("deleting nftables table " + table_));
  nft_ctx_free(ctx_);
  ctx_ = nullptr;
  return {};
}

}  // namespace berth::net
