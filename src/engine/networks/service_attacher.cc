#include "engine/networks/service_attacher.h"

#include "base/log.h"
#include "base/strings.h"
#include "engine/netns.h"

namespace berth::engine {

Result<NetworkRef> ServiceAttacher::resolve(const std::string& network) {
  auto doc = TRY(networks_.find(network));
  return NetworkRef{doc.value("Id", ""), doc.value("Name", ""), networks_.is_user_defined(doc)};
}

Result<void> ServiceAttacher::create_sandbox(const std::string& path) { return create_netns(path); }

void ServiceAttacher::remove_sandbox(const std::string& path) { remove_netns(path); }

Result<Attachment> ServiceAttacher::join(const std::string& container_id, const std::vector<NetworkRequest>& networks,
                                         const std::vector<net::PortBinding>& ports, const std::string& sandbox) {
  Attachment made;
  bool user_defined = false;
  auto undo = [&] {
    for (const auto& [name, ep] : made.endpoints) networks_.detach(container_id, ep, true);
  };
  int index = 0;
  Endpoint first;
  for (const auto& r : networks) {
    auto ref = resolve(r.name);
    if (!ref) {
      undo();
      return std::unexpected(ref.error());
    }
    user_defined |= ref->user_defined;
    std::vector<std::string> aliases = r.aliases;
    if (ref->user_defined) aliases.push_back(container_id.substr(0, 12));
    auto ep = networks_.attach(container_id, r, sandbox, "eth" + std::to_string(index), aliases, index == 0);
    if (!ep) {
      undo();
      return std::unexpected(ep.error());
    }
    ep->links = r.links;
    if (index == 0) first = *ep;
    made.endpoints[ref->name] = std::move(*ep);
    ++index;
  }
  // Published ports go to the first network's address.
  if (!ports.empty() && !made.endpoints.empty()) {
    auto bound = networks_.publish(container_id, first, ports);
    if (!bound) {
      undo();
      return std::unexpected(bound.error());
    }
    made.published = std::move(*bound);
  }
  if (user_defined) {
    if (auto r = networks_.dns_add(container_id, sandbox); !r) {
      networks_.unpublish(container_id);
      undo();
      return std::unexpected(r.error());
    }
  }
  return made;
}

void ServiceAttacher::leave(const std::string& container_id, const Attachment& attachment) {
  bool user_defined = false;
  for (const auto& [name, ep] : attachment.endpoints) user_defined |= name != "bridge";
  if (user_defined) networks_.dns_remove(container_id);
  if (!attachment.published.empty()) networks_.unpublish(container_id);
  // The veths are not deleted one by one: removing the namespace (which the
  // caller does next) lets the kernel take them down in the background;
  // deleting a device here waits for an RCU grace period on the exit path.
  for (const auto& [name, ep] : attachment.endpoints) networks_.detach(container_id, ep, false);
}

Result<Endpoint> ServiceAttacher::join_one(const std::string& container_id, const NetworkRequest& network,
                                           const std::string& sandbox, const std::string& ifname) {
  auto ref = TRY(resolve(network.name));
  std::vector<std::string> aliases = network.aliases;
  if (ref.user_defined) aliases.push_back(container_id.substr(0, 12));
  auto ep = TRY(networks_.attach(container_id, network, sandbox, ifname, aliases, false));
  ep.links = network.links;
  if (ref.user_defined) (void)networks_.dns_add(container_id, sandbox);
  return ep;
}

void ServiceAttacher::leave_one(const std::string& container_id, const Endpoint& endpoint) {
  networks_.detach(container_id, endpoint, true);
}

void ServiceAttacher::restore(const std::string& container_id, const std::vector<NetworkRequest>& networks,
                              const Attachment& attachment, const std::string& sandbox) {
  std::string first = networks.empty() ? "" : networks.front().name;
  if (auto it = attachment.endpoints.find(first); !attachment.published.empty() && it != attachment.endpoints.end()) {
    // The bound ports are asked for again exactly.
    auto r = networks_.publish(container_id, it->second, attachment.published);
    if (!r) log::warn("container {}: re-publishing its ports: {}", container_id, r.error().str());
  }
  for (const auto& [name, ep] : attachment.endpoints) {
    if (name == "bridge") continue;
    if (auto r = networks_.dns_add(container_id, sandbox); !r)
      log::warn("container {}: its DNS: {}", container_id, r.error().str());
    break;
  }
}

void ServiceAttacher::cleanup_stale(const std::set<std::string>& running_ids) { networks_.cleanup_stale(running_ids); }

Result<std::string> ServiceAttacher::default_gateway() {
  auto net = networks_.find("bridge");
  if (!net) return fail(Errc::NotFound, "the daemon has no default bridge network (and no host-gateway-ip)");
  const auto& ipam = (*net)["IPAM"];
  if (ipam.is_object() && ipam.contains("Config") && ipam["Config"].is_array())
    for (const auto& c : ipam["Config"])
      if (c.is_object() && c.contains("Gateway") && c["Gateway"].is_string() && !c["Gateway"].get<std::string>().empty())
        return c["Gateway"].get<std::string>();
  return fail(Errc::NotFound, "the default bridge network has no gateway address (and the daemon no host-gateway-ip)");
}

}  // namespace berth::engine
