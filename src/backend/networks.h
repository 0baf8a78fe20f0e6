// What the network routes may ask of the engine. Networks are still
// described by Docker-shaped JSON documents here (the network service keeps
// its records that way); joining and leaving are typed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/container_spec.h"
#include "model/filters.h"

namespace berth::backend {

class NetworkBackend {
 public:
  virtual ~NetworkBackend() = default;
  virtual Result<nlohmann::json> network_list(const model::Filters& filters) = 0;
  virtual Result<nlohmann::json> network_create(const nlohmann::json& body) = 0;  // {"Id","Warning"}
  virtual Result<nlohmann::json> network_inspect(const std::string& ref) = 0;
  virtual Result<void> network_remove(const std::string& ref) = 0;
  virtual Result<nlohmann::json> network_prune(const model::Filters& filters) = 0;
  virtual Result<void> network_connect(const std::string& network, const std::string& container,
                                       const model::EndpointRequest& endpoint) = 0;
  virtual Result<void> network_disconnect(const std::string& network, const std::string& container, bool force) = 0;
};

}  // namespace berth::backend
