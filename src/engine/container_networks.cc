// docker network connect/disconnect of a container: the request is recorded,
// and a running container gets (or loses) its interface at once.
#include "base/log.h"
#include "engine/container_service.h"

namespace berth::engine {

Result<void> ContainerService::connect_network(const std::string& network, const std::string& container,
                                               const model::EndpointRequest& endpoint) {
  auto net = TRY(deps_.networks->resolve(network));
  auto c = TRY(find(container));
  std::lock_guard op(c->op_mu);
  if (!net.user_defined && net.name != "bridge")
    return fail(Errc::PermissionDenied, "container cannot be disconnected from host network or connected to host network");
  bool running;
  std::string ifname;
  {
    std::lock_guard lk(mu_);
    if (!c->spec.host.network_mode.has_own_networks())
      return fail(Errc::PermissionDenied,
                  "container sharing network namespace with another container or host cannot be connected to any other network");
    for (const auto& r : c->networks)
      if (r.name == net.name)
        return fail(Errc::PermissionDenied,
                    "endpoint with name " + c->name.substr(1) + " already exists in network " + net.name);
    running = c->state.running;
    ifname = "eth" + std::to_string(c->endpoints.size());
  }
  if (!endpoint.ipv4_address.empty() && !net.user_defined)
    return fail(Errc::InvalidArgument, "user specified IP address is supported on user defined networks only");
  if (!endpoint.aliases.empty() && !net.user_defined)
    return fail(Errc::InvalidArgument, "network-scoped alias is supported only for containers in user defined networks");
  if (!endpoint.links.empty() && !net.user_defined)
    return fail(Errc::InvalidArgument, "legacy links are not supported by berth yet (network " + net.name +
                                           "): on a user-defined network containers find each other by name");
  NetworkRequest request{net.name, endpoint.aliases, endpoint.ipv4_address, endpoint.links, endpoint.mac_address};
  if (running) {
    auto ep = TRY(deps_.networks->join_one(c->id, request, sandbox_path(c->id), ifname));
    std::lock_guard lk(mu_);
    c->endpoints[net.name] = std::move(ep);
  }
  std::lock_guard lk(mu_);
  c->networks.push_back(request);
  // Names on the new network resolve through 127.0.0.11 from now on.
  if (running && net.user_defined)
    if (auto r = write_etc_files(*c, true); !r) log::warn("container {}: {}", c->id, r.error().str());
  (void)persist(*c);
  publish(*c, "connect", {{"network", net.name}});
  return {};
}

Result<void> ContainerService::disconnect_network(const std::string& network, const std::string& container, bool force) {
  auto net = TRY(deps_.networks->resolve(network));
  auto c = TRY(find(container));
  std::lock_guard op(c->op_mu);
  std::optional<Endpoint> ep;
  {
    std::lock_guard lk(mu_);
    auto& reqs = c->networks;
    auto it = std::find_if(reqs.begin(), reqs.end(), [&](const NetworkRequest& r) { return r.name == net.name; });
    if (it == reqs.end() && !force)
      return fail(Errc::Conflict, "container " + c->id + " is not connected to network " + net.name);
    if (it != reqs.end()) reqs.erase(it);
    if (auto e = c->endpoints.find(net.name); e != c->endpoints.end()) {
      ep = e->second;
      c->endpoints.erase(e);
    }
    (void)persist(*c);
  }
  // Removes the interface inside the namespace; the veth pair goes with it.
  if (ep) deps_.networks->leave_one(c->id, *ep);
  std::lock_guard lk(mu_);
  publish(*c, "disconnect", {{"network", net.name}});
  return {};
}

}  // namespace berth::engine
