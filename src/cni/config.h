// CNI network configuration: a list (.conflist) or a single plugin config
// (.conf/.json, wrapped as a one-plugin list), validated as the spec asks, and
// found in conf dirs as libcni-based runtimes do (sorted by file name, the
// first valid one wins).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::cni {

struct NetworkList {
  std::string name;
  std::string cni_version;
  std::vector<nlohmann::json> plugins;  // each an object with a "type"
  nlohmann::json raw;                   // the list as a .conflist (what the cache keeps)
  std::string source;                   // the file it came from ("" when from a cache)
};

// A .conflist document. `source` names it in errors.
Result<NetworkList> parse_network_list(const nlohmann::json& doc, const std::string& source);
// A single plugin config (.conf/.json), wrapped as a list of one.
Result<NetworkList> parse_single_network(const nlohmann::json& doc, const std::string& source);
// Reads one file by its extension (.conflist vs .conf/.json).
Result<NetworkList> load_network_file(const std::string& path);

// The versions whose configs and results berth understands.
bool is_known_version(const std::string& version);
// a >= b for dotted versions ("0.4.0" >= "0.3.1"); unparsable parts count as 0.
bool version_at_least(const std::string& a, const std::string& b);

// The names libcni accepts for container ids, network names and interfaces.
Result<void> validate_container_id(const std::string& id);
Result<void> validate_network_name(const std::string& name);
Result<void> validate_ifname(const std::string& ifname);

// The candidate files of the conf dirs, in the order they are tried: each
// dir's *.conflist, *.conf, *.json sorted by name, dirs in the given order.
struct ConfFile {
  std::string path;
  long long mtime_ns = 0, size = 0;  // to notice a change without reading it
};
std::vector<ConfFile> list_conf_files(const std::vector<std::string>& conf_dirs);

// The first valid list among the files, or NotFound/Unavailable with every
// reason a file was skipped.
struct ConfScan {
  std::vector<NetworkList> found;   // at most one: the first valid file
  std::vector<std::string> skipped;  // "path: why" for each invalid file before it
};
ConfScan scan_conf_files(const std::vector<ConfFile>& files);

}  // namespace berth::cni
