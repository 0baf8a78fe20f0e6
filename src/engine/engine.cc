#include "engine/engine.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/log.h"
#include "engine/networks/network_service.h"
#include "volume/service.h"

namespace berth::engine {

Engine::Engine(EngineConfig cfg) : cfg_(std::move(cfg)) {}

Engine::~Engine() { shutdown(); }

Result<std::unique_ptr<Engine>> Engine::open(const EngineConfig& cfg) {
  std::unique_ptr<Engine> e(new Engine(cfg));
  std::error_code ec;
  for (const auto& dir : {cfg.data_root, cfg.data_root + "/containers", cfg.exec_root, e->runtime_root(),
                          cfg.exec_root + "/containers", cfg.exec_root + "/shims", cfg.exec_root + "/exec"}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
  }
  ::chmod(cfg.data_root.c_str(), 0711);
  ::chmod(cfg.exec_root.c_str(), 0711);
  e->images_ = TRY_CTX(image::ImageService::open(cfg.data_root), "opening the image store in " + cfg.data_root);
  e->store_.emplace(TRY(metadata::ContainerStore::open(cfg.data_root + "/metadata.db")));
  for (auto& row : TRY(e->store_->list())) {
    auto c = Container::from_doc(row.doc);
    if (!c) {
      log::error("skipping container {}: {}", row.id, c.error().str());
      continue;
    }
    e->names_[(*c)->name] = (*c)->id;
    e->containers_[(*c)->id] = std::move(*c);
  }
  e->volumes_ = TRY_CTX(volume::VolumeService::open(cfg.data_root, cfg.data_root + "/metadata.db"),
                        "opening the volume store");
  e->volumes_->set_in_use([self = e.get()](const std::string& name) {
    std::vector<std::string> users;
    std::lock_guard lk(self->mu_);
    for (const auto& [id, c] : self->containers_)
      for (const auto& p : c->mount_plans)
        if (p.value("Type", "") == "volume" && p.value("Source", "") == name) users.push_back(id);
    return users;
  });
  e->volumes_->set_events([self = e.get()](const std::string& action, const std::string& name,
                                           const std::map<std::string, std::string>& attrs) {
    self->events_.publish({"volume", action, name, attrs, 0});
  });
  NetworkConfig ncfg;
  ncfg.db_path = cfg.data_root + "/metadata.db";
  ncfg.default_bridge = cfg.bridge;
  ncfg.default_bip = cfg.bip;
  ncfg.firewall_table = cfg.firewall_table;
  Engine* self = e.get();
  e->networks_ = TRY_CTX(NetworkService::open(ncfg, [self] { return self->network_views(); }),
                         "setting up networks");
  return e;
}

void Engine::shutdown() {
  if (shutting_down_.exchange(true)) return;
  std::lock_guard lk(mu_);
  // Wake the shim followers; the shims and their containers keep running.
  for (auto& [id, c] : containers_)
    if (c->shim_conn) ::shutdown(c->shim_conn.get(), SHUT_RDWR);
}

std::string Engine::runtime_root() const { return cfg_.exec_root + "/runtime"; }
std::string Engine::bundle_dir(const std::string& id) const { return cfg_.exec_root + "/containers/" + id; }
std::string Engine::shim_dir(const std::string& id) const { return cfg_.exec_root + "/shims/" + id; }
std::string Engine::container_dir(const std::string& id) const { return cfg_.data_root + "/containers/" + id; }
std::string Engine::rootfs_dir(const std::string& id) const { return container_dir(id) + "/rootfs"; }

Result<std::shared_ptr<Container>> Engine::lookup(const std::string& ref) {
  if (ref.empty()) return fail(Errc::NotFound, "No such container: ");
  if (auto it = containers_.find(ref); it != containers_.end()) return it->second;
  std::string as_name = ref[0] == '/' ? ref : "/" + ref;
  if (auto it = names_.find(as_name); it != names_.end()) return containers_.at(it->second);
  std::shared_ptr<Container> found;
  for (auto& [id, c] : containers_) {
    if (id.compare(0, ref.size(), ref) == 0) {
      if (found) return fail(Errc::InvalidArgument, "multiple IDs found with provided prefix: " + ref);
      found = c;
    }
  }
  if (!found) return fail(Errc::NotFound, "No such container: " + ref);
  return found;
}

Result<std::shared_ptr<Container>> Engine::find(const std::string& ref) {
  std::lock_guard lk(mu_);
  return lookup(ref);
}

Result<void> Engine::persist(const Container& c) {
  if (c.removed) return {};
  auto r = store_->update(c.id, c.to_doc().dump());
  if (!r) log::error("recording container {}: {}", c.id, r.error().str());
  return r;
}

void Engine::publish(const Container& c, const std::string& action, std::map<std::string, std::string> extra) {
  Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.attributes = std::move(extra);
  e.attributes["name"] = c.name.substr(1);
  e.attributes["image"] = c.image;
  if (c.config.contains("Labels") && c.config["Labels"].is_object())
    for (auto& [k, v] : c.config["Labels"].items())
      if (v.is_string()) e.attributes.emplace(k, v.get<std::string>());
  events_.publish(std::move(e));
}

std::vector<std::string> Engine::containers_using(const std::string& image_id, bool running_only) {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (auto& [id, c] : containers_)
    if (c->image_id == image_id && (!running_only || c->state.running)) out.push_back(id);
  return out;
}

size_t Engine::container_count(int* running, int* paused, int* stopped) {
  std::lock_guard lk(mu_);
  *running = *paused = *stopped = 0;
  for (auto& [id, c] : containers_) {
    if (c->state.running && c->state.paused) ++*paused;
    else if (c->state.running) ++*running;
    else ++*stopped;
  }
  return containers_.size();
}

}  // namespace berth::engine
