#include "compose/validate.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "compose/order.h"

namespace berth::compose {

namespace {

auto invalid(std::string what) { return fail(Errc::InvalidArgument, what + ": invalid compose project"); }

Result<void> check_dependencies(const Project& p, const Service& s) {
  for (const auto& [dep, d] : s.depends_on) {
    if (p.services.contains(dep)) continue;
    if (auto it = p.disabled_services.find(dep); it != p.disabled_services.end()) {
      if (!d.required) continue;
      return fail(Errc::InvalidArgument,
                  fmt::format("service \"{}\" is required by \"{}\" but is disabled. Can be enabled by profiles [{}]",
                              dep, s.name, join(it->second.profiles, " ")));
    }
    return invalid(fmt::format("service \"{}\" depends on undefined service \"{}\"", s.name, dep));
  }
  auto service_ref = [&](const std::string& what, const std::string& ref) -> Result<void> {
    if (p.services.contains(ref)) return {};
    return invalid(fmt::format("service \"{}\" refers to undefined service \"{}\" in {}", s.name, ref, what));
  };
  if (s.network_mode.starts_with("service:")) TRYV(service_ref("network_mode", s.network_mode.substr(8)));
  for (const std::string& from : s.volumes_from) {
    if (from.starts_with("container:")) continue;
    TRYV(service_ref("volumes_from", split(from, ':')[0]));
  }
  return {};
}

Result<void> check_resources(const Project& p, const Service& s) {
  for (const auto& [net, _] : s.networks) {
    if (!p.networks.contains(net)) return invalid(fmt::format("service \"{}\" refers to undefined network {}", s.name, net));
  }
  if (!s.networks.empty() && !s.network_mode.empty() && s.network_mode != "bridge") {
    return invalid(fmt::format("service {} declares mutually exclusive `network_mode` and `networks`", s.name));
  }
  for (const VolumeMount& v : s.volumes) {
    if (v.type != "volume" || v.source.empty()) continue;
    if (!p.volumes.contains(v.source)) return invalid(fmt::format("service \"{}\" refers to undefined volume {}", s.name, v.source));
  }
  for (const FileReference& c : s.configs) {
    if (!p.configs.contains(c.source)) return invalid(fmt::format("service \"{}\" refers to undefined config {}", s.name, c.source));
  }
  for (const FileReference& c : s.secrets) {
    if (!p.secrets.contains(c.source)) return invalid(fmt::format("service \"{}\" refers to undefined secret {}", s.name, c.source));
  }
  return {};
}

}  // namespace

Result<void> validate_project(const Project& project) {
  for (const auto& [name, s] : project.services) {
    TRYV(check_dependencies(project, s));
    TRYV(check_resources(project, s));
  }
  TRYV(start_levels(project));  // cycles
  return {};
}

}  // namespace berth::compose
