// Renaming a container, updating its resources and restart policy, and
// resizing its terminal.
#include "engine/container_record.h"
#include "engine/container_service.h"
#include "engine/names.h"

namespace berth::engine {
namespace {

// The limits that change, as the task takes them (zero or empty: unchanged, as Docker).
task::ResourceUpdate resource_update(const model::Resources& r) {
  task::ResourceUpdate u;
  if (r.memory) u.memory = r.memory;
  if (r.memory_swap) u.memory_swap = r.memory_swap;
  if (r.memory_reservation) u.memory_reservation = r.memory_reservation;
  if (r.nano_cpus) {
    u.cpu_period = 100000;
    u.cpu_quota = r.nano_cpus * 100000 / 1000000000;
  }
  if (r.cpu_shares) u.cpu_shares = static_cast<uint64_t>(r.cpu_shares);
  if (r.cpu_quota) u.cpu_quota = r.cpu_quota;
  if (r.cpu_period) u.cpu_period = static_cast<uint64_t>(r.cpu_period);
  if (!r.cpuset_cpus.empty()) u.cpuset_cpus = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) u.cpuset_mems = r.cpuset_mems;
  if (r.pids_limit && *r.pids_limit != 0) u.pids_limit = *r.pids_limit;
  if (r.blkio_weight) u.blkio_weight = static_cast<uint16_t>(r.blkio_weight);
  return u;
}

// The record keeps what was asked, field by field.
void apply(model::Resources& to, const model::Resources& r) {
  if (r.memory) to.memory = r.memory;
  if (r.memory_swap) to.memory_swap = r.memory_swap;
  if (r.memory_reservation) to.memory_reservation = r.memory_reservation;
  if (r.nano_cpus) to.nano_cpus = r.nano_cpus;
  if (r.cpu_shares) to.cpu_shares = r.cpu_shares;
  if (r.cpu_quota) to.cpu_quota = r.cpu_quota;
  if (r.cpu_period) to.cpu_period = r.cpu_period;
  if (!r.cpuset_cpus.empty()) to.cpuset_cpus = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) to.cpuset_mems = r.cpuset_mems;
  if (r.pids_limit && *r.pids_limit != 0) to.pids_limit = r.pids_limit;
  if (r.blkio_weight) to.blkio_weight = r.blkio_weight;
}

}  // namespace

Result<void> ContainerService::rename(const std::string& ref, const std::string& new_name) {
  auto c = TRY(find(ref));
  if (new_name.empty()) return fail(Errc::InvalidArgument, "Neither old nor new names may be empty");
  std::string name = TRY(normalize_container_name(new_name));
  std::lock_guard lk(mu_);
  if (name == c->name) return fail(Errc::InvalidArgument, "Renaming a container with the same name as its current name");
  if (auto it = names_.find(name); it != names_.end())
    return fail(Errc::Conflict, "Conflict. The container name \"" + name + "\" is already in use by container \"" +
                                    it->second + "\". You have to remove (or rename) that container to be able to reuse that name.");
  std::string old = c->name;
  c->name = name;
  if (auto r = deps_.store->rename(c->id, name, record_to_json(*c).dump()); !r) {
    c->name = old;
    return std::unexpected(r.error());
  }
  names_.erase(old);
  names_[name] = c->id;
  publish(*c, "rename", {{"oldName", old}});
  return {};
}

Result<std::vector<std::string>> ContainerService::update(const std::string& ref, const model::Resources& resources,
                                                          const std::optional<model::RestartPolicy>& restart) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  model::ContainerSpec updated;
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    updated = c->spec;
    t = c->state.running ? c->task : nullptr;
  }
  apply(updated.host.resources, resources);
  if (restart) updated.host.restart_policy = *restart;
  TRYV(specgen::validate(updated, deps_.host));
  if (auto u = resource_update(resources); t && !u.empty())
    TRYV_CTX(t->update(u), "Cannot update container " + c->id);
  std::lock_guard lk(mu_);
  c->spec = std::move(updated);
  (void)persist(*c);
  publish(*c, "update");
  return std::vector<std::string>{};
}

Result<void> ContainerService::resize(const std::string& ref, unsigned rows, unsigned cols) {
  auto c = TRY(find(ref));
  auto t = TRY(running_task(c));
  return t->resize(rows, cols);
}

}  // namespace berth::engine
