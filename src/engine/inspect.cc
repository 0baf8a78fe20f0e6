// What the engine tells about containers: one container's view (inspect)
// and the list with Docker's filters.
#include <algorithm>
#include <regex>

#include "base/strings.h"
#include "engine/container_service.h"
#include "engine/exec_session.h"
#include "engine/health/rules.h"

namespace berth::engine {
namespace {

model::EndpointInfo endpoint_info(const NetworkRequest& r, const Endpoint* ep) {
  model::EndpointInfo e;
  if (ep) {
    e.network_id = ep->network_id;
    e.endpoint_id = ep->endpoint_id;
    e.gateway = ep->gateway;
    e.ip_address = ep->ip;
    e.ip_prefix_len = ep->prefix;
    e.mac_address = ep->mac;
    e.aliases = ep->aliases;
  }
  if (e.aliases.empty()) e.aliases = r.aliases;
  e.links = r.links;
  e.requested_ipv4 = r.ipv4_address;
  if (e.mac_address.empty()) e.mac_address = r.mac_address;  // before start: the requested one, as dockerd shows
  return e;
}

bool name_matches(const std::string& name, const std::string& pattern) {
  try {
    return std::regex_search(name, std::regex(pattern));
  } catch (const std::regex_error&) {
    return name.find(pattern) != std::string::npos;
  }
}

bool has_label(const std::map<std::string, std::string>& labels, const std::string& f) {
  auto eq = f.find('=');
  auto it = labels.find(f.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == f.substr(eq + 1));
}

const char* const kStatuses[] = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
const char* const kListFilters[] = {"ancestor", "before", "exited", "expose", "health",  "id",     "isolation",
                                    "is-task",  "label",  "name",   "namespace", "network", "publish", "since", "status",
                                    "volume"};

}  // namespace

model::ContainerInfo ContainerService::info_of(const Container& c) {
  model::ContainerInfo i;
  i.id = c.id;
  i.name = c.name;
  i.created = c.created;
  i.image = c.spec.config.image;
  i.image_id = c.image_id;
  i.path = c.path;
  i.args = c.args;
  i.state = c.state;
  if (c.task && c.state.running) i.runtime_details = c.task->details();
  i.ever_started = c.ever_started;
  i.restart_count = c.restart_count;
  i.runtime = c.runtime;
  i.resolv_conf_path = c.resolv_conf_path;
  i.hostname_path = c.hostname_path;
  i.hosts_path = c.hosts_path;
  i.log_path = c.log_path;
  i.rootfs_path = rootfs_dir(c.id);
  i.spec = c.spec;
  i.mounts = mount_points(c.mounts, cfg_.data_root + "/volumes");
  const auto& mode = c.spec.host.network_mode;
  if (mode.kind == model::NetworkMode::Kind::Host || mode.kind == model::NetworkMode::Kind::None) {
    i.network.networks.emplace_back(mode.str(), model::EndpointInfo{});
  } else {
    for (const auto& r : c.networks) {
      auto it = c.endpoints.find(r.name);
      i.network.networks.emplace_back(r.name, endpoint_info(r, it == c.endpoints.end() ? nullptr : &it->second));
    }
  }
  if (c.state.running) {
    for (const auto& b : c.published) {
      auto& bound = i.network.ports[net::port_key(b.container_port, b.proto)];
      if (!bound) bound.emplace();
      bound->push_back({b.host_ip.empty() ? "0.0.0.0" : b.host_ip, std::to_string(b.host_port)});
    }
    for (const auto& port : c.spec.config.exposed_ports) i.network.ports.emplace(port, std::nullopt);
    if (mode.kind == model::NetworkMode::Kind::Path) i.network.sandbox_key = mode.target;
    else if (mode.kind != model::NetworkMode::Kind::Host) i.network.sandbox_key = sandbox_path(c.id);
  }
  for (const auto& [id, e] : execs_)
    if (e->info.container_id == c.id && e->info.running) i.exec_ids.push_back(id);
  return i;
}

Result<model::ContainerInfo> ContainerService::inspect(const std::string& ref, bool size) {
  model::ContainerInfo info;
  {
    std::lock_guard lk(mu_);
    auto c = TRY(lookup(ref));
    info = info_of(*c);
  }
  if (size) info.size_rw = deps_.rootfs->usage(info.id).value_or(0);
  return info;
}

Result<std::vector<model::ContainerInfo>> ContainerService::list(const model::ListOptions& options) {
  const auto& filters = options.filters;
  for (const auto& [key, values] : filters)
    if (std::find(std::begin(kListFilters), std::end(kListFilters), key) == std::end(kListFilters))
      return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
  bool all = options.all || filters.count("status") > 0;
  if (auto it = filters.find("status"); it != filters.end())
    for (const auto& v : it->second)
      if (std::find(std::begin(kStatuses), std::end(kStatuses), v) == std::end(kStatuses))
        return fail(Errc::InvalidArgument, "Unrecognised filter value for status: " + v);
  if (auto it = filters.find("health"); it != filters.end())
    for (const auto& v : it->second)
      if (!health::valid_filter_value(v)) return fail(Errc::InvalidArgument, "Unrecognised filter value for health: " + v);
  auto values = [&](const char* key) -> const std::vector<std::string>* {
    auto it = filters.find(key);
    return it == filters.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto any = [](const std::vector<std::string>* vs, auto&& pred) {
    return !vs || std::any_of(vs->begin(), vs->end(), pred);
  };

  std::vector<model::ContainerInfo> out;
  {
    std::lock_guard lk(mu_);
    std::vector<std::shared_ptr<Container>> picked;
    for (auto& [id, c] : containers_) picked.push_back(c);
    std::sort(picked.begin(), picked.end(), [](const auto& a, const auto& b) { return a->created > b->created; });
    // before/since: containers created before/after the named one.
    std::string before, since;
    if (auto v = values("before")) before = TRY(lookup(v->front()))->created;
    if (auto v = values("since")) since = TRY(lookup(v->front()))->created;
    for (auto& cp : picked) {
      const Container& c = *cp;
      if (!all && !c.state.running && options.limit <= 0 && before.empty() && since.empty()) continue;
      if (!before.empty() && c.created >= before) continue;
      if (!since.empty() && c.created <= since) continue;
      std::string status = c.state.status(c.ever_started);
      // berth's `namespace` filter: Docker's own containers ("") unless it names another (k8s.io).
      auto ns = values("namespace");
      if (ns ? std::find(ns->begin(), ns->end(), c.spec.ns) == ns->end() : !c.spec.ns.empty()) continue;
      bool ok = any(values("id"), [&](const std::string& v) { return c.id.rfind(v, 0) == 0; }) &&
                any(values("name"), [&](const std::string& v) { return name_matches(c.name, v); }) &&
                any(values("status"), [&](const std::string& v) { return status == v; }) &&
                any(values("exited"),
                    [&](const std::string& v) { return c.ever_started && !c.state.running && std::to_string(c.state.exit_code) == v; }) &&
                any(values("ancestor"),
                    [&](const std::string& v) {
                      return c.spec.config.image == v || c.image_id == v ||
                             (v.size() >= 4 && c.image_id.find(v) != std::string::npos);
                    }) &&
                any(values("network"),
                    [&](const std::string& v) {
                      return std::any_of(c.networks.begin(), c.networks.end(), [&](const NetworkRequest& r) {
                        auto ep = c.endpoints.find(r.name);
                        return r.name == v || (ep != c.endpoints.end() && ep->second.network_id.rfind(v, 0) == 0);
                      });
                    }) &&
                any(values("volume"),
                    [&](const std::string& v) {
                      return std::any_of(c.mounts.begin(), c.mounts.end(),
                                         [&](const MountPlan& m) { return m.source == v || m.destination == v; });
                    }) &&
                any(values("is-task"), [](const std::string& v) { return v == "false"; }) &&
                any(values("health"), [&](const std::string& v) { return v == health::filter_value(c.state.health); }) &&
                any(values("expose"), [&](const std::string& v) {
                  return c.spec.config.exposed_ports.count(v) || c.spec.config.exposed_ports.count(v + "/tcp");
                });
      if (auto labels = values("label"))
        ok = ok && std::all_of(labels->begin(), labels->end(),
                               [&](const std::string& v) { return has_label(c.spec.config.labels, v); });
      if (!ok) continue;
      out.push_back(info_of(c));
      if (options.limit > 0 && out.size() >= static_cast<size_t>(options.limit)) break;
    }
  }
  if (options.size)
    for (auto& i : out) i.size_rw = deps_.rootfs->usage(i.id).value_or(0);
  return out;
}

}  // namespace berth::engine
