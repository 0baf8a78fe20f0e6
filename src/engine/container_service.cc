#include "engine/container_service.h"

#include <sys/stat.h>
#include <time.h>

#include <filesystem>

#include "base/log.h"
#include "base/go_time.h"
#include "engine/container_record.h"
#include "engine/health_bridge.h"

namespace berth::engine {

namespace {

// Go's time.Time in JSON (RFC 3339 nano, trailing zeros dropped), UTC.
std::string go_time_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return go::format_rfc3339_nano(go::UnixTime{now.tv_sec, static_cast<int32_t>(now.tv_nsec)});
}

}  // namespace

ContainerService::ContainerService(ContainerServiceConfig cfg, ContainerServiceDeps deps)
    : cfg_(std::move(cfg)), deps_(std::move(deps)) {
  health::Timers* timers = deps_.health_timers;
  if (!timers) {
    own_timers_ = std::make_unique<health::ThreadTimers>();
    timers = own_timers_.get();
  }
  health_bridge_ = std::make_unique<HealthBridge>(this);
  health_ = std::make_unique<health::Monitor>(*timers, *health_bridge_, *health_bridge_, go_time_now);
  sampler_ = std::make_shared<stats::Sampler>(static_cast<stats::TargetSource&>(*this), stats::system_clock(), cfg_.stats_interval);
}

ContainerService::~ContainerService() {
  shutdown();
  sampler_.reset();
}

Result<std::unique_ptr<ContainerService>> ContainerService::open(ContainerServiceConfig cfg,
                                                                 ContainerServiceDeps deps) {
  if (!deps.runtimes.count(cfg.default_runtime))
    return fail(Errc::InvalidArgument, "the default runtime " + cfg.default_runtime + " is not one this daemon has");
  std::unique_ptr<ContainerService> s(new ContainerService(std::move(cfg), std::move(deps)));
  std::error_code ec;
  for (const auto& dir : {s->cfg_.data_root + "/containers", s->cfg_.exec_root + "/containers"}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
  }
  for (auto& row : TRY(s->deps_.store->list())) {
    auto loaded = record_from_json(row.doc);
    if (!loaded) {
      log::error("skipping container {}: {}", row.id, loaded.error().str());
      continue;
    }
    auto c = std::make_shared<Container>();
    static_cast<ContainerRecord&>(*c) = std::move(loaded->record);
    if (loaded->migrated) {
      if (auto r = s->deps_.store->update(c->id, record_to_json(*c).dump()); !r)
        log::warn("container {}: storing its migrated record: {}", c->id, r.error().str());
      else
        log::info("container {}: record migrated to schema {}", c->id, kRecordSchema);
    }
    s->names_[c->name] = c->id;
    s->containers_[c->id] = std::move(c);
  }
  return s;
}

void ContainerService::shutdown() {
  if (shutting_down_.exchange(true)) return;
  sampler_->stop();  // stats streams waiting on it end now
  // No probe starts from here on; the running ones are killed (their execs
  // would outlive the daemon). The next berthd schedules them again.
  if (own_timers_) own_timers_->stop();
  health_->shutdown();
  std::vector<std::shared_ptr<task::Task>> tasks;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_)
      if (c->task) tasks.push_back(c->task);
  }
  // The tasks keep running; the next berthd follows them again.
  for (auto& t : tasks) t->disconnect();
}

std::string ContainerService::bundle_dir(const std::string& id) const { return cfg_.exec_root + "/containers/" + id; }
std::string ContainerService::sandbox_path(const std::string& id) const { return bundle_dir(id) + "/netns"; }
std::string ContainerService::container_dir(const std::string& id) const { return cfg_.data_root + "/containers/" + id; }
std::string ContainerService::rootfs_dir(const std::string& id) const { return container_dir(id) + "/rootfs"; }

Result<std::shared_ptr<Container>> ContainerService::lookup(const std::string& ref) {
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

Result<std::shared_ptr<Container>> ContainerService::find(const std::string& ref) {
  std::lock_guard lk(mu_);
  return lookup(ref);
}

Result<void> ContainerService::persist(const Container& c) {
  if (c.removed) return {};
  auto r = deps_.store->update(c.id, record_to_json(c).dump());
  if (!r) log::error("recording container {}: {}", c.id, r.error().str());
  return r;
}

void ContainerService::publish(const Container& c, const std::string& action, std::map<std::string, std::string> extra) {
  Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.ns = c.spec.ns;
  e.attributes = std::move(extra);
  e.attributes["name"] = c.name.substr(1);
  e.attributes["image"] = c.spec.config.image;
  for (const auto& [k, v] : c.spec.config.labels) e.attributes.emplace(k, v);
  deps_.events->publish(std::move(e));
}

Result<task::TaskRuntime*> ContainerService::runtime_for(const std::string& name) const {
  auto it = deps_.runtimes.find(name.empty() ? cfg_.default_runtime : name);
  if (it == deps_.runtimes.end()) return fail(Errc::InvalidArgument, "unknown or invalid runtime name: " + name);
  return it->second;
}

std::vector<std::string> ContainerService::runtime_names() const {
  std::vector<std::string> out;
  for (const auto& [name, r] : deps_.runtimes) out.push_back(name);
  return out;
}

Result<std::shared_ptr<task::Task>> ContainerService::running_task(const std::shared_ptr<Container>& c) {
  std::lock_guard lk(mu_);
  if (!c->state.running || !c->task) return fail(Errc::Conflict, "Container " + c->id + " is not running");
  return c->task;
}

std::vector<std::string> ContainerService::containers_using(const std::string& image_id, bool running_only) {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (auto& [id, c] : containers_)
    if (c->image_id == image_id && (!running_only || c->state.running)) out.push_back(id);
  return out;
}

std::vector<std::string> ContainerService::volume_users(const std::string& volume) {
  std::lock_guard lk(mu_);
  std::vector<std::string> users;
  for (const auto& [id, c] : containers_)
    for (const auto& p : c->mounts)
      if (p.type == model::MountType::Volume && p.source == volume) users.push_back(id);
  return users;
}

std::vector<NetworkContainerView> ContainerService::network_views() {
  std::lock_guard lk(mu_);
  std::vector<NetworkContainerView> out;
  for (const auto& [id, c] : containers_) {
    if (c->endpoints.empty()) continue;
    NetworkContainerView v{id, c->name.substr(1), {}};
    for (const auto& [name, ep] : c->endpoints) v.endpoints[ep.network_id] = ep;
    out.push_back(std::move(v));
  }
  return out;
}

ContainerService::Counts ContainerService::counts() {
  std::lock_guard lk(mu_);
  Counts n;
  for (auto& [id, c] : containers_) {
    ++n.total;
    if (c->state.running && c->state.paused) ++n.paused;
    else if (c->state.running) ++n.running;
    else ++n.stopped;
  }
  return n;
}

}  // namespace berth::engine
