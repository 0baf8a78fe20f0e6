// Networks for the engine: the default `bridge` network plus `host` and
// `none`, user-defined bridge networks (records in SQLite with their IPAM
// allocations), and container endpoints: a veth into the container's
// network namespace on the network's bridge, its address, published ports
// (nftables) and the embedded DNS. Everything goes through netlink and
// libnftables (src/net); nothing here runs a process.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "metadata/network_store.h"
#include "net/dns.h"
#include "net/firewall.h"
#include "net/host_claim.h"
#include "net/ports.h"

namespace berth::engine {

struct NetworkConfig {
  std::string db_path;
  std::string default_bridge = "berth0";  // daemon.json "bridge"
  std::string default_bip;                // daemon.json "bip" (gateway CIDR); chosen when empty
  std::string firewall_table = "berth";
  int mtu = 1500;
  // The daemon holds its bridges and its table exclusively while it lives
  // (net/host_claim.h): claims in `claim_dir`, naming `data_root` (db_path's
  // directory when empty) to a daemon they refuse.
  std::string data_root;
  std::string claim_dir = net::kClaimDir;
};

// A network the container asked to join, in order of joining.
struct NetworkRequest {
  std::string name;  // the network's canonical name
  std::vector<std::string> aliases;
  std::string ipv4_address;  // requested (user-defined networks only)
  std::vector<std::string> links;  // "name[:alias]" (user-defined networks only)
  std::string mac_address;         // requested; empty: Docker's 02:42:<address bytes>
  bool operator==(const NetworkRequest&) const = default;
};

// What a container's endpoint on one network is (kept in the container's
// NetworkSettings.Networks[name], Docker's EndpointSettings plus "HostVeth").
struct Endpoint {
  std::string network_id, network_name, endpoint_id;
  std::string ip, gateway, mac, host_veth, bridge;
  int prefix = 0;
  std::vector<std::string> aliases;
  std::vector<std::string> links;  // "name[:alias]": alias -> name for this container's queries
  nlohmann::json to_json() const;
  static Endpoint from_json(const std::string& network_name, const nlohmann::json& j);
};

// Container names and aliases per network, for DNS and `network inspect`:
// the engine answers (container id -> name, endpoints with aliases and IP).
struct NetworkContainerView {
  std::string id, name;
  std::map<std::string, Endpoint> endpoints;  // by network id
};

// The embedded DNS's answer for `qname` asked by container_id: the addresses of
// the containers on the asker's networks whose name, alias or id (12 hex
// digits or more) it is, after the asker's endpoint links on each network
// (alias -> name); nullopt when none (the query is forwarded then).
std::optional<std::vector<std::string>> resolve_container_name(const std::vector<NetworkContainerView>& all,
                                                               const std::string& container_id,
                                                               const std::string& qname);

class NetworkService {
 public:
  using Containers = std::function<std::vector<NetworkContainerView>()>;

  // Claims the table and every bridge first (Conflict, naming the other
  // daemon, when one is held: nothing on the host is touched then), then sets
  // up the table, the default networks and their bridges. On a fresh data
  // root the `bridge` network takes the address its bridge already has (see
  // net::default_bridge_address).
  static Result<std::unique_ptr<NetworkService>> open(const NetworkConfig& cfg, Containers containers);

  // Docker's network API.
  Result<nlohmann::json> create(const nlohmann::json& body);  // {"Id","Warning"}
  Result<nlohmann::json> list(const nlohmann::json& filters);
  Result<nlohmann::json> inspect(const std::string& ref);
  Result<void> remove(const std::string& ref);
  Result<nlohmann::json> prune(const nlohmann::json& filters);
  // Resolves a name/id (prefix) to the record: {"Id","Name","Driver",...}.
  Result<nlohmann::json> find(const std::string& ref);

  // Container endpoints. attach() allocates an address (the requested one,
  // or the next free), plugs a veth into netns_path as `ifname` with the
  // requested MAC (or Docker's from the address), and with `first` makes it
  // the default route.
  Result<Endpoint> attach(const std::string& container_id, const NetworkRequest& request,
                          const std::string& netns_path, const std::string& ifname,
                          const std::vector<std::string>& aliases, bool first);
  void detach(const std::string& container_id, const Endpoint& ep, bool unplug);
  // Published ports of a container (-p): reserve, then DNAT; undone by unpublish.
  Result<std::vector<net::PortBinding>> publish(const std::string& container_id, const Endpoint& ep,
                                                const std::vector<net::PortBinding>& bindings);
  void unpublish(const std::string& container_id);
  // DNS for containers on user-defined networks.
  Result<void> dns_add(const std::string& container_id, const std::string& netns_path);
  void dns_remove(const std::string& container_id);
  // After a restart: rules and reservations of containers no longer running go.
  void cleanup_stale(const std::set<std::string>& running_container_ids);

  bool is_user_defined(const nlohmann::json& network) const;

 private:
  NetworkService() = default;
  Result<void> claim_all();
  // Claims a bridge for this daemon (kept until the network is removed);
  // `hint` is added to the Conflict message.
  Result<void> claim_bridge(const std::string& bridge, const std::string& hint);
  Result<nlohmann::json> new_default_network();
  Result<void> follow_bip(const metadata::NetworkRow& row);
  Result<void> ensure_defaults();
  Result<void> bring_up(const nlohmann::json& net);
  std::optional<std::vector<std::string>> lookup(const std::string& container_id, const std::string& qname);

  NetworkConfig cfg_;
  // Declared first, so released last.
  net::HostClaim table_claim_;
  std::map<std::string, net::HostClaim> bridge_claims_;  // by bridge name; under mu_ after open
  Containers containers_;
  std::optional<metadata::NetworkStore> store_;
  std::unique_ptr<net::Firewall> firewall_;
  std::unique_ptr<net::DnsServer> dns_;
  std::mutex mu_;
  std::map<std::string, net::PortReservation> reservations_;  // by container id
};

}  // namespace berth::engine
