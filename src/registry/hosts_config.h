// Registry hosts in containerd's layout: DIR/HOST/hosts.toml names the
// mirrors of one registry (the [host."URL"] tables, tried in file order) and
// its `server` (tried last), each with what it may do (capabilities) and its
// TLS (skip_verify, ca, client). See docs/user-guide.md, "Registry mirrors".
//
// This file is the pure part: the text of one hosts.toml to what it says,
// and Docker's registry-mirrors entries checked. Reading the directories and
// turning this into endpoints is registry/client's endpoints_for.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::registry {

// What a host may be asked (containerd's capabilities): pull fetches blobs and
// manifests by digest; resolve turns a tag into a manifest; push uploads.
enum Capability : unsigned {
  kCapPull = 1,
  kCapResolve = 2,
  kCapPush = 4,
  kCapAll = kCapPull | kCapResolve | kCapPush,
};

// One [host."URL"] table, or the root level (`server` and its settings).
struct HostEntry {
  std::string scheme;  // "https" / "http"
  std::string host;    // "mirror.example:5000"; empty: the registry's default endpoints
  std::string path;    // the API root: "/v2", "/cache/v2", or as written with override_path
  unsigned capabilities = kCapAll;
  std::optional<bool> skip_verify;
  std::vector<std::string> ca_files;                             // absolute
  std::vector<std::pair<std::string, std::string>> client_pairs;  // cert, key ("": the key is in the cert file)
  std::vector<std::string> headers;                              // "Name: value", sent to this host
  long dial_timeout_ms = 0;                                      // 0: the default
};

struct HostsFile {
  std::vector<HostEntry> hosts;  // in the order the file lists them: tried first
  HostEntry server;              // tried last; host empty when the file names no server
};

// Parses a hosts.toml. dir is its directory (absolute): relative ca and client
// paths are taken from there, and errors name dir/hosts.toml. Refuses what
// berth cannot honour (a `proxy`, an unknown capability, a URL that is not
// http(s)://HOST[/PATH]); keys it does not know are ignored, as containerd does.
Result<HostsFile> parse_hosts_toml(std::string_view text, const std::string& dir);

// A registry-mirrors entry as dockerd takes it: http(s)://HOST[/PATH], no
// query, fragment or credentials; returned with one trailing "/" (Docker's
// form, shown by docker info). InvalidArgument in dockerd's words.
Result<std::string> normalize_mirror(std::string_view url);
// A registry-mirrors entry as a host: it may pull and resolve (dockerd asks
// mirrors for tags too), never push; its path + "/v2" is the API root.
Result<HostEntry> mirror_host(std::string_view url);

// The hosts.toml directory names for a registry host, in containerd's order:
// "HOST_PORT_" then "HOST:PORT" (or just "HOST"). _default is the caller's.
std::vector<std::string> host_dir_names(const std::string& registry_host);

}  // namespace berth::registry
