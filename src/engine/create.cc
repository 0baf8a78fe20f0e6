// Creating a container: check the spec (for every front end), resolve the
// image and merge its defaults, plan networks and mounts, prepare the
// writable snapshot and the per-container files, record it under its name.
#include <filesystem>

#include "base/clock.h"
#include "base/defer.h"
#include "engine/container_record.h"
#include "engine/container_service.h"
#include "engine/extra_hosts.h"
#include "engine/health/rules.h"
#include "engine/log_config.h"
#include "engine/names.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

std::unexpected<Error> invalid(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

}  // namespace

Result<backend::CreateResult> ContainerService::create(const std::string& requested_name,
                                                       const model::ContainerSpec& requested) {
  model::ContainerSpec spec = requested;
  if (spec.config.image.empty()) return invalid("config.Image: no image specified");
  std::string name;
  if (!requested_name.empty()) name = TRY(normalize_container_name(requested_name));
  TRY(runtime_for(spec.host.runtime));
  // The CRI names the log file (the kubelet's pod log directory); from other
  // front ends a `path` option is refused by the driver's checks.
  std::string given_log_path;
  if (!spec.ns.empty() && spec.host.log_config.driver == "cri") {
    if (auto it = spec.host.log_config.options.find("path"); it != spec.host.log_config.options.end()) {
      given_log_path = it->second;
      spec.host.log_config.options.erase(it);
      if (given_log_path.empty() || given_log_path[0] != '/')
        return invalid("log path \"" + given_log_path + "\" is not an absolute path");
    }
  }
  spec.host.log_config = TRY(effective_log_config(spec.host.log_config, cfg_.log_driver, cfg_.log_options));
  TRYV(specgen::validate(spec, deps_.host));
  if (spec.config.healthcheck) TRYV(health::validate(*spec.config.healthcheck));

  // --volumes-from: the named containers' mount plans.
  std::vector<std::pair<std::vector<MountPlan>, bool>> volumes_from;
  for (const auto& from : spec.host.volumes_from) {
    auto colon = from.find(':');
    std::string mode = colon == std::string::npos ? "" : from.substr(colon + 1);
    if (!mode.empty() && mode != "ro" && mode != "rw") return invalid("invalid mode for volumes-from: " + mode);
    auto other = TRY(find(from.substr(0, colon)));
    std::lock_guard lk(mu_);
    volumes_from.emplace_back(other->mounts, mode == "ro");
  }

  // --network container:NAME joins that container's namespace (and shares its hostname).
  auto& mode = spec.host.network_mode;
  std::string shared_hostname;
  if (mode.kind == model::NetworkMode::Kind::Container) {
    auto other = TRY(find(mode.target));
    std::lock_guard lk(mu_);
    mode.target = other->id;
    shared_hostname = other->spec.config.hostname;
  }
  // The networks joined at start, in order: the mode's (the default bridge
  // for "default"), then the other EndpointsConfig entries.
  std::vector<NetworkRequest> networks;
  if (mode.has_own_networks()) {
    auto request_for = [&](const std::string& network, const std::string& key) -> Result<NetworkRequest> {
      auto ref = TRY(deps_.networks->resolve(network));
      model::EndpointRequest ep;
      if (auto it = spec.endpoints.find(key); it != spec.endpoints.end()) ep = it->second;
      if (!ep.ipv4_address.empty() && !ref.user_defined)
        return invalid("user specified IP address is supported on user defined networks only");
      if (!ep.aliases.empty() && !ref.user_defined)
        return invalid("network-scoped alias is supported only for containers in user defined networks");
      if (!ep.links.empty() && !ref.user_defined)
        return invalid("legacy links are not supported by berth yet (network " + ref.name +
                       "): on a user-defined network containers find each other by name");
      return NetworkRequest{ref.name, ep.aliases, ep.ipv4_address, ep.links, ep.mac_address};
    };
    std::string mode_text = mode.str();
    std::string first = mode.is_default_bridge() ? "bridge" : mode.target;
    // The CLI keys the mode's endpoint by the mode itself ("default").
    networks.push_back(TRY(request_for(first, spec.endpoints.count(mode_text) ? mode_text : first)));
    for (const auto& [net, ep] : spec.endpoints)
      if (net != mode_text && net != first && net != networks[0].name) networks.push_back(TRY(request_for(net, net)));
    // Config.MacAddress (container-wide, from API clients before 1.44 and
    // docker-compose 1.29) is the main network's, as dockerd takes it.
    if (auto& main_mac = networks.front().mac_address; !spec.config.mac_address.empty()) {
      if (!main_mac.empty() && main_mac != spec.config.mac_address)
        return invalid("the container-wide MAC address must match the endpoint-specific MAC address for the main "
                       "network, or be left empty");
      main_mac = spec.config.mac_address;
    }
  } else {
    bool mac = !spec.config.mac_address.empty();
    for (const auto& [net, ep] : spec.endpoints) mac |= !ep.mac_address.empty();
    if (mac) return invalid("conflicting options: mac-address and the network mode");
  }

  TRYV(parse_extra_hosts(spec.host.extra_hosts));
  ImageDefaults image = TRY(deps_.rootfs->resolve_image(spec.config.image));
  auto merged = TRY(specgen::merge_config(spec.config, image.defaults));
  // The image's VOLUMEs count too: plan with the merged config.
  auto plans = TRY(plan_mounts(spec.host, merged.config, volumes_from));

  auto c = std::make_shared<Container>();
  c->id = new_container_id();
  c->created = rfc3339_now();
  c->image_id = image.id;
  c->path = merged.path;
  c->args = merged.args;
  c->runtime = spec.host.runtime.empty() ? cfg_.default_runtime : spec.host.runtime;
  c->spec = std::move(spec);
  c->spec.config = std::move(merged.config);
  auto& config = c->spec.config;
  if (!shared_hostname.empty()) config.hostname = shared_hostname;
  // With the host's UTS namespace the container has the host's name and sets none.
  if (config.hostname.empty() && !c->spec.host.uts_mode.is_host())
    config.hostname = mode.kind == model::NetworkMode::Kind::Host ? deps_.host.hostname : c->short_id();
  c->networks = std::move(networks);

  std::string dir = container_dir(c->id);
  bool ok = false;
  std::vector<std::string> made_volumes;
  Defer cleanup([&] {
    if (ok) return;
    for (const auto& v : made_volumes) (void)deps_.volumes->remove(v, true);
    (void)deps_.rootfs->remove(c->id);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });
  // Named volumes are created now (an existing one is used as is), anonymous
  // ones get their random name.
  for (auto& p : plans) {
    if (p.type != model::MountType::Volume) continue;
    bool existed = !p.anonymous && deps_.volumes->inspect(p.source).has_value();
    auto vol = TRY(deps_.volumes->create(p.anonymous ? "" : p.source, "local", p.volume_options, {}));
    p.source = vol.value("Name", p.source);
    if (!existed) made_volumes.push_back(p.source);
  }
  c->mounts = std::move(plans);

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
  c->log_path = given_log_path.empty() ? dir + "/" + c->id + "-json.log" : given_log_path;
  c->hostname_path = dir + "/hostname";
  c->hosts_path = dir + "/hosts";
  c->resolv_conf_path = dir + "/resolv.conf";
  TRYV_CTX(deps_.rootfs->prepare(c->image_id, c->id), "preparing the container's filesystem");

  // The name is taken and recorded under one lock: of any number of
  // creates racing for a name exactly one gets it, and the name leads to it.
  std::lock_guard lk(mu_);
  if (name.empty()) {
    name = generate_container_name([&](const std::string& n) { return names_.count(n) > 0; });
  } else if (auto it = names_.find(name); it != names_.end()) {
    return fail(Errc::Conflict, "Conflict. The container name \"" + name + "\" is already in use by container \"" +
                                    it->second + "\". You have to remove (or rename) that container to be able to reuse that name.");
  }
  c->name = name;
  TRYV(deps_.store->insert({c->id, c->name, c->image_id, c->created, record_to_json(*c).dump()}));
  ok = true;
  names_[c->name] = c->id;
  containers_[c->id] = c;
  publish(*c, "create");
  return backend::CreateResult{c->id, {}};
}

}  // namespace berth::engine
