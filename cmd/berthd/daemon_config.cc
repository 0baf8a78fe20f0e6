#include "daemon_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/json_syntax.h"
#include "base/strings.h"
#include "logs/log_writer.h"
#include "registry/hosts_config.h"

namespace berthd {

using berth::Errc;
using berth::fail;

berth::Result<void> load_daemon_json(DaemonConfig& cfg, const std::vector<std::string>& set_by_flags) {
  bool log_opts_given = false;
  auto finish = [&]() -> berth::Result<void> {
    if (!log_opts_given && cfg.log_driver == "json-file") cfg.log_opts = {{"max-size", "10m"}, {"max-file", "3"}};
    if (auto r = berth::logs::validate_log_config(cfg.log_driver, cfg.log_opts); !r)
      return fail(Errc::InvalidArgument, cfg.config_file + ": " + r.error().message);
    return {};
  };
  auto text = berth::read_file(cfg.config_file);
  if (!text) {
    if (!cfg.config_file_given && text.error().code == Errc::NotFound) return finish();
    return fail(text.error().code, "reading the configuration file " + cfg.config_file + ": " + text.error().message);
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    auto e = berth::json_syntax_error(*text);
    return fail(Errc::InvalidArgument, "unable to configure the daemon with file " + cfg.config_file + ": " +
                                           (e ? e->message + " (at byte " + std::to_string(e->offset) + ")" : "not valid JSON"));
  }
  if (!j.is_object()) return fail(Errc::InvalidArgument, cfg.config_file + ": the configuration must be a JSON object");
  auto by_flag = [&](const std::string& key) {
    return std::find(set_by_flags.begin(), set_by_flags.end(), key) != set_by_flags.end();
  };
  for (auto& [key, val] : j.items()) {
    if (by_flag(key))
      return fail(Errc::InvalidArgument,
                  "the following directives are specified both as a flag and in the configuration file: " + key +
                      " (from flag and from file " + cfg.config_file + ")");
    auto wrong = [&](const char* want) {
      return fail(Errc::InvalidArgument, "unable to configure the daemon with file " + cfg.config_file + ": " + key +
                                             " must be " + want);
    };
    auto string = [&](std::string& into) -> berth::Result<void> {
      if (!val.is_string()) return wrong("a string");
      into = val.get<std::string>();
      return {};
    };
    auto strings = [&](auto& into, bool as_map) -> berth::Result<void> {
      if (as_map ? !val.is_object() : !val.is_array()) return wrong(as_map ? "an object of strings" : "a list of strings");
      for (const auto& [k, v] : val.items()) {
        if (!v.is_string()) return wrong(as_map ? "an object of strings" : "a list of strings");
        if constexpr (std::is_same_v<std::decay_t<decltype(into)>, std::map<std::string, std::string>>)
          into[k] = v.template get<std::string>();
        else
          into.push_back(v.template get<std::string>());
      }
      return {};
    };
    if (key == "data-root") TRYV(string(cfg.data_root));
    else if (key == "exec-root") TRYV(string(cfg.exec_root));
    else if (key == "hosts") {
      cfg.hosts.clear();
      TRYV(strings(cfg.hosts, false));
    } else if (key == "pidfile") TRYV(string(cfg.pidfile));
    else if (key == "log-level") TRYV(string(cfg.log_level));
    else if (key == "debug") {
      if (!val.is_boolean()) return wrong("true or false");
      cfg.debug = val.get<bool>();
    } else if (key == "group") TRYV(string(cfg.group));
    else if (key == "cgroup-parent") TRYV(string(cfg.cgroup_parent));
    else if (key == "bridge") TRYV(string(cfg.bridge));
    else if (key == "bip") TRYV(string(cfg.bip));
    else if (key == "host-gateway-ip") TRYV(string(cfg.host_gateway_ip));
    else if (key == "default-runtime") TRYV(string(cfg.default_runtime));
    else if (key == "vm-pool") {
      if (!val.is_number_integer() || val.get<int64_t>() < 0 || val.get<int64_t>() > 64)
        return wrong("a whole number from 0 (no pool) to 64");
      cfg.vm_pool = val.get<unsigned>();
    }
    else if (key == "live-restore") {
      if (!val.is_boolean()) return wrong("true or false");
      if (!val.get<bool>())
        return fail(Errc::InvalidArgument, "live-restore cannot be disabled: berth's monitors always keep containers running");
    } else if (key == "log-driver") {
      TRYV(string(cfg.log_driver));
    } else if (key == "log-opts") {
      cfg.log_opts.clear();
      TRYV(strings(cfg.log_opts, true));
      log_opts_given = true;
    } else if (key == "insecure-registries") {
      cfg.insecure_registries.clear();
      TRYV(strings(cfg.insecure_registries, false));
    } else if (key == "registry-mirrors") {
      cfg.registry_mirrors.clear();
      TRYV(strings(cfg.registry_mirrors, false));
    } else if (key == "registry-config-dir") {
      TRYV(string(cfg.registry_config_dir));
    } else if (key == "max-concurrent-downloads") {
      if (!val.is_number_integer() || val.get<int64_t>() < 1 || val.get<int64_t>() > 64)
        return wrong("a whole number from 1 to 64");
      cfg.max_concurrent_downloads = val.get<int>();
    } else if (key == "push-compression-threads") {
      if (!val.is_number_integer() || val.get<int64_t>() < 0 || val.get<int64_t>() > 64)
        return wrong("a whole number from 0 (the cores) to 64");
      cfg.push_compression_threads = val.get<unsigned>();
    } else if (key == "cri") {
      if (!val.is_boolean()) return wrong("true or false");
      cfg.cri = val.get<bool>();
    } else if (key == "cri-socket") {
      TRYV(string(cfg.cri_socket));
    } else if (key == "cni-conf-dir") {
      TRYV(string(cfg.cni_conf_dir));
    } else if (key == "cni-bin-dirs") {
      cfg.cni_bin_dirs.clear();
      TRYV(strings(cfg.cni_bin_dirs, false));
    } else if (key == "cni-cache-dir") {
      TRYV(string(cfg.cni_cache_dir));
    } else if (key == "metrics-addr") {
      TRYV(string(cfg.metrics_addr));
    } else if (key == "cri-stream-address") {
      TRYV(string(cfg.cri_stream_address));
    } else if (key == "userns-remap") {
      TRYV(string(cfg.userns_remap));
    } else if (key == "cri-stream-port") {
      if (!val.is_number_integer() || val.get<int64_t>() < 0 || val.get<int64_t>() > 65535)
        return wrong("a port number from 0 (any free port) to 65535");
      cfg.cri_stream_port = val.get<int>();
    } else if (key == "rootless-network") {
      TRYV(string(cfg.rootless_network));
    } else if (key == "rootless-allow-host-loopback") {
      if (!val.is_boolean()) return wrong("true or false");
      cfg.rootless_host_loopback = val.get<bool>();
    } else if (key == "ui-addr") {
      TRYV(string(cfg.ui_addr));
    } else if (key == "ui-tls-cert") {
      TRYV(string(cfg.ui_tls_cert));
    } else if (key == "ui-tls-key") {
      TRYV(string(cfg.ui_tls_key));
    } else {
      return fail(Errc::InvalidArgument, "the configuration file " + cfg.config_file +
                                             " has a directive berthd does not know: " + key);
    }
  }
  return finish();
}

berth::Result<void> validate_daemon_config(DaemonConfig& cfg) {
  for (auto& m : cfg.registry_mirrors) m = TRY(berth::registry::normalize_mirror(m));
  if (!cfg.registry_config_dir.empty() && cfg.registry_config_dir.front() != '/')
    return fail(Errc::InvalidArgument, "registry-config-dir must be an absolute path: " + cfg.registry_config_dir);
  for (const auto& [what, path] : {std::pair<const char*, const std::string*>{"cri-socket", &cfg.cri_socket},
                                  {"cni-conf-dir", &cfg.cni_conf_dir},
                                  {"cni-cache-dir", &cfg.cni_cache_dir}})
    if (!path->empty() && path->front() != '/')
      return fail(Errc::InvalidArgument, std::string(what) + " must be an absolute path: " + *path);
  if (cfg.rootless_network != "auto" && cfg.rootless_network != "pasta" && cfg.rootless_network != "slirp4netns")
    return fail(Errc::InvalidArgument,
                "rootless-network must be auto, pasta or slirp4netns, not '" + cfg.rootless_network + "'");
  for (const auto& d : cfg.cni_bin_dirs)
    if (d.empty() || d.front() != '/') return fail(Errc::InvalidArgument, "cni-bin-dirs must be absolute paths: '" + d + "'");
  if (!cfg.host_gateway_ip.empty()) {
    unsigned char addr[16];
    if (::inet_pton(AF_INET, cfg.host_gateway_ip.c_str(), addr) != 1 &&
        ::inet_pton(AF_INET6, cfg.host_gateway_ip.c_str(), addr) != 1)
      return fail(Errc::InvalidArgument, "host-gateway-ip: '" + cfg.host_gateway_ip + "' is not an IP address");
  }
  if (!cfg.metrics_addr.empty()) {
    // host:port or [v6]:port, as Go's net.Listen("tcp", ...) takes it.
    const std::string& a = cfg.metrics_addr;
    auto colon = a.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < a.size() && a.find("://") == std::string::npos;
    if (ok) {
      auto port = berth::parse_uint(a.substr(colon + 1));
      ok = port && *port <= 65535;
      std::string host = a.substr(0, colon);
      if (host.find(':') != std::string::npos) ok = ok && host.front() == '[' && host.back() == ']';
    }
    if (!ok) return fail(Errc::InvalidArgument, "metrics-addr must be host:port (e.g. 127.0.0.1:9323), not '" + a + "'");
  }
  return {};
}

}  // namespace berthd
