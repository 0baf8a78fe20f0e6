#include "model/modes.h"

#include <array>
#include <optional>
#include <utility>

namespace berth::model {
namespace {

template <class E, size_t N>
std::optional<E> lookup(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view s) {
  for (const auto& [text, value] : table)
    if (text == s) return value;
  return std::nullopt;
}

template <class E, size_t N>
std::string_view name_of(const std::array<std::pair<std::string_view, E>, N>& table, E value) {
  for (const auto& [text, v] : table)
    if (v == value) return text;
  return "";
}

constexpr std::array<std::pair<std::string_view, RestartPolicyName>, 5> kRestart{{
    {"no", RestartPolicyName::No},
    {"always", RestartPolicyName::Always},
    {"unless-stopped", RestartPolicyName::UnlessStopped},
    {"on-failure", RestartPolicyName::OnFailure},
    {"on-unhealthy", RestartPolicyName::OnUnhealthy},
}};

constexpr std::array<std::pair<std::string_view, CgroupnsMode>, 3> kCgroupns{{
    {"", CgroupnsMode::Unset},
    {"private", CgroupnsMode::Private},
    {"host", CgroupnsMode::Host},
}};

constexpr std::array<std::pair<std::string_view, MountType>, 3> kMountTypes{{
    {"bind", MountType::Bind},
    {"volume", MountType::Volume},
    {"tmpfs", MountType::Tmpfs},
}};

constexpr std::array<std::pair<std::string_view, Propagation>, 7> kPropagation{{
    {"", Propagation::Unset},
    {"private", Propagation::Private},
    {"rprivate", Propagation::RPrivate},
    {"shared", Propagation::Shared},
    {"rshared", Propagation::RShared},
    {"slave", Propagation::Slave},
    {"rslave", Propagation::RSlave},
}};

constexpr std::string_view kContainerPrefix = "container:";
constexpr std::string_view kPathPrefix = "ns:";

// "ns:/abs/path" -> the path; the checks both modes share.
Result<std::string> namespace_path(std::string_view s, bool allow_path, const std::string& what) {
  if (!allow_path)
    return fail(Errc::InvalidArgument, "invalid " + what + ": " + std::string(s) +
                                           " (joining a namespace by path is not available through this API)");
  std::string path(s.substr(kPathPrefix.size()));
  if (path.empty() || path[0] != '/')
    return fail(Errc::InvalidArgument, "invalid " + what + ": " + std::string(s) + " (ns: needs an absolute path)");
  return path;
}

}  // namespace

Result<RestartPolicyName> parse_restart_policy_name(std::string_view s) {
  if (s.empty()) return RestartPolicyName::No;
  if (auto v = lookup(kRestart, s)) return *v;
  return fail(Errc::InvalidArgument, "invalid restart policy '" + std::string(s) + "'");
}

std::string_view to_string(RestartPolicyName n) { return name_of(kRestart, n); }

Result<NetworkMode> NetworkMode::parse(std::string_view s, bool allow_path) {
  NetworkMode m;
  if (s.empty() || s == "default") return m;
  if (s.starts_with(kPathPrefix)) {
    m.kind = Kind::Path;
    m.target = TRY(namespace_path(s, allow_path, "network mode"));
    return m;
  }
  if (s == "bridge") {
    m.kind = Kind::Bridge;
  } else if (s == "host") {
    m.kind = Kind::Host;
  } else if (s == "none") {
    m.kind = Kind::None;
  } else if (s.starts_with(kContainerPrefix)) {
    m.kind = Kind::Container;
    m.target = std::string(s.substr(kContainerPrefix.size()));
    if (m.target.empty()) return fail(Errc::InvalidArgument, "invalid network mode: container: needs a name or id");
  } else {
    m.kind = Kind::Network;
    m.target = std::string(s);
  }
  return m;
}

std::string NetworkMode::str() const {
  switch (kind) {
    case Kind::Default: return "default";
    case Kind::Bridge: return "bridge";
    case Kind::Host: return "host";
    case Kind::None: return "none";
    case Kind::Container: return std::string(kContainerPrefix) + target;
    case Kind::Network: return target;
    case Kind::Path: return std::string(kPathPrefix) + target;
  }
  return "default";
}

Result<NamespaceMode> NamespaceMode::parse(std::string_view s, Of of, bool allow_path) {
  const char* what = of == Of::Ipc ? "IPC mode" : of == Of::Pid ? "PID mode" : "UTS mode";
  NamespaceMode m;
  if (s.empty()) return m;
  if (s.starts_with(kPathPrefix)) {
    m.kind = Kind::Path;
    m.target = TRY(namespace_path(s, allow_path, what));
  } else if (s == "private") {
    m.kind = Kind::Private;
  } else if (s == "host") {
    m.kind = Kind::Host;
  } else if (of == Of::Ipc && s == "shareable") {
    m.kind = Kind::Shareable;
  } else if (of == Of::Ipc && s == "none") {
    m.kind = Kind::None;
  } else if (of != Of::Uts && s.starts_with(kContainerPrefix) && s.size() > kContainerPrefix.size()) {
    m.kind = Kind::Container;
    m.target = std::string(s.substr(kContainerPrefix.size()));
  } else {
    return fail(Errc::InvalidArgument, std::string("invalid ") + what + ": " + std::string(s));
  }
  return m;
}

std::string NamespaceMode::str() const {
  switch (kind) {
    case Kind::Unset: return "";
    case Kind::Private: return "private";
    case Kind::Host: return "host";
    case Kind::Shareable: return "shareable";
    case Kind::None: return "none";
    case Kind::Container: return std::string(kContainerPrefix) + target;
    case Kind::Path: return std::string(kPathPrefix) + target;
  }
  return "";
}

Result<CgroupnsMode> parse_cgroupns_mode(std::string_view s) {
  if (auto v = lookup(kCgroupns, s)) return *v;
  return fail(Errc::InvalidArgument, "invalid cgroup namespace mode: " + std::string(s));
}

std::string_view to_string(CgroupnsMode m) { return name_of(kCgroupns, m); }

Result<MountType> parse_mount_type(std::string_view s) {
  if (auto v = lookup(kMountTypes, s)) return *v;
  return fail(Errc::InvalidArgument, "mount type unknown: \"" + std::string(s) + "\"");
}

std::string_view to_string(MountType t) { return name_of(kMountTypes, t); }

Result<Propagation> parse_propagation(std::string_view s) {
  if (auto v = lookup(kPropagation, s)) return *v;
  return fail(Errc::InvalidArgument, "invalid propagation mode: " + std::string(s));
}

std::string_view to_string(Propagation p) { return name_of(kPropagation, p); }

}  // namespace berth::model
