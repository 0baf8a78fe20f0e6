#include "engine/networks/network_service.h"

#include <sys/random.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/prune_filter.h"
#include "net/ipam.h"
#include "net/link.h"

namespace berth::engine {
namespace {

std::string random_id() {
  unsigned char b[32];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += n;
  }
  std::string id;
  for (unsigned char c : b) id += fmt::format("{:02x}", c);
  return id;
}

// A string field that may be absent or null (SDKs send "Gateway": null).
std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string bridge_of(const nlohmann::json& net) { return net.value("/Berth/Bridge"_json_pointer, std::string()); }

nlohmann::json network_doc(const std::string& id, const std::string& name, const std::string& driver,
                           const std::string& subnet, const std::string& gateway, const std::string& ip_range,
                           bool internal, const nlohmann::json& options, const nlohmann::json& labels,
                           const std::string& bridge) {
  nlohmann::json config = nlohmann::json::array();
  if (!subnet.empty()) {
    nlohmann::json c = {{"Subnet", subnet}, {"Gateway", gateway}};
    if (!ip_range.empty()) c["IPRange"] = ip_range;
    config.push_back(c);
  }
  return {{"Name", name},
          {"Id", id},
          {"Created", rfc3339_now()},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", nlohmann::json::object()}, {"Config", config}}},
          {"Internal", internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Options", options.is_object() ? options : nlohmann::json::object()},
          {"Labels", labels.is_object() ? labels : nlohmann::json::object()},
          {"Berth", {{"Bridge", bridge}}}};
}

Result<net::Pool> pool_of(const nlohmann::json& net) {
  const auto& cfg = net["IPAM"]["Config"];
  if (!cfg.is_array() || cfg.empty()) return fail(Errc::InvalidArgument, "network " + net.value("Name", "") + " has no subnet");
  net::PoolSpec spec;
  spec.subnet = str(cfg[0], "Subnet");
  spec.gateway = str(cfg[0], "Gateway");
  spec.ip_range = str(cfg[0], "IPRange");
  return net::make_pool(spec);
}

}  // namespace

nlohmann::json Endpoint::to_json() const {
  return {{"IPAMConfig", nullptr},
          {"Links", links.empty() ? nlohmann::json(nullptr) : nlohmann::json(links)},
          {"Aliases", aliases.empty() ? nlohmann::json(nullptr) : nlohmann::json(aliases)},
          {"NetworkID", network_id},
          {"EndpointID", endpoint_id},
          {"Gateway", gateway},
          {"IPAddress", ip},
          {"IPPrefixLen", prefix},
          {"IPv6Gateway", ""},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"MacAddress", mac},
          {"DriverOpts", nullptr},
          {"HostVeth", host_veth},
          {"Bridge", bridge}};
}

Endpoint Endpoint::from_json(const std::string& network_name, const nlohmann::json& j) {
  Endpoint ep;
  ep.network_name = network_name;
  ep.network_id = j.value("NetworkID", "");
  ep.endpoint_id = j.value("EndpointID", "");
  ep.ip = j.value("IPAddress", "");
  ep.gateway = j.value("Gateway", "");
  ep.mac = j.value("MacAddress", "");
  ep.prefix = j.value("IPPrefixLen", 0);
  ep.host_veth = j.value("HostVeth", "");
  ep.bridge = j.value("Bridge", "");
  if (j.contains("Aliases") && j["Aliases"].is_array()) ep.aliases = j["Aliases"].get<std::vector<std::string>>();
  if (j.contains("Links") && j["Links"].is_array()) ep.links = j["Links"].get<std::vector<std::string>>();
  return ep;
}

Result<std::unique_ptr<NetworkService>> NetworkService::open(const NetworkConfig& cfg, Containers containers) {
  std::unique_ptr<NetworkService> s(new NetworkService());
  s->cfg_ = cfg;
  if (s->cfg_.data_root.empty())
    s->cfg_.data_root = std::filesystem::absolute(std::filesystem::path(cfg.db_path).parent_path()).string();
  s->containers_ = std::move(containers);
  s->store_.emplace(TRY(metadata::NetworkStore::open(cfg.db_path)));
  // Before anything on the host is touched: a daemon refused here leaves the
  // other daemon's bridge and table as they are.
  TRYV(s->claim_all());
  s->firewall_ = TRY_CTX(net::Firewall::open(cfg.firewall_table), "setting up berth's nftables table");
  auto upstream = net::upstreams_from_resolv_conf(read_file("/etc/resolv.conf").value_or(""));
  auto* self = s.get();
  s->dns_ = TRY(net::DnsServer::create(
      [self](const std::string& cid, const std::string& q) { return self->lookup(cid, q); }, upstream));
  TRYV(s->ensure_defaults());
  return s;
}

bool NetworkService::is_user_defined(const nlohmann::json& net) const {
  std::string name = net.value("Name", "");
  return net.value("Driver", "") == "bridge" && name != "bridge";
}

Result<void> NetworkService::bring_up(const nlohmann::json& net) {
  if (net.value("Driver", "") != "bridge") return {};
  auto pool = TRY(pool_of(net));
  std::string bridge = bridge_of(net);
  int mtu = cfg_.mtu;
  if (net["Options"].contains("com.docker.network.driver.mtu"))
    mtu = std::stoi(net["Options"]["com.docker.network.driver.mtu"].get<std::string>());
  TRYV_CTX(net::ensure_bridge(bridge, net::format_cidr({pool.gateway, pool.subnet.prefix}), mtu),
           "setting up the bridge of network " + net.value("Name", ""));
  TRYV(firewall_->add_network(bridge, net::format_cidr(pool.subnet.as_network()), net.value("Internal", false)));
  return {};
}

Result<void> NetworkService::claim_bridge(const std::string& bridge, const std::string& hint) {
  if (bridge_claims_.contains(bridge)) return {};
  auto claim = net::HostClaim::take(cfg_.claim_dir, net::ClaimKind::Bridge, bridge, cfg_.data_root);
  if (!claim) {
    if (claim.error().code == Errc::Conflict && !hint.empty()) claim.error().message += ": " + hint;
    return std::unexpected(std::move(claim).error());
  }
  bridge_claims_.emplace(bridge, std::move(*claim));
  return {};
}

Result<void> NetworkService::claim_all() {
  auto table = net::HostClaim::take(cfg_.claim_dir, net::ClaimKind::NftTable, cfg_.firewall_table, cfg_.data_root);
  if (!table) {
    if (table.error().code == Errc::Conflict) table.error().message += ": give each daemon its own --firewall-table";
    return std::unexpected(std::move(table).error());
  }
  table_claim_ = std::move(*table);
  // The default network's bridge: the record's, or --bridge for a new record.
  std::string default_bridge = cfg_.default_bridge;
  if (auto row = store_->get_by_name("bridge"))
    if (auto b = bridge_of(nlohmann::json::parse(row->doc)); !b.empty()) default_bridge = b;
  TRYV(claim_bridge(default_bridge, "give each daemon its own --bridge"));
  for (auto& row : TRY(store_->list())) {
    auto doc = nlohmann::json::parse(row.doc);
    if (doc.value("Driver", "") != "bridge" || bridge_of(doc).empty()) continue;
    TRYV_CTX(claim_bridge(bridge_of(doc), ""), "network " + row.name);
  }
  return {};
}

// The record of the default network on a data root that has none: its
// subnet as dockerd settles docker0's (net::default_bridge_address).
Result<nlohmann::json> NetworkService::new_default_network() {
  std::vector<net::Ipv4Net> on_bridge = TRY(net::link_ipv4_addresses(cfg_.default_bridge));
  std::vector<net::Ipv4Net> in_use;
  if (cfg_.default_bip.empty() && on_bridge.empty()) {
    in_use = TRY(net::host_networks());
    for (auto& row : TRY(store_->list()))
      if (auto p = pool_of(nlohmann::json::parse(row.doc))) in_use.push_back(p->subnet);
  }
  auto gw = TRY_CTX(net::default_bridge_address(on_bridge, cfg_.default_bip, in_use), "choosing the default network's subnet");
  if (cfg_.default_bip.empty() && !on_bridge.empty())
    log::info("bridge {} has the address {}: the bridge network takes it (--bip sets another)", cfg_.default_bridge,
              net::format_cidr(on_bridge.front()));
  std::string id = random_id();
  return network_doc(id, "bridge", "bridge", net::format_cidr(gw.as_network()), net::format_ipv4(gw.addr), "", false,
                     {{"com.docker.network.bridge.default_bridge", "true"},
                      {"com.docker.network.bridge.name", cfg_.default_bridge},
                      {"com.docker.network.driver.mtu", std::to_string(cfg_.mtu)}},
                     {}, cfg_.default_bridge);
}

// dockerd builds its default network from --bip at every start; berth keeps
// the record, and follows a changed --bip while no container has an address
// on it.
Result<void> NetworkService::follow_bip(const metadata::NetworkRow& row) {
  auto want = TRY_CTX(net::default_bridge_address({}, cfg_.default_bip, {}), "--bip");
  auto doc = nlohmann::json::parse(row.doc);
  auto pool = pool_of(doc);
  if (pool && pool->gateway == want.addr && pool->subnet == want.as_network()) return {};
  std::string was = pool ? net::format_cidr({pool->gateway, pool->subnet.prefix}) : "none";
  if (!TRY(store_->allocations(row.id)).empty()) {
    log::warn("--bip {} differs from the bridge network's {}, which containers still use: keeping {}",
              cfg_.default_bip, was, was);
    return {};
  }
  doc["IPAM"]["Config"] = nlohmann::json::array(
      {{{"Subnet", net::format_cidr(want.as_network())}, {"Gateway", net::format_ipv4(want.addr)}}});
  if (doc.contains("Berth")) doc["Berth"].erase("LastAddress");
  TRYV(store_->update(row.id, doc.dump()));
  log::info("the bridge network follows --bip {} (was {})", net::format_cidr(want), was);
  return {};
}

Result<void> NetworkService::ensure_defaults() {
  for (const char* name : {"host", "none"}) {
    if (store_->get_by_name(name)) continue;
    TRYV(store_->insert({random_id(), name,
                         network_doc("", name, name == std::string("host") ? "host" : "null", "", "", "", false,
                                     {}, {}, "")
                             .dump()}));
  }
  // Records made above lack their own Id inside the doc: fix that up once.
  for (auto& row : TRY(store_->list())) {
    auto doc = nlohmann::json::parse(row.doc);
    if (doc.value("Id", "").empty()) {
      doc["Id"] = row.id;
      TRYV(store_->update(row.id, doc.dump()));
    }
  }
  auto existing = store_->get_by_name("bridge");
  if (!existing) {
    auto doc = TRY(new_default_network());
    TRYV(store_->insert({doc["Id"].get<std::string>(), "bridge", doc.dump()}));
  } else if (!cfg_.default_bip.empty()) {
    TRYV(follow_bip(*existing));
  }
  // Bridges and their rules come back after a reboot (or a crash that lost them).
  for (auto& row : TRY(store_->list())) {
    auto doc = nlohmann::json::parse(row.doc);
    if (auto r = bring_up(doc); !r) log::warn("network {}: {}", row.name, r.error().str());
  }
  return {};
}

Result<nlohmann::json> NetworkService::find(const std::string& ref) {
  auto row = store_->find(ref);
  if (!row) {
    if (row.error().code == Errc::NotFound) return fail(Errc::NotFound, "network " + ref + " not found");
    return std::unexpected(row.error());
  }
  return nlohmann::json::parse(row->doc);
}

Result<nlohmann::json> NetworkService::create(const nlohmann::json& body) {
  std::string name = str(body, "Name");
  if (name.empty()) return fail(Errc::InvalidArgument, "network name is required");
  std::string driver = str(body, "Driver");
  if (driver.empty()) driver = "bridge";
  if (driver != "bridge")
    return fail(Errc::InvalidArgument, "plugin \"" + driver + "\" not found: berth has the bridge driver only");
  if (store_->get_by_name(name))
    return fail(Errc::Conflict, "network with name " + name + " already exists");
  nlohmann::json options = body.contains("Options") && body["Options"].is_object() ? body["Options"] : nlohmann::json::object();
  std::lock_guard lk(mu_);
  std::vector<net::Ipv4Net> in_use = TRY(net::host_networks());
  std::vector<std::string> bridges;
  for (auto& row : TRY(store_->list())) {
    auto doc = nlohmann::json::parse(row.doc);
    if (auto p = pool_of(doc)) in_use.push_back(p->subnet);
    bridges.push_back(bridge_of(doc));
  }
  net::PoolSpec spec;
  const nlohmann::json ipam = body.contains("IPAM") && body["IPAM"].is_object() ? body["IPAM"] : nlohmann::json::object();
  if (ipam.is_object() && ipam.contains("Config") && ipam["Config"].is_array() && !ipam["Config"].empty()) {
    const auto& c = ipam["Config"][0];
    spec.subnet = str(c, "Subnet");
    spec.gateway = str(c, "Gateway");
    spec.ip_range = str(c, "IPRange");
  }
  net::Pool pool;
  if (spec.subnet.empty()) {
    auto subnet = TRY(net::choose_subnet(in_use));
    pool = TRY(net::make_pool(subnet, spec));
  } else {
    pool = TRY(net::make_pool(spec));
    TRYV(net::check_overlap(pool.subnet, in_use));
  }
  std::string id = random_id();
  std::string bridge = options.value("com.docker.network.bridge.name", "br-" + id.substr(0, 12));
  if (std::find(bridges.begin(), bridges.end(), bridge) != bridges.end())
    return fail(Errc::Conflict, "bridge name " + bridge + " is used by another network");
  // Held until the network is removed; released on any failure below.
  auto claim = TRY(net::HostClaim::take(cfg_.claim_dir, net::ClaimKind::Bridge, bridge, cfg_.data_root));
  auto doc = network_doc(id, name, "bridge", net::format_cidr(pool.subnet.as_network()), net::format_ipv4(pool.gateway),
                         pool.has_range ? net::format_cidr(pool.range) : "",
                         body.contains("Internal") && body["Internal"].is_boolean() && body["Internal"].get<bool>(),
                         options, body.contains("Labels") && body["Labels"].is_object() ? body["Labels"] : nlohmann::json::object(),
                         bridge);
  TRYV(bring_up(doc));
  if (auto r = store_->insert({id, name, doc.dump()}); !r) {
    (void)firewall_->remove_network(bridge);
    (void)net::remove_bridge(bridge);
    return std::unexpected(r.error());
  }
  bridge_claims_.insert_or_assign(bridge, std::move(claim));
  return nlohmann::json{{"Id", id}, {"Warning", ""}};
}

Result<nlohmann::json> NetworkService::inspect(const std::string& ref) {
  auto doc = TRY(find(ref));
  nlohmann::json containers = nlohmann::json::object();
  for (const auto& c : containers_()) {
    auto it = c.endpoints.find(doc["Id"].get<std::string>());
    if (it == c.endpoints.end()) continue;
    const auto& ep = it->second;
    containers[c.id] = {{"Name", c.name},
                        {"EndpointID", ep.endpoint_id},
                        {"MacAddress", ep.mac},
                        {"IPv4Address", ep.ip.empty() ? "" : ep.ip + "/" + std::to_string(ep.prefix)},
                        {"IPv6Address", ""}};
  }
  doc["Containers"] = containers;
  doc.erase("Berth");
  return doc;
}

Result<nlohmann::json> NetworkService::list(const nlohmann::json& filters) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& row : TRY(store_->list())) {
    auto doc = TRY(inspect(row.id));
    bool keep = true;
    if (filters.is_object()) {
      for (auto& [key, vals] : filters.items()) {
        std::vector<std::string> values;
        if (vals.is_array()) for (auto& v : vals) values.push_back(v.get<std::string>());
        else if (vals.is_object()) for (auto& [v, on] : vals.items()) values.push_back(v);
        if (values.empty()) continue;
        bool ok = false;
        for (const auto& v : values) {
          if (key == "name") ok |= doc["Name"].get<std::string>().find(v) != std::string::npos;
          else if (key == "id") ok |= doc["Id"].get<std::string>().rfind(v, 0) == 0;
          else if (key == "driver") ok |= doc["Driver"] == v;
          else if (key == "type") ok |= (v == "custom") == is_user_defined(doc) || (v == "builtin") == !is_user_defined(doc);
          else if (key == "label") {
            auto eq = v.find('=');
            std::string k = v.substr(0, eq);
            ok |= doc["Labels"].contains(k) && (eq == std::string::npos || doc["Labels"][k] == v.substr(eq + 1));
          } else if (key == "dangling") ok |= (v == "true") == doc["Containers"].empty();
          else return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
        }
        keep &= ok;
      }
    }
    if (keep) out.push_back(doc);
  }
  return out;
}

Result<void> NetworkService::remove(const std::string& ref) {
  auto doc = TRY(inspect(ref));
  std::string name = doc["Name"];
  if (!is_user_defined(doc))
    return fail(Errc::PermissionDenied, name + " is a pre-defined network and cannot be removed");
  if (!doc["Containers"].empty())
    return fail(Errc::Conflict, "error while removing network: network " + name + " id " + doc["Id"].get<std::string>() +
                                    " has active endpoints");
  auto full = TRY(find(ref));
  std::lock_guard lk(mu_);
  TRYV(store_->remove(doc["Id"].get<std::string>()));
  if (auto r = firewall_->remove_network(bridge_of(full)); !r) log::warn("{}", r.error().str());
  if (auto r = net::remove_bridge(bridge_of(full)); !r) log::warn("{}", r.error().str());
  bridge_claims_.erase(bridge_of(full));
  return {};
}

Result<nlohmann::json> NetworkService::prune(const nlohmann::json& filters) {
  // dockerd's network prune takes label, label! and until (not the list's keys).
  auto filter = TRY(PruneFilter::from(TRY(Filters::from_json(filters)), kNetworkPruneKeys));
  nlohmann::json deleted = nlohmann::json::array();
  for (auto& doc : TRY(list(nlohmann::json::object()))) {
    if (!is_user_defined(doc) || !doc["Containers"].empty()) continue;
    std::map<std::string, std::string> labels;
    if (auto l = doc.find("Labels"); l != doc.end() && l->is_object())
      for (const auto& [k, v] : l->items())
        if (v.is_string()) labels[k] = v.get<std::string>();
    auto created = go::parse_rfc3339(doc.value("Created", std::string())).value_or(go::UnixTime{});
    if (!filter.matches(labels, created)) continue;
    if (remove(doc["Id"].get<std::string>())) deleted.push_back(doc["Name"]);
  }
  return nlohmann::json{{"NetworksDeleted", deleted.empty() ? nlohmann::json(nullptr) : deleted}};
}

Result<Endpoint> NetworkService::attach(const std::string& container_id, const NetworkRequest& request,
                                        const std::string& netns_path, const std::string& ifname,
                                        const std::vector<std::string>& aliases, bool first) {
  const std::string& requested_ip = request.ipv4_address;
  auto doc = TRY(find(request.name));
  std::string network_id = doc["Id"];
  auto pool = TRY(pool_of(doc));
  std::optional<uint32_t> wanted;
  if (!requested_ip.empty()) {
    if (!is_user_defined(doc))
      return fail(Errc::InvalidArgument, "user specified IP address is supported on user defined networks only");
    wanted = TRY(net::parse_ipv4(requested_ip));
  }
  std::string address = TRY(store_->allocate_with(
      network_id, container_id, [&](const std::vector<metadata::IpAllocation>& taken_rows) -> Result<std::string> {
        std::set<uint32_t> taken;
        for (const auto& a : taken_rows)
          if (auto ip = net::parse_ipv4(a.address)) taken.insert(*ip);
        if (wanted) {
          TRYV(net::check_requested(pool, *wanted, taken));
          return net::format_ipv4(*wanted);
        }
        std::optional<uint32_t> last;
        if (auto l = doc.value("/Berth/LastAddress"_json_pointer, std::string()); !l.empty())
          if (auto ip = net::parse_ipv4(l)) last = *ip;
        return net::format_ipv4(TRY(net::next_address(pool, taken, last)));
      }));
  Endpoint ep;
  ep.network_id = network_id;
  ep.network_name = doc["Name"];
  ep.endpoint_id = random_id();
  ep.ip = address;
  ep.prefix = pool.subnet.prefix;
  ep.gateway = net::format_ipv4(pool.gateway);
  ep.mac = request.mac_address.empty() ? net::docker_mac(*net::parse_ipv4(address)) : request.mac_address;
  ep.bridge = bridge_of(doc);
  ep.aliases = aliases;
  net::AttachSpec spec;
  spec.netns_path = netns_path;
  spec.bridge = ep.bridge;
  spec.ifname = ifname;
  spec.address = address + "/" + std::to_string(ep.prefix);
  spec.gateway = first && !doc.value("Internal", false) ? ep.gateway : "";
  spec.mac = ep.mac;
  int mtu = cfg_.mtu;
  if (doc["Options"].contains("com.docker.network.driver.mtu"))
    mtu = std::stoi(doc["Options"]["com.docker.network.driver.mtu"].get<std::string>());
  spec.mtu = mtu;
  auto veth = net::attach(spec);
  if (!veth) {
    (void)store_->release(network_id, address);
    return std::unexpected(veth.error());
  }
  ep.host_veth = *veth;
  // Round-robin: remember the last address handed out on this network.
  doc["Berth"]["LastAddress"] = address;
  (void)store_->update(network_id, doc.dump());
  return ep;
}

void NetworkService::detach(const std::string& container_id, const Endpoint& ep, bool unplug) {
  if (unplug && !ep.host_veth.empty()) {
    if (auto r = net::detach(ep.host_veth); !r) log::debug("detaching {}: {}", ep.host_veth, r.error().str());
  }
  if (auto r = store_->release(ep.network_id, ep.ip); !r) log::warn("releasing {}: {}", ep.ip, r.error().str());
  (void)container_id;
}

Result<std::vector<net::PortBinding>> NetworkService::publish(const std::string& container_id, const Endpoint& ep,
                                                              const std::vector<net::PortBinding>& bindings) {
  if (bindings.empty()) return bindings;
  auto reservation = TRY(net::reserve_ports(bindings));
  auto actual = reservation.bindings();
  TRYV(firewall_->add_ports(container_id, ep.ip, ep.bridge, actual));
  std::lock_guard lk(mu_);
  reservations_[container_id] = std::move(reservation);
  return actual;
}

void NetworkService::unpublish(const std::string& container_id) {
  if (auto r = firewall_->remove_ports(container_id); !r) log::warn("unpublishing {}: {}", container_id, r.error().str());
  std::lock_guard lk(mu_);
  reservations_.erase(container_id);
}

Result<void> NetworkService::dns_add(const std::string& container_id, const std::string& netns_path) {
  return dns_->add_container(container_id, netns_path);
}

void NetworkService::dns_remove(const std::string& container_id) { dns_->remove_container(container_id); }

void NetworkService::cleanup_stale(const std::set<std::string>& running) {
  auto owners = firewall_->owners();
  if (!owners) return;
  for (const auto& o : *owners)
    if (!running.count(o)) (void)firewall_->remove_ports(o);
}

std::optional<std::vector<std::string>> NetworkService::lookup(const std::string& container_id,
                                                               const std::string& qname) {
  return resolve_container_name(containers_(), container_id, qname);
}

std::optional<std::vector<std::string>> resolve_container_name(const std::vector<NetworkContainerView>& all,
                                                               const std::string& container_id,
                                                               const std::string& qname) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    return s;
  };
  std::string asked = lower(qname);
  if (!asked.empty() && asked.back() == '.') asked.pop_back();
  const NetworkContainerView* asker = nullptr;
  for (const auto& c : all)
    if (c.id == container_id) asker = &c;
  if (!asker) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& [net_id, my_ep] : asker->endpoints) {
    // A link of this endpoint ("name:alias") makes its alias mean `name` here,
    // as libnetwork's endpoint aliases: for this container, on this network.
    std::string q = asked;
    for (const auto& l : my_ep.links) {
      auto colon = l.find(':');
      std::string name = l.substr(0, colon);
      if (!name.empty() && name.front() == '/') name.erase(0, 1);
      std::string alias = colon == std::string::npos ? name : l.substr(colon + 1);
      if (lower(alias) == asked) {
        q = lower(name);
        break;
      }
    }
    for (const auto& c : all) {
      auto it = c.endpoints.find(net_id);
      if (it == c.endpoints.end()) continue;
      bool match = lower(c.name) == q || (c.id.rfind(q, 0) == 0 && q.size() >= 12);
      for (const auto& a : it->second.aliases) match |= lower(a) == q;
      if (match && std::find(out.begin(), out.end(), it->second.ip) == out.end()) out.push_back(it->second.ip);
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace berth::engine
