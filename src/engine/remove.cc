// Removing containers, and container prune.
#include <signal.h>

#include <filesystem>

#include "base/log.h"
#include "engine/container_service.h"
#include "base/prune_filter.h"
#include "volume/service.h"

namespace berth::engine {

Result<void> ContainerService::remove(const std::string& ref, bool force, bool volumes) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lk(mu_);
    if (c->removed) return fail(Errc::NotFound, "No such container: " + ref);
    if (c->state.running && !force) {
      if (c->state.paused)
        return fail(Errc::Conflict, "You cannot remove a paused container " + c->id +
                                        ". Unpause and then stop the container before attempting removal or force remove");
      return fail(Errc::Conflict, "You cannot remove a running container " + c->id +
                                      ". Stop the container before attempting removal or force remove");
    }
    c->manually_stopped = true;
  }
  if (force) TRYV(stop_locked(c, 0, SIGKILL));
  std::vector<std::string> anonymous;
  {
    std::lock_guard lk(mu_);
    for (const auto& p : c->mounts)
      if (p.type == model::MountType::Volume && p.anonymous) anonymous.push_back(p.source);
  }
  TRYV(remove_locked(c));
  // rm -v: the container's anonymous volumes go too (unless another uses them).
  if (volumes)
    for (const auto& name : anonymous)
      if (auto r = deps_.volumes->remove(name, false); !r && r.error().code != Errc::Conflict)
        log::warn("removing volume {}: {}", name, r.error().str());
  return {};
}

Result<void> ContainerService::remove_locked(const std::shared_ptr<Container>& c) {
  health_->unwatch(c->id);
  {
    std::lock_guard lk(mu_);
    c->state.removing = true;
  }
  deps_.rootfs->unmount(rootfs_dir(c->id));
  if (auto r = deps_.rootfs->remove(c->id); !r && r.error().code != Errc::NotFound) {
    std::lock_guard lk(mu_);
    c->state.removing = false;
    c->state.dead = true;
    (void)persist(*c);
    return fail(r.error().code, "removing the filesystem of container " + c->id + ": " + r.error().message);
  }
  // A task that has just ended is released first (its shim has deleted the
  // runtime's state): on_exit holds this meanwhile, and an auto-removal runs
  // the work above in parallel with it.
  { std::lock_guard task_gone(c->task_end_mu); }
  task::TaskRuntime* runtime = runtime_for(c->runtime).value_or(nullptr);
  if (runtime) runtime->cleanup(c->id);
  std::error_code ec;
  std::filesystem::remove_all(container_dir(c->id), ec);
  std::filesystem::remove_all(bundle_dir(c->id), ec);
  std::lock_guard lk(mu_);
  TRYV(deps_.store->remove(c->id));
  c->removed = true;
  if (auto it = names_.find(c->name); it != names_.end() && it->second == c->id) names_.erase(it);
  containers_.erase(c->id);
  publish(*c, "destroy");
  c->changed->notify_all();
  return {};
}

Result<model::PruneReport> ContainerService::prune(const model::Filters& filters) {
  Filters given;
  for (const auto& [key, values] : filters)
    for (const auto& v : values) given.add(key, v);
  auto filter = TRY(PruneFilter::from(std::move(given), kContainerPruneKeys));
  std::vector<std::string> ids;
  {
    std::lock_guard lk(mu_);
    // Another front end's containers (the CRI's) are its own to remove.
    for (auto& [id, c] : containers_)
      if (!c->state.running && c->spec.ns.empty() && filter.matches(c->spec.config.labels, go::parse_rfc3339(c->created).value_or(go::UnixTime{}))) ids.push_back(id);
  }
  model::PruneReport report;
  for (const auto& id : ids) {
    int64_t size = deps_.rootfs->usage(id).value_or(0);
    if (remove(id, false, false)) {
      report.deleted.push_back(id);
      report.space_reclaimed += static_cast<uint64_t>(size);
    }
  }
  return report;
}

}  // namespace berth::engine
