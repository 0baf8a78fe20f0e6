// The enumerated settings of a container spec, and their one text form each
// (Docker's words). parse_* refuses anything else with Docker's message, so
// the API edge and daemon.json reject unknown values before the engine sees
// them; to_string renders them back for inspect.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::model {

enum class RestartPolicyName { No, Always, UnlessStopped, OnFailure, OnUnhealthy };
// "", "no", "always", "unless-stopped", "on-failure", and berth's own "on-unhealthy"
// (restarts a container its healthcheck finds unhealthy; docs/user-guide.md).
Result<RestartPolicyName> parse_restart_policy_name(std::string_view s);
std::string_view to_string(RestartPolicyName n);

// HostConfig.NetworkMode: "" / "default", "bridge", "host", "none",
// "container:<id or name>", or a user-defined network's name or id.
// Path ("ns:/path", podman's form) joins a namespace file made by another
// front end (the CRI's pod sandboxes); the Docker edge refuses it.
struct NetworkMode {
  enum class Kind { Default, Bridge, Host, None, Container, Network, Path };
  Kind kind = Kind::Default;
  std::string target;  // Container: the container; Network: the network; Path: the file

  // allow_path: accept "ns:/path" (stored records and berth's own front ends).
  static Result<NetworkMode> parse(std::string_view s, bool allow_path = false);
  std::string str() const;  // "default", "bridge", ..., "container:<target>", the network
  bool is_default_bridge() const { return kind == Kind::Default || kind == Kind::Bridge; }
  // Joins bridge-type networks of its own (not host, none or another container's).
  bool has_own_networks() const { return kind == Kind::Default || kind == Kind::Bridge || kind == Kind::Network; }
  bool operator==(const NetworkMode&) const = default;
};

// IpcMode, PidMode and UTSMode: "" (the daemon's default), "private",
// "host", "shareable" and "none" (IPC only), "container:<id or name>", and
// berth's "ns:/path" (Path: join a namespace file; not from the Docker edge).
struct NamespaceMode {
  enum class Kind { Unset, Private, Host, Shareable, None, Container, Path };
  Kind kind = Kind::Unset;
  std::string target;  // Container: the container; Path: the namespace file

  enum class Of { Ipc, Pid, Uts };
  static Result<NamespaceMode> parse(std::string_view s, Of of, bool allow_path = false);
  std::string str() const;
  bool is_host() const { return kind == Kind::Host; }
  bool is_container() const { return kind == Kind::Container; }
  bool is_path() const { return kind == Kind::Path; }
  bool operator==(const NamespaceMode&) const = default;
};

enum class CgroupnsMode { Unset, Private, Host };
Result<CgroupnsMode> parse_cgroupns_mode(std::string_view s);
std::string_view to_string(CgroupnsMode m);

enum class MountType { Bind, Volume, Tmpfs };
Result<MountType> parse_mount_type(std::string_view s);
std::string_view to_string(MountType t);

enum class Propagation { Unset, Private, RPrivate, Shared, RShared, Slave, RSlave };
Result<Propagation> parse_propagation(std::string_view s);
std::string_view to_string(Propagation p);  // "" for Unset

}  // namespace berth::model
