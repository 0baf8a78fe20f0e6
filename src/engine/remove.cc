// Removing, renaming, updating and resizing containers; container prune.
#include <signal.h>

#include <filesystem>

#include "base/log.h"
#include "engine/engine.h"
#include "engine/names.h"
#include "runtime/container.h"
#include "shimproto/protocol.h"
#include "volume/service.h"

namespace berth::engine {

Result<void> Engine::remove(const std::string& ref, bool force, bool volumes) {
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
    for (const auto& p : c->mount_plans)
      if (p.value("Type", "") == "volume" && p.value("Anonymous", false)) anonymous.push_back(p.value("Source", ""));
  }
  TRYV(remove_locked(c));
  // rm -v: the container's anonymous volumes go too (unless another uses them).
  if (volumes)
    for (const auto& name : anonymous)
      if (auto r = volumes_->remove(name, false); !r && r.error().code != Errc::Conflict)
        log::warn("removing volume {}: {}", name, r.error().str());
  return {};
}

Result<void> Engine::remove_locked(const std::shared_ptr<Container>& c) {
  {
    std::lock_guard lk(mu_);
    c->state.removing = true;
  }
  unmount_rootfs(*c);
  {
    std::lock_guard lk(image_mu_);
    auto r = images_->snapshots().remove(c->id);
    if (!r && r.error().code != Errc::NotFound) {
      std::lock_guard lk2(mu_);
      c->state.removing = false;
      c->state.dead = true;
      (void)persist(*c);
      return fail(r.error().code, "removing the filesystem of container " + c->id + ": " + r.error().message);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(container_dir(c->id), ec);
  std::filesystem::remove_all(shim_dir(c->id), ec);
  std::filesystem::remove_all(bundle_dir(c->id), ec);
  std::lock_guard lk(mu_);
  TRYV(store_->remove(c->id));
  c->removed = true;
  names_.erase(c->name);
  containers_.erase(c->id);
  publish(*c, "destroy");
  c->changed->notify_all();
  return {};
}

Result<void> Engine::rename(const std::string& ref, const std::string& new_name) {
  auto c = TRY(find(ref));
  if (new_name.empty()) return fail(Errc::InvalidArgument, "Neither old nor new names may be empty");
  std::string name = TRY(normalize_container_name(new_name));
  std::lock_guard lk(mu_);
  if (name == c->name)
    return fail(Errc::InvalidArgument, "Renaming a container with the same name as its current name");
  if (auto it = names_.find(name); it != names_.end())
    return fail(Errc::Conflict, "Conflict. The container name \"" + name + "\" is already in use by container \"" +
                                    it->second + "\". You have to remove (or rename) that container to be able to reuse that name.");
  std::string old = c->name;
  c->name = name;
  auto r = store_->rename(c->id, name, c->to_doc().dump());
  if (!r) {
    c->name = old;
    return std::unexpected(r.error());
  }
  names_.erase(old);
  names_[name] = c->id;
  publish(*c, "rename", {{"oldName", old}});
  return {};
}

Result<nlohmann::json> Engine::update(const std::string& ref, const nlohmann::json& body) {
  auto c = TRY(find(ref));
  if (!body.is_object()) return fail(Errc::InvalidArgument, "update: the body must be a JSON object");
  spec::Resources res;
  bool any = false;
  auto i64 = [&](const char* key) -> std::optional<int64_t> {
    if (body.contains(key) && body[key].is_number_integer() && body[key].get<int64_t>() != 0) {
      any = true;
      return body[key].get<int64_t>();
    }
    return std::nullopt;
  };
  spec::Memory mem;
  mem.limit = i64("Memory");
  mem.swap = i64("MemorySwap");
  mem.reservation = i64("MemoryReservation");
  if (mem.limit || mem.swap || mem.reservation) res.memory = mem;
  spec::Cpu cpu;
  if (auto n = i64("NanoCpus")) {
    cpu.period = 100000;
    cpu.quota = *n * 100000 / 1000000000;
  }
  if (auto s = i64("CpuShares")) cpu.shares = static_cast<uint64_t>(*s);
  if (auto q = i64("CpuQuota")) cpu.quota = *q;
  if (auto p = i64("CpuPeriod")) cpu.period = static_cast<uint64_t>(*p);
  if (body.contains("CpusetCpus") && body["CpusetCpus"].is_string() && !body["CpusetCpus"].get<std::string>().empty()) {
    cpu.cpus = body["CpusetCpus"].get<std::string>();
    any = true;
  }
  if (cpu.shares || cpu.quota || cpu.period || !cpu.cpus.empty()) res.cpu = cpu;
  if (auto p = i64("PidsLimit")) res.pids = spec::Pids{*p};

  bool running;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
  }
  if (any && running) {
    runtime::RuntimeContext ctx;
    ctx.root = runtime_root();
    TRYV_CTX(runtime::update_container(ctx, c->id, res), "Cannot update container " + c->id);
  }
  std::lock_guard lk(mu_);
  for (const char* key : {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuQuota",
                          "CpuPeriod", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight", "RestartPolicy"}) {
    if (!body.contains(key)) continue;
    const auto& v = body[key];
    if (v.is_null() || (v.is_number() && v.get<int64_t>() == 0) || (v.is_string() && v.get<std::string>().empty()) ||
        (v.is_object() && v.value("Name", "").empty()))
      continue;
    c->host_config[key] = v;
  }
  (void)persist(*c);
  publish(*c, "update");
  return nlohmann::json{{"Warnings", nlohmann::json::array()}};
}

Result<void> Engine::resize(const std::string& ref, int h, int w) {
  auto c = TRY(find(ref));
  std::lock_guard lk(mu_);
  if (!c->state.running) return fail(Errc::Conflict, "Container " + c->id + " is not running");
  send_to_shim(*c, static_cast<int>(shimproto::Frame::Resize), nlohmann::json{{"h", h}, {"w", w}}.dump());
  return {};
}

Result<nlohmann::json> Engine::prune(const nlohmann::json& filters) {
  std::vector<std::string> ids;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_) {
      if (c->state.running) continue;
      bool keep = false;
      if (filters.is_object() && filters.contains("label")) {
        for (auto& lf : filters["label"]) {
          std::string f = lf.is_string() ? lf.get<std::string>() : "";
          auto eq = f.find('=');
          auto labels = c->config.value("Labels", nlohmann::json::object());
          std::string k = f.substr(0, eq);
          if (!labels.is_object() || !labels.contains(k) ||
              (eq != std::string::npos && labels[k] != f.substr(eq + 1)))
            keep = true;
        }
      }
      if (!keep) ids.push_back(id);
    }
  }
  nlohmann::json deleted = nlohmann::json::array();
  int64_t reclaimed = 0;
  for (const auto& id : ids) {
    int64_t size = 0;
    {
      std::lock_guard lk(image_mu_);
      if (auto u = images_->snapshots().usage(id)) size = u->bytes;
    }
    if (remove(id, false, false)) {
      deleted.push_back(id);
      reclaimed += size;
    }
  }
  return nlohmann::json{{"ContainersDeleted", deleted.empty() ? nlohmann::json(nullptr) : deleted},
                        {"SpaceReclaimed", reclaimed}};
}

}  // namespace berth::engine
