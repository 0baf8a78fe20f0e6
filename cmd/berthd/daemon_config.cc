#include "daemon_config.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace berthd {

using berth::Errc;
using berth::fail;

berth::Result<uint64_t> parse_size(const std::string& s) {
  if (s.empty()) return fail(Errc::InvalidArgument, "empty size");
  size_t pos = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(s, &pos);
  } catch (const std::exception&) {
    return fail(Errc::InvalidArgument, "invalid size: " + s);
  }
  std::string unit = s.substr(pos);
  std::transform(unit.begin(), unit.end(), unit.begin(), ::tolower);
  if (unit.empty() || unit == "b") return n;
  if (unit == "k" || unit == "kb") return n << 10;
  if (unit == "m" || unit == "mb") return n << 20;
  if (unit == "g" || unit == "gb") return n << 30;
  return fail(Errc::InvalidArgument, "invalid size unit in " + s);
}

berth::Result<void> load_daemon_json(DaemonConfig& cfg, const std::vector<std::string>& set_by_flags) {
  auto text = berth::read_file(cfg.config_file);
  if (!text) {
    if (!cfg.config_file_given && text.error().code == Errc::NotFound) return {};
    return fail(text.error().code, "reading the configuration file " + cfg.config_file + ": " + text.error().message);
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const std::exception& e) {
    return fail(Errc::InvalidArgument, "unable to configure the daemon with file " + cfg.config_file + ": " + e.what());
  }
  if (!j.is_object()) return fail(Errc::InvalidArgument, cfg.config_file + ": the configuration must be a JSON object");
  auto by_flag = [&](const std::string& key) {
    return std::find(set_by_flags.begin(), set_by_flags.end(), key) != set_by_flags.end();
  };
  try {
    for (auto& [key, val] : j.items()) {
      if (by_flag(key)) {
        return fail(Errc::InvalidArgument,
                    "the following directives are specified both as a flag and in the configuration file: " + key +
                        " (from flag and from file " + cfg.config_file + ")");
      }
      if (key == "data-root") cfg.data_root = val.get<std::string>();
      else if (key == "exec-root") cfg.exec_root = val.get<std::string>();
      else if (key == "hosts") cfg.hosts = val.get<std::vector<std::string>>();
      else if (key == "pidfile") cfg.pidfile = val.get<std::string>();
      else if (key == "log-level") cfg.log_level = val.get<std::string>();
      else if (key == "debug") cfg.debug = val.get<bool>();
      else if (key == "group") cfg.group = val.get<std::string>();
      else if (key == "cgroup-parent") cfg.cgroup_parent = val.get<std::string>();
      else if (key == "bridge") cfg.bridge = val.get<std::string>();
      else if (key == "bip") cfg.bip = val.get<std::string>();
      else if (key == "live-restore") {
        if (!val.get<bool>()) return fail(Errc::InvalidArgument, "live-restore cannot be disabled: berth's monitors always keep containers running");
      } else if (key == "log-driver") {
        if (val.get<std::string>() != "json-file")
          return fail(Errc::InvalidArgument, "log-driver " + val.get<std::string>() + " is not supported (json-file is)");
      } else if (key == "log-opts") {
        for (auto& [k, v] : val.items()) {
          if (k == "max-size") cfg.log_max_size = TRY(parse_size(v.get<std::string>()));
          else if (k == "max-file") cfg.log_max_files = std::stoi(v.get<std::string>());
          else return fail(Errc::InvalidArgument, "unknown log-opt " + k + " in " + cfg.config_file);
        }
      } else {
        return fail(Errc::InvalidArgument, "the configuration file " + cfg.config_file +
                                               " has a directive berthd does not know: " + key);
      }
    }
  } catch (const std::exception& e) {
    return fail(Errc::InvalidArgument, "unable to configure the daemon with file " + cfg.config_file + ": " + e.what());
  }
  return {};
}

}  // namespace berthd
