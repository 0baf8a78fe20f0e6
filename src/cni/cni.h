// Pod networking through CNI (the Container Network Interface), as every
// Kubernetes runtime does it: the network configuration list found in the conf
// dirs is run plugin by plugin (bridge, host-local, portmap, ...) with the
// CNI environment and per-plugin stdin config, ADD at sandbox start and DEL at
// stop. What ADD used (the config and its result) is cached per attachment so
// DEL works after a daemon crash or after the config changed, as libcni does.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::cni {

struct PortMapping {
  uint16_t host_port = 0, container_port = 0;
  std::string protocol = "tcp";  // "tcp", "udp" or "sctp"
  std::string host_ip;           // empty: every host address
};

struct IpResult {
  std::string address;  // CIDR form, "10.86.0.5/16"
  std::string gateway;  // empty when the result names none
  int version = 4;      // 4 or 6
};

struct AttachRequest {
  std::string container_id;  // the pod sandbox id
  std::string netns_path;    // a bind-mounted netns file
  std::string ifname = "eth0";
  // CNI_ARGS: K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID, IgnoreUnknown=1
  std::vector<std::pair<std::string, std::string>> args;
  std::vector<PortMapping> port_mappings;  // runtimeConfig.portMappings (portmap plugin)
  std::string cgroup_path;                 // runtimeConfig.cgroupPath (optional)
};

struct AttachResult {
  std::vector<IpResult> ips;
  std::vector<std::string> dns_servers, dns_searches;
  nlohmann::json raw;  // the last plugin's result, converted to the 1.0.0 form
};

struct NetworkOptions {
  std::vector<std::string> conf_dirs{"/etc/cni/net.d"};
  std::vector<std::string> bin_dirs{"/opt/cni/bin", "/usr/lib/cni"};
  std::string cache_dir = "/var/lib/berth/cni/results";
  std::chrono::milliseconds plugin_timeout{60000};
};

// An attachment the cache holds (ADD started, DEL not yet through).
struct CachedAttachmentInfo {
  std::string container_id, ifname, netns_path, network_name;
};

// Thread-safe. Abstract so callers (the CRI pod side) can put a fake behind it
// in their unit tests; open() returns the implementation that runs plugins.
class Network {
 public:
  virtual ~Network() = default;

  // Does not fail when no config exists yet: the conf dirs are read again on
  // each attach/ready, so a config written later (by a network add-on) is used.
  static Result<std::unique_ptr<Network>> open(NetworkOptions options);

  // ADD through the whole plugin list; the config and result are cached.
  virtual Result<AttachResult> attach(const AttachRequest& request) = 0;
  // DEL in reverse order; uses the cached config+result when present (so it
  // works after a crash or a config change). A netns that is gone is fine
  // (plugins run with CNI_NETNS empty to release leases and rules); DEL of
  // something never added or already deleted succeeds.
  virtual Result<void> detach(const AttachRequest& request) = 0;
  // A valid config and all its plugins found; else why not (NetworkReady=false reason).
  virtual Result<void> ready() const = 0;
  // The name of the network config in use ("" when there is none yet).
  virtual std::string network_name() const = 0;
  // Every attachment in the cache, so a restarted daemon can DEL those of pods
  // it no longer knows (libcni's GetCachedAttachments). Unreadable records are skipped.
  virtual Result<std::vector<CachedAttachmentInfo>> attachments() const = 0;
};

}  // namespace berth::cni
