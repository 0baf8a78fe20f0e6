// The container service's view of networking: the container's own network
// namespace (its sandbox), joining and leaving networks (veths, addresses,
// published ports, DNS) and their undoing. The engine implements it over the
// network service and netns.cc (service_attacher.cc); unit tests use a fake.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container.h"

namespace berth::engine {

struct NetworkRef {
  std::string id, name;  // canonical
  bool user_defined = false;
};

// What a container holds on its networks during one run.
struct Attachment {
  std::map<std::string, Endpoint> endpoints;  // by network name
  std::vector<net::PortBinding> published;    // as bound
};

class NetworkAttacher {
 public:
  virtual ~NetworkAttacher() = default;
  virtual Result<NetworkRef> resolve(const std::string& network) = 0;  // NotFound "network x not found"
  // A new network namespace with loopback up, bind-mounted at path.
  virtual Result<void> create_sandbox(const std::string& path) = 0;
  virtual void remove_sandbox(const std::string& path) = 0;
  // Joins every requested network (in order; the first one carries the
  // default route and the published ports), all or nothing.
  virtual Result<Attachment> join(const std::string& container_id, const std::vector<NetworkRequest>& networks,
                                  const std::vector<net::PortBinding>& ports, const std::string& sandbox) = 0;
  virtual void leave(const std::string& container_id, const Attachment& attachment) = 0;
  // One more network for a running container (network connect) as interface `ifname`.
  virtual Result<Endpoint> join_one(const std::string& container_id, const NetworkRequest& network,
                                    const std::string& sandbox, const std::string& ifname) = 0;
  virtual void leave_one(const std::string& container_id, const Endpoint& endpoint) = 0;
  // After a daemon restart: ports held again and names served again for a running container.
  virtual void restore(const std::string& container_id, const std::vector<NetworkRequest>& networks,
                       const Attachment& attachment, const std::string& sandbox) = 0;
  // After a restart: rules and reservations of containers no longer running go.
  virtual void cleanup_stale(const std::set<std::string>& running_ids) = 0;
  // The default bridge network's gateway address (what `host-gateway` means
  // when the daemon has no host-gateway-ip); NotFound without one.
  virtual Result<std::string> default_gateway() = 0;
};

}  // namespace berth::engine
