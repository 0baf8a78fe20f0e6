// What the volume routes may ask of the engine (Docker-shaped documents).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/filters.h"

namespace berth::backend {

class VolumeBackend {
 public:
  virtual ~VolumeBackend() = default;
  virtual Result<nlohmann::json> volume_list(const model::Filters& filters) = 0;  // {"Volumes","Warnings"}
  virtual Result<nlohmann::json> volume_create(const std::string& name, const std::string& driver,
                                               const std::map<std::string, std::string>& options,
                                               const std::map<std::string, std::string>& labels) = 0;
  virtual Result<nlohmann::json> volume_inspect(const std::string& name) = 0;
  virtual Result<void> volume_remove(const std::string& name, bool force) = 0;
  virtual Result<nlohmann::json> volume_prune(const model::Filters& filters) = 0;
  virtual Result<nlohmann::json> volume_df() = 0;  // /system/df's Volumes
};

}  // namespace berth::backend
