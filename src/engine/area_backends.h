// The engine's implementations of the network, volume, system, build and
// distribution backends (the container and exec ones are ContainerService).
#pragma once

#include <functional>

#include "backend/build.h"
#include "backend/distribution.h"
#include "backend/networks.h"
#include "backend/system.h"
#include "backend/volumes.h"
#include "engine/events.h"

namespace berth::volume {
class VolumeService;
}

namespace berth::engine {

class ContainerService;
class NetworkService;

// Networks: the network service's documents, container connect/disconnect,
// and the events dockerd publishes for them.
class NetworkBackendImpl : public backend::NetworkBackend {
 public:
  NetworkBackendImpl(NetworkService& networks, ContainerService& containers, Events& events)
      : networks_(networks), containers_(containers), events_(events) {}
  Result<nlohmann::json> network_list(const model::Filters& filters) override;
  Result<nlohmann::json> network_create(const nlohmann::json& body) override;
  Result<nlohmann::json> network_inspect(const std::string& ref) override;
  Result<void> network_remove(const std::string& ref) override;
  Result<nlohmann::json> network_prune(const model::Filters& filters) override;
  Result<void> network_connect(const std::string& network, const std::string& container,
                               const model::EndpointRequest& endpoint) override;
  Result<void> network_disconnect(const std::string& network, const std::string& container, bool force) override;

 private:
  NetworkService& networks_;
  ContainerService& containers_;
  Events& events_;
};

class VolumeBackendImpl : public backend::VolumeBackend {
 public:
  explicit VolumeBackendImpl(volume::VolumeService& volumes) : volumes_(volumes) {}
  Result<nlohmann::json> volume_list(const model::Filters& filters) override;
  Result<nlohmann::json> volume_create(const std::string& name, const std::string& driver,
                                       const std::map<std::string, std::string>& options,
                                       const std::map<std::string, std::string>& labels) override;
  Result<nlohmann::json> volume_inspect(const std::string& name) override;
  Result<void> volume_remove(const std::string& name, bool force) override;
  Result<nlohmann::json> volume_prune(const model::Filters& filters) override;
  Result<nlohmann::json> volume_df() override;

 private:
  volume::VolumeService& volumes_;
};

class SystemBackendImpl : public backend::SystemBackend {
 public:
  SystemBackendImpl(ContainerService& containers, Events& events, std::function<int()> image_count,
                    std::string logging_driver, bool swap_limit, bool cgroup2)
      : containers_(containers), events_(events), image_count_(std::move(image_count)),
        logging_driver_(std::move(logging_driver)), swap_limit_(swap_limit), cgroup2_(cgroup2) {}
  backend::EngineInfo info() override;
  std::unique_ptr<backend::EventSubscription> subscribe(std::optional<int64_t> since_ns) override;

 private:
  ContainerService& containers_;
  Events& events_;
  std::function<int()> image_count_;
  std::string logging_driver_;
  bool swap_limit_, cgroup2_;
};

// The builder and the registry client are not there yet: every call is
// Unsupported (501) with a message that says so.
class UnavailableDistribution : public backend::DistributionBackend {
 public:
  Result<void> pull(const backend::PullRequest& request, const Progress& progress) override;
  Result<void> push(const std::string& reference, const backend::RegistryAuth& auth, const Progress& progress) override;
  Result<backend::LoginResult> login(const backend::RegistryAuth& auth) override;
  Result<std::string> search(const std::string& term, int limit) override;
};

}  // namespace berth::engine
