// berthd's settings: dockerd's flags where they mean the same, and the same
// keys in a daemon.json (--config-file). Flags win over the file.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berthd {

struct DaemonConfig {
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::vector<std::string> hosts;  // default unix:///run/berth/berth.sock
  std::string pidfile;             // default <exec-root>/berthd.pid
  std::string log_level = "info";
  bool debug = false;
  std::string group = "berth";
  std::string config_file = "/etc/berth/daemon.json";
  bool config_file_given = false;
  std::string cgroup_parent = "berth";
  uint64_t log_max_size = 10 << 20;
  int log_max_files = 3;
  std::string bridge = "berth0";
  std::string bip;
  std::string firewall_table = "berth";
};

// Applies daemon.json: missing default file is fine, a given one must exist;
// unknown keys are refused as dockerd does.
berth::Result<void> load_daemon_json(DaemonConfig& cfg, const std::vector<std::string>& set_by_flags);

// "10m", "1g", "512k", "100" -> bytes.
berth::Result<uint64_t> parse_size(const std::string& s);

}  // namespace berthd
