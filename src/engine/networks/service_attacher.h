// NetworkAttacher over the engine's network service: sandboxes are network
// namespaces made by netns.cc; endpoints, published ports and DNS come from
// NetworkService (netlink, nftables, the embedded resolver).
#pragma once

#include "engine/networks/attacher.h"
#include "engine/networks/network_service.h"

namespace berth::engine {

class ServiceAttacher : public NetworkAttacher {
 public:
  explicit ServiceAttacher(NetworkService& networks) : networks_(networks) {}

  Result<NetworkRef> resolve(const std::string& network) override;
  Result<void> create_sandbox(const std::string& path) override;
  void remove_sandbox(const std::string& path) override;
  Result<Attachment> join(const std::string& container_id, const std::vector<NetworkRequest>& networks,
                          const std::vector<net::PortBinding>& ports, const std::string& sandbox) override;
  void leave(const std::string& container_id, const Attachment& attachment) override;
  Result<Endpoint> join_one(const std::string& container_id, const NetworkRequest& network, const std::string& sandbox,
                            const std::string& ifname) override;
  void leave_one(const std::string& container_id, const Endpoint& endpoint) override;
  void restore(const std::string& container_id, const std::vector<NetworkRequest>& networks,
               const Attachment& attachment, const std::string& sandbox) override;
  void cleanup_stale(const std::set<std::string>& running_ids) override;
  Result<std::string> default_gateway() override;

 private:
  NetworkService& networks_;
};

}  // namespace berth::engine
