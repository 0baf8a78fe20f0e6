// POST /containers/create: validate, resolve the image, merge its defaults,
// prepare the writable snapshot and the per-container files, record it.
#include <unistd.h>

#include <filesystem>

#include "base/clock.h"
#include "base/defer.h"
#include "base/file.h"
#include "engine/engine.h"
#include "engine/binds.h"
#include "engine/host.h"
#include "engine/names.h"
#include "volume/service.h"
#include "engine/networks/network_service.h"
#include "image/reference.h"
#include "specgen/specgen.h"

namespace berth::engine {

Result<nlohmann::json> Engine::create(const nlohmann::json& body, const std::string& requested_name) {
  if (!body.is_object()) return fail(Errc::InvalidArgument, "container config must be a JSON object");
  nlohmann::json config = body;
  nlohmann::json host_config = config.value("HostConfig", nlohmann::json::object());
  if (host_config.is_null()) host_config = nlohmann::json::object();
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  std::string image_ref = config.value("Image", "");
  if (image_ref.empty()) return fail(Errc::InvalidArgument, "config.Image: no image specified");

  const auto& host = host_info();
  TRYV(specgen::validate_host_config(host_config, host));
  // --volumes-from: the named containers' mount plans.
  std::vector<std::pair<std::vector<MountPlan>, bool>> volumes_from;
  if (host_config.contains("VolumesFrom") && host_config["VolumesFrom"].is_array()) {
    for (const auto& v : host_config["VolumesFrom"]) {
      std::string spec = v.get<std::string>();
      auto colon = spec.find(':');
      std::string name = spec.substr(0, colon);
      std::string mode = colon == std::string::npos ? "" : spec.substr(colon + 1);
      if (!mode.empty() && mode != "ro" && mode != "rw")
        return fail(Errc::InvalidArgument, "invalid mode for volumes-from: " + mode);
      auto other = find(name);
      if (!other) return std::unexpected(other.error());
      std::vector<MountPlan> plans;
      std::lock_guard lk(mu_);
      for (const auto& p : (*other)->mount_plans) plans.push_back(MountPlan::from_json(p));
      volumes_from.emplace_back(std::move(plans), mode == "ro");
    }
  }

  std::string net = host_config.value("NetworkMode", "");
  if (net.empty()) net = "default";
  host_config["NetworkMode"] = net;
  std::string shared_hostname;
  if (net.rfind("container:", 0) == 0) {
    // Another container's network namespace (and its hostname and /etc files).
    auto other = find(net.substr(10));
    if (!other) return std::unexpected(other.error());
    std::lock_guard lk(mu_);
    net = "container:" + (*other)->id;
    host_config["NetworkMode"] = net;
    shared_hostname = (*other)->config.value("Hostname", "");
  }
  // The networks the container joins at start, in order: the mode's (the
  // default bridge for "default"), then the other EndpointsConfig entries.
  nlohmann::json requests = nlohmann::json::array();
  if (net != "host" && net != "none" && net.rfind("container:", 0) != 0) {
    nlohmann::json endpoints = body.value("/NetworkingConfig/EndpointsConfig"_json_pointer, nlohmann::json::object());
    // The CLI keys the mode's endpoint by the mode itself ("default").
    auto request_for = [&](const std::string& name, const std::string& key) -> Result<nlohmann::json> {
      auto n = TRY(networks_->find(name));
      std::string canonical = n["Name"];
      nlohmann::json ep = endpoints.is_object() && endpoints.contains(key) ? endpoints[key] : nlohmann::json::object();
      if (ep.is_null()) ep = nlohmann::json::object();
      std::vector<std::string> aliases;
      if (ep.contains("Aliases") && ep["Aliases"].is_array())
        for (auto& a : ep["Aliases"]) aliases.push_back(a.get<std::string>());
      std::string ip = ep.value("/IPAMConfig/IPv4Address"_json_pointer, std::string());
      if (!ip.empty() && !networks_->is_user_defined(n))
        return fail(Errc::InvalidArgument, "user specified IP address is supported on user defined networks only");
      if (!aliases.empty() && !networks_->is_user_defined(n))
        return fail(Errc::InvalidArgument, "network-scoped alias is supported only for containers in user defined networks");
      return nlohmann::json{{"Name", canonical}, {"Aliases", aliases}, {"IPv4Address", ip}};
    };
    std::string first = net == "default" ? "bridge" : net;
    requests.push_back(TRY(request_for(first, endpoints.is_object() && endpoints.contains(net) ? net : first)));
    if (endpoints.is_object())
      for (auto& [name, v] : endpoints.items())
        if (name != net && name != first && name != requests[0]["Name"]) requests.push_back(TRY(request_for(name, name)));
  }
  // The only log driver: json-file (SDKs read this field).
  auto log_config = host_config.value("LogConfig", nlohmann::json::object());
  if (!log_config.is_object() || log_config.value("Type", "").empty()) {
    host_config["LogConfig"] = {{"Type", "json-file"}, {"Config", nlohmann::json::object()}};
  } else if (log_config.value("Type", "") != "json-file") {
    return fail(Errc::InvalidArgument, "logging driver " + log_config.value("Type", "") +
                                           " is not supported: berth writes json-file logs");
  }

  image::ImageInfo img;
  {
    std::lock_guard lk(image_mu_);
    auto r = images_->inspect(image_ref);
    if (!r) {
      if (r.error().code == Errc::NotFound) {
        auto parsed = image::Reference::parse(image_ref);
        return fail(Errc::NotFound, "No such image: " + (parsed ? parsed->familiar() : image_ref));
      }
      return std::unexpected(r.error());
    }
    img = std::move(*r);
  }
  nlohmann::json image_config = nlohmann::json::object();
  try {
    auto full = nlohmann::json::parse(img.config_bytes);
    if (full.contains("config") && full["config"].is_object()) image_config = full["config"];
  } catch (const std::exception&) {
  }
  auto merged = TRY(specgen::merge_config(config, image_config));
  // The image's VOLUMEs count too: plan with the merged config.
  auto plans = TRY(plan_mounts(host_config, merged.config, volumes_from));

  auto c = std::make_shared<Container>();
  c->id = new_container_id();
  c->created = rfc3339_now();
  c->image = image_ref;
  c->image_id = img.id;
  c->path = merged.path;
  c->args = merged.args;
  c->config = std::move(merged.config);
  c->config["Image"] = image_ref;
  if (!shared_hostname.empty()) c->config["Hostname"] = shared_hostname;
  if (c->config.value("Hostname", "").empty())
    c->config["Hostname"] = net == "host" ? host.hostname : c->id.substr(0, 12);
  c->host_config = std::move(host_config);
  c->network_requests = std::move(requests);
  // Named volumes are created now (an existing one is used as is), anonymous
  // ones get their random name.
  nlohmann::json plan_docs = nlohmann::json::array();
  for (auto& p : plans) {
    if (p.type == "volume") {
      volume::VolumeService::Options opts;
      if (p.volume_options.is_object())
        for (auto& [k, v] : p.volume_options.items()) opts[k] = v.is_string() ? v.get<std::string>() : v.dump();
      auto vol = TRY(volumes_->create(p.anonymous ? "" : p.source, "local", opts, {}));
      p.source = vol.value("Name", p.source);
    }
    plan_docs.push_back(p.to_json());
  }
  c->mount_plans = std::move(plan_docs);
  c->tty = c->tty_config();

  std::string dir = container_dir(c->id);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
  bool ok = false;
  Defer cleanup([&] {
    if (ok) return;
    std::lock_guard lk(image_mu_);
    (void)images_->snapshots().remove(c->id);
    std::filesystem::remove_all(dir, ec);
  });
  c->log_path = dir + "/" + c->id + "-json.log";
  c->hostname_path = dir + "/hostname";
  c->hosts_path = dir + "/hosts";
  c->resolv_conf_path = dir + "/resolv.conf";
  {
    std::lock_guard lk(image_mu_);
    TRYV_CTX(images_->prepare_rootfs(img.id, c->id), "preparing the container's filesystem");
  }

  std::lock_guard lk(mu_);
  if (requested_name.empty()) {
    c->name = generate_container_name([&](const std::string& n) { return names_.count(n) > 0; });
  } else {
    c->name = TRY(normalize_container_name(requested_name));
    if (auto it = names_.find(c->name); it != names_.end())
      return fail(Errc::Conflict, "Conflict. The container name \"" + c->name + "\" is already in use by container \"" +
                                      it->second + "\". You have to remove (or rename) that container to be able to reuse that name.");
  }
  TRYV(store_->insert({c->id, c->name, c->image_id, c->created, c->to_doc().dump()}));
  ok = true;
  names_[c->name] = c->id;
  containers_[c->id] = c;
  publish(*c, "create");
  return nlohmann::json{{"Id", c->id}, {"Warnings", nlohmann::json::array()}};
}

}  // namespace berth::engine
