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
  TRYV(validate_binds(host_config));
  std::string net = host_config.value("NetworkMode", "");
  if (net.empty() || net == "default" || net == "bridge") net = "none";  // bridge networks: a later release
  if (net != "none" && net != "host")
    return fail(Errc::InvalidArgument, "network mode " + net + " is not supported yet (use none or host)");
  host_config["NetworkMode"] = host_config.value("NetworkMode", "").empty() ? "default" : host_config["NetworkMode"];
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

  auto c = std::make_shared<Container>();
  c->id = new_container_id();
  c->created = rfc3339_now();
  c->image = image_ref;
  c->image_id = img.id;
  c->path = merged.path;
  c->args = merged.args;
  c->config = std::move(merged.config);
  c->config["Image"] = image_ref;
  if (c->config.value("Hostname", "").empty())
    c->config["Hostname"] = net == "host" ? host.hostname : c->id.substr(0, 12);
  c->host_config = std::move(host_config);
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
