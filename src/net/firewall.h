// berthd's packet filter: one nftables table of its own (family ip, default
// name "berth"), programmed through libnftables (never the nft binary).
// Nothing outside that table is touched, except these /proc/sys knobs:
//   - net.ipv4.ip_forward = 1 when a network is added (bridged containers need
//     routing, as with Docker); never reset, since other software may rely on it;
//   - net.ipv4.conf.<bridge>.route_localnet = 1 when ports are published on a
//     bridge, so that 127.0.0.1:HOSTPORT can be DNATed to a container (Docker's
//     --userland-proxy=false). Packets from the bridge to or from 127.0.0.0/8 are
//     dropped in the raw prerouting chain (CVE-2020-8558).
// Every base chain has policy accept: berth drops only traffic of its own
// bridges, and other tables (firewalld, libvirt, Docker's iptables) still get
// their say. NOTE: a host whose iptables FORWARD policy is DROP (e.g. Docker is
// installed) also drops berth's bridged traffic; berth does not change that.
//
// Table layout (see firewall.cc for the exact rules):
//   prerouting  nat dstnat     fib daddr type local -> jump ports
//   output      nat -100       fib daddr type local -> jump ports   (incl. 127.0.0.1)
//   ports                      [ip daddr H] tcp|udp dport P dnat to C:Q   "port:<owner>"
//   postrouting nat srcnat     per network: masquerade subnet -> other interfaces,
//                              loopback -> bridge, hairpin (DNATed from the subnet
//                              back into it)                           "net:<bridge>"
//   forward     filter         jump internal; established,related accept;
//                              ct status dnat accept; jump isolation
//   internal                   internal network: nothing in or out of its bridge
//   isolation                  nothing reaches a bridge from another interface
//                              unless published (DNAT) or a reply
//   raw_prerouting filter raw  anti route_localnet abuse per bridge
// A container reaching its own published port through a host address needs
// hairpin mode on its bridge port (the link module's job, as Docker sets it
// without the userland proxy): with br_netfilter loaded the DNAT happens at the
// bridge and the frame must go back out of the port it came in.
//
// Every rule berth adds carries a comment naming its owner, so a restarted
// daemon finds them (owners(), networks()) and removes what is stale.
//
// Thread-safe (one mutex around the libnftables context). Each call is one
// nftables transaction: it applies completely or not at all.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/ports.h"

struct nft_ctx;

namespace berth::net {

class Firewall {
 public:
  enum class Stale {
    // Keep an existing table whose layout matches this version (its rules stay:
    // containers outlive the daemon); rebuild one that does not match.
    Keep,
    // Delete any existing table and start empty.
    Flush,
  };

  // Creates the table and its chains, or adopts an existing one (see Stale).
  // Idempotent. Table names: [A-Za-z0-9_-], up to 64 characters.
  static Result<std::unique_ptr<Firewall>> open(const std::string& table = "berth",
                                                Stale stale = Stale::Keep);
  ~Firewall();
  Firewall(const Firewall&) = delete;
  Firewall& operator=(const Firewall&) = delete;

  const std::string& table() const { return table_; }

  // Rules for a bridge network with an IPv4 subnet ("10.202.0.0/24"). Not
  // internal: traffic from the subnet leaving through another interface is
  // masqueraded. Internal: nothing is forwarded into or out of the bridge.
  // Both: isolation from other berth bridges and from outside (except published
  // ports and replies). Sets net.ipv4.ip_forward=1. Replaces the bridge's
  // previous rules, if any (same transaction).
  Result<void> add_network(const std::string& bridge, const std::string& subnet, bool internal);
  // Removes the bridge's rules; no rules is not an error.
  Result<void> remove_network(const std::string& bridge);

  // DNAT for resolved bindings (host_port set; see reserve_ports): host port ->
  // container_ip:container_port, for traffic arriving from anywhere and for the
  // host's own, 127.0.0.1 included. Sets route_localnet=1 on `bridge`. Owner:
  // [A-Za-z0-9_.-], up to 100 characters (a container id). Replaces the
  // owner's previous rules, if any (same transaction).
  Result<void> add_ports(const std::string& owner, const std::string& container_ip,
                         const std::string& bridge, const std::vector<PortBinding>& bindings);
  // Removes the owner's rules; no rules is not an error.
  Result<void> remove_ports(const std::string& owner);

  // Owners with port rules / bridges with network rules, sorted, unique.
  Result<std::vector<std::string>> owners();
  Result<std::vector<std::string>> networks();

  // Deletes the table (all rules). The object is unusable afterwards.
  Result<void> destroy();

 private:
  Firewall(std::string table, nft_ctx* ctx) : table_(std::move(table)), ctx_(ctx) {}
  struct Rule {
    std::string chain;
    uint64_t handle = 0;
    std::string comment;
  };
  Result<void> run(const std::string& cmds);
  Result<std::vector<Rule>> list_rules();
  // "delete rule" commands for every rule whose comment is `comment`.
  Result<std::string> delete_cmds(const std::string& comment);
  Result<std::vector<std::string>> comments_with_prefix(const std::string& prefix);

  std::string table_;
  nft_ctx* ctx_ = nullptr;
  std::mutex mu_;
};

}  // namespace berth::net
