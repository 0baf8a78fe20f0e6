// A container's networks: endpoints made at start in its network namespace,
// published ports and the embedded DNS, undone at exit; connect and
// disconnect of running (or created) containers.
#include "base/log.h"
#include "engine/engine.h"
#include "engine/networks/network_service.h"
#include "net/ports.h"

namespace berth::engine {
namespace {

bool uses_bridge_networks(const Container& c) {
  std::string mode = c.host_config.value("NetworkMode", "default");
  return mode != "host" && mode != "none";
}

}  // namespace

std::vector<NetworkContainerView> Engine::network_views() {
  std::lock_guard lk(mu_);
  std::vector<NetworkContainerView> out;
  for (const auto& [id, c] : containers_) {
    if (c->endpoints.empty()) continue;
    NetworkContainerView v{id, c->name.substr(1), {}};
    for (auto& [name, j] : c->endpoints.items()) {
      auto ep = Endpoint::from_json(name, j);
      v.endpoints[ep.network_id] = ep;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<void> Engine::connect_networks(const std::shared_ptr<Container>& c, const std::string& netns) {
  if (!uses_bridge_networks(*c)) return {};
  nlohmann::json requests;
  nlohmann::json host_config;
  nlohmann::json exposed;
  {
    std::lock_guard lk(mu_);
    requests = c->network_requests;
    host_config = c->host_config;
    exposed = c->config.value("ExposedPorts", nlohmann::json::object());
  }
  nlohmann::json endpoints = nlohmann::json::object();
  std::vector<Endpoint> made;
  bool user_defined = false;
  auto undo = [&] {
    for (const auto& ep : made) networks_->detach(c->id, ep, true);
  };
  int index = 0;
  for (const auto& r : requests) {
    std::string name = r.value("Name", "");
    auto net = networks_->find(name);
    if (!net) {
      undo();
      return std::unexpected(net.error());
    }
    user_defined |= networks_->is_user_defined(*net);
    std::vector<std::string> aliases = r.value("Aliases", std::vector<std::string>{});
    if (networks_->is_user_defined(*net)) aliases.push_back(c->id.substr(0, 12));
    auto ep = networks_->attach(c->id, name, netns, "eth" + std::to_string(index), r.value("IPv4Address", ""),
                                aliases, index == 0);
    if (!ep) {
      undo();
      return std::unexpected(ep.error());
    }
    made.push_back(*ep);
    endpoints[(*net)["Name"].get<std::string>()] = ep->to_json();
    ++index;
  }
  // Published ports go to the first network's address.
  std::vector<net::PortBinding> bindings;
  if (host_config.contains("PortBindings") && host_config["PortBindings"].is_object()) {
    auto b = net::port_bindings_from_json(host_config["PortBindings"]);
    if (!b) {
      undo();
      return std::unexpected(b.error());
    }
    bindings = *b;
  }
  if (host_config.value("PublishAllPorts", false)) {
    auto all = net::publish_all(bindings, exposed);
    if (!all) {
      undo();
      return std::unexpected(all.error());
    }
    bindings = *all;
  }
  nlohmann::json published = nlohmann::json::object();
  if (!bindings.empty() && !made.empty()) {
    auto actual = networks_->publish(c->id, made.front(), bindings);
    if (!actual) {
      undo();
      return std::unexpected(actual.error());
    }
    published = net::port_bindings_to_json(*actual, true);
  }
  if (user_defined) {
    if (auto r = networks_->dns_add(c->id, netns); !r) {
      networks_->unpublish(c->id);
      undo();
      return std::unexpected(r.error());
    }
  }
  std::lock_guard lk(mu_);
  c->endpoints = endpoints;
  c->published = published;
  return {};
}

void Engine::disconnect_networks(const std::shared_ptr<Container>& c) {
  nlohmann::json endpoints;
  {
    std::lock_guard lk(mu_);
    endpoints = c->endpoints;
  }
  if (endpoints.empty()) return;
  bool published, user_defined = false;
  {
    std::lock_guard lk(mu_);
    published = !c->published.empty();
  }
  for (auto& [name, j] : endpoints.items()) user_defined |= name != "bridge";
  if (user_defined) networks_->dns_remove(c->id);
  if (published) networks_->unpublish(c->id);
  // The veths are not deleted one by one: removing the namespace (which the
  // caller does next) lets the kernel take them down in the background;
  // deleting a device here waits for an RCU grace period on the exit path.
  for (auto& [name, j] : endpoints.items()) networks_->detach(c->id, Endpoint::from_json(name, j), false);
  std::lock_guard lk(mu_);
  c->endpoints = nlohmann::json::object();
  c->published = nlohmann::json::object();
}

Result<void> Engine::network_connect(const std::string& network, const std::string& container,
                                     const nlohmann::json& config) {
  auto net = TRY(networks_->find(network));
  auto c = TRY(find(container));
  std::lock_guard op(c->op_mu);
  std::string name = net["Name"];
  if (!networks_->is_user_defined(net) && name != "bridge")
    return fail(Errc::PermissionDenied,
                "container cannot be disconnected from host network or connected to host network");
  std::vector<std::string> aliases;
  std::string ip;
  if (config.is_object()) {
    if (config.contains("Aliases") && config["Aliases"].is_array()) aliases = config["Aliases"].get<std::vector<std::string>>();
    if (config.contains("IPAMConfig") && config["IPAMConfig"].is_object())
      ip = config["IPAMConfig"].value("IPv4Address", "");
  }
  bool running;
  int index;
  {
    std::lock_guard lk(mu_);
    if (c->host_config.value("NetworkMode", "default") == "host" || c->host_config.value("NetworkMode", "") == "none")
      return fail(Errc::PermissionDenied, "container sharing network namespace with another container or host cannot be connected to any other network");
    for (const auto& r : c->network_requests)
      if (r.value("Name", "") == name)
        return fail(Errc::PermissionDenied, "endpoint with name " + c->name.substr(1) + " already exists in network " + name);
    running = c->state.running;
    index = static_cast<int>(c->endpoints.size());
  }
  nlohmann::json request = {{"Name", name}, {"Aliases", aliases}, {"IPv4Address", ip}};
  if (running) {
    if (!networks_->is_user_defined(net) && !ip.empty())
      return fail(Errc::InvalidArgument, "user specified IP address is supported on user defined networks only");
    if (networks_->is_user_defined(net)) aliases.push_back(c->id.substr(0, 12));
    auto ep = TRY(networks_->attach(c->id, name, bundle_dir(c->id) + "/netns", "eth" + std::to_string(index), ip,
                                    aliases, index == 0));
    if (networks_->is_user_defined(net)) (void)networks_->dns_add(c->id, bundle_dir(c->id) + "/netns");
    std::lock_guard lk(mu_);
    c->endpoints[name] = ep.to_json();
  }
  std::lock_guard lk(mu_);
  c->network_requests.push_back(request);
  // Names on the new network resolve through 127.0.0.11 from now on.
  if (running && networks_->is_user_defined(net))
    if (auto r = write_etc_files(*c, true); !r) log::warn("container {}: {}", c->id, r.error().str());
  (void)persist(*c);
  publish(*c, "connect", {{"network", name}});
  return {};
}

Result<void> Engine::network_disconnect(const std::string& network, const std::string& container, bool force) {
  auto net = TRY(networks_->find(network));
  auto c = TRY(find(container));
  std::lock_guard op(c->op_mu);
  std::string name = net["Name"];
  nlohmann::json ep_json;
  {
    std::lock_guard lk(mu_);
    auto& reqs = c->network_requests;
    auto it = std::find_if(reqs.begin(), reqs.end(), [&](const nlohmann::json& r) { return r.value("Name", "") == name; });
    if (it == reqs.end() && !force)
      return fail(Errc::Conflict, "container " + c->id + " is not connected to network " + name);
    if (it != reqs.end()) reqs.erase(it);
    if (c->endpoints.contains(name)) {
      ep_json = c->endpoints[name];
      c->endpoints.erase(name);
    }
    (void)persist(*c);
  }
  if (!ep_json.is_null()) {
    auto ep = Endpoint::from_json(name, ep_json);
    // Remove the interface inside the namespace; the veth pair goes with it.
    networks_->detach(c->id, ep, true);
  }
  std::lock_guard lk(mu_);
  publish(*c, "disconnect", {{"network", name}});
  return {};
}

}  // namespace berth::engine
