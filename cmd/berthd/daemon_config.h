// berthd's settings: dockerd's flags where they mean the same, and the same
// keys in a daemon.json (--config-file). Flags win over the file.
#pragma once

#include <map>
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
  // Containers' log driver and options unless they ask for others
  // (daemon.json "log-driver", "log-opts"); berth rotates by default.
  // Without "log-opts", json-file rotates at 10 MB x 3.
  std::string log_driver = "json-file";
  std::string default_runtime;  // "default-runtime": berth or berth-vm (vm)
  unsigned vm_pool = 0;         // "vm-pool": booted microVMs kept ready (0: none)
  std::map<std::string, std::string> log_opts;
  std::string bridge = "berth0";
  std::string bip;
  std::string host_gateway_ip;  // what --add-host NAME:host-gateway gives (daemon.json "host-gateway-ip")
  std::string firewall_table = "berth";
  // Registries: hosts (host:port or CIDR) reached without TLS verification
  // or over plain http, besides 127.0.0.0/8; Docker Hub's mirrors (tried
  // before it, in order; normalized to "https://host/"); a directory of
  // HOST/hosts.toml (containerd's layout), read before /etc/berth/certs.d;
  // parallel layer downloads.
  std::vector<std::string> insecure_registries;
  std::vector<std::string> registry_mirrors;
  std::string registry_config_dir;
  int max_concurrent_downloads = 3;
  unsigned push_compression_threads = 0;  // gzip of a plain layer a push sends; 0: the cores
  // The Kubernetes CRI endpoint (issue 13): on unless "cri": false; its socket
  // defaults to <exec-root>/cri.sock. Pods' networks come from the CNI config
  // in the conf dir, run by the plugins of the bin dirs; results cached in the
  // cache dir (default <data-root>/cni/results). Exec/Attach/PortForward URLs
  // point at the streaming server (port 0: any free port).
  bool cri = true;
  std::string cri_socket;
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::vector<std::string> cni_bin_dirs{"/opt/cni/bin", "/usr/lib/cni"};
  std::string cni_cache_dir;
  std::string cri_stream_address = "127.0.0.1";
  int cri_stream_port = 0;
  // dockerd's --userns-remap: "default" (the berthremap user, made when
  // missing), USER or USER:GROUP; empty: containers share the host's ids.
  std::string userns_remap;
  // Rootless mode (docs/rootless.md): berthd started by a user other than
  // root. The user-mode network stack ("auto": pasta, else slirp4netns) and
  // whether containers reach the host's 127.0.0.1 through its gateway address.
  bool rootless = false;
  std::string rootless_network = "auto";
  bool rootless_host_loopback = false;
  // The web dashboard (issue 16, docs/dashboard.md): off unless an address is
  // given; other than loopback only with a TLS certificate and key.
  std::string ui_addr;
  std::string ui_tls_cert;
  std::string ui_tls_key;
  // Prometheus /metrics on this TCP host:port (dockerd's metrics-addr; off
  // when empty). As dockerd, any address is accepted: a non-loopback one is
  // logged as a warning, since the page names every container and image.
  std::string metrics_addr;
};

// Checks and normalizes what the flags and the file gave (registry-mirrors),
// in dockerd's words.
berth::Result<void> validate_daemon_config(DaemonConfig& cfg);

// Applies daemon.json: missing default file is fine, a given one must exist;
// unknown keys are refused as dockerd does.
berth::Result<void> load_daemon_json(DaemonConfig& cfg, const std::vector<std::string>& set_by_flags);

}  // namespace berthd
