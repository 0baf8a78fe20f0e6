// What an ADD used, kept per attachment (container id + interface) under the
// cache dir: the network list, the CNI_ARGS and capability arguments, and the
// result once there is one. DEL reads it so it runs the plugins the ADD ran,
// with the same arguments, after a daemon crash or a change of the conf dir,
// as libcni's cache does. Written atomically (temp file + rename).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cni/cni.h"

namespace berth::cni {

struct CachedAttachment {
  std::string container_id, ifname, netns_path;
  nlohmann::json config;  // the network list (.conflist form)
  std::vector<std::pair<std::string, std::string>> args;
  std::vector<PortMapping> port_mappings;
  std::string cgroup_path;
  nlohmann::json result;  // the last plugin's result as printed; null until ADD finished
};

class AttachmentCache {
 public:
  explicit AttachmentCache(std::string dir) : dir_(std::move(dir)) {}

  // <dir>/<container id>/<ifname>.json
  std::string path_of(const std::string& container_id, const std::string& ifname) const;
  Result<void> store(const CachedAttachment& entry) const;
  // nullopt when there is none; an error when it is there but unreadable.
  Result<std::optional<CachedAttachment>> load(const std::string& container_id, const std::string& ifname) const;
  // Every readable record (a missing cache dir holds none).
  Result<std::vector<CachedAttachment>> list() const;
  // Missing is fine; the container's directory goes when it is empty.
  Result<void> remove(const std::string& container_id, const std::string& ifname) const;

 private:
  std::string dir_;
};

nlohmann::json port_mappings_json(const std::vector<PortMapping>& mappings);

}  // namespace berth::cni
