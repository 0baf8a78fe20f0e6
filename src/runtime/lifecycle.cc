// state, list, kill, delete, pause, resume, ps, events, update.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "base/file.h"
#include "base/unique_fd.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/linux/host_mounts.h"
#include "runtime/container.h"
#include "runtime/launch/plan_builder.h"
#include "runtime/linux/hooks.h"
#include "runtime/runtime_internal.h"
#include "sys/proc.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

Status derive_status(const StateStore& store, const ContainerState& st) {
  if (!sys::process_alive(st.pid, st.pid_start_time)) return Status::Stopped;
  struct stat sb{};
  if (::stat((store.dir(st.id) + "/" + kStartSocket).c_str(), &sb) == 0) return Status::Created;
  if (auto cg = load_cgroup(st); cg) {
    if (auto frozen = (*cg)->is_frozen(); frozen && *frozen) return Status::Paused;
  }
  return Status::Running;
}

Result<void> signal_init(const ContainerState& st, int sig) {
  UniqueFd pidfd(sys::pidfd_open(st.pid));
  if (!pidfd || !sys::process_alive(st.pid, st.pid_start_time))
    return fail(Errc::Conflict, "container " + st.id + " is not running");
  if (sys::pidfd_send_signal(pidfd.get(), sig) != 0)
    return fail_errno("sending signal " + std::to_string(sig) + " to container " + st.id);
  return {};
}

Result<void> signal_all(const ContainerState& st, int sig) {
  auto cg = TRY(load_cgroup(st));
  // Frozen processes cannot be listed racily by fork: freeze, signal, thaw.
  bool was_frozen = (*cg).is_frozen().value_or(false);
  if (!was_frozen) (void)cg->freeze();
  auto pids = cg->pids();
  for (pid_t p : pids.value_or(std::vector<pid_t>{})) ::kill(p, sig);
  if (!was_frozen || sig == SIGKILL) (void)cg->thaw();
  if (!pids) return std::unexpected(pids.error());
  return {};
}

}  // namespace

Result<int> parse_signal(const std::string& name) {
  if (auto n = parse_int(name)) {
    if (*n <= 0 || *n > SIGRTMAX) return fail(Errc::InvalidArgument, "invalid signal number " + name);
    return static_cast<int>(*n);
  }
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (int s = 1; s < NSIG; ++s) {
    const char* abbrev = sigabbrev_np(s);
    if (abbrev && up == abbrev) return s;
  }
  if (up.rfind("RTMIN+", 0) == 0)
    if (auto n = parse_int(up.substr(6))) return SIGRTMIN + static_cast<int>(*n);
  if (up.rfind("RTMAX-", 0) == 0)
    if (auto n = parse_int(up.substr(6))) return SIGRTMAX - static_cast<int>(*n);
  return fail(Errc::InvalidArgument, "unknown signal '" + name + "'");
}

Result<ContainerInfo> inspect_container(const RuntimeContext& ctx, const std::string& id) {
  StateStore store(ctx.root);
  ContainerInfo info;
  info.state = TRY(store.load(id));
  info.status = derive_status(store, info.state);
  return info;
}

nlohmann::json oci_state_json(const ContainerInfo& info) {
  const auto& s = info.state;
  nlohmann::json j = {{"ociVersion", s.oci_version.empty() ? "1.0.2" : s.oci_version},
                      {"id", s.id},
                      {"pid", info.status == Status::Stopped ? 0 : s.pid},
                      {"status", status_name(info.status)},
                      {"bundle", s.bundle},
                      {"rootfs", s.rootfs},
                      {"created", s.created},
                      {"owner", s.owner}};
  j["annotations"] = s.annotations;
  return j;
}

Result<std::vector<ContainerInfo>> list_containers(const RuntimeContext& ctx) {
  StateStore store(ctx.root);
  std::vector<ContainerInfo> out;
  for (const auto& id : TRY(store.list())) {
    auto info = inspect_container(ctx, id);
    if (info) out.push_back(std::move(*info));
  }
  return out;
}

Result<void> kill_container(const RuntimeContext& ctx, const std::string& id, int sig, bool all) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status == Status::Stopped) return fail(Errc::Conflict, "container " + id + " is not running");
  if (all) return signal_all(info.state, sig);
  TRYV(signal_init(info.state, sig));
  // A frozen process only dies once thawed.
  if (info.status == Status::Paused && sig == SIGKILL)
    if (auto cg = load_cgroup(info.state); cg) (void)(*cg)->thaw();
  return {};
}

Result<void> delete_container(const RuntimeContext& ctx, const std::string& id, bool force) {
  StateStore store(ctx.root);
  auto loaded = store.load(id);
  if (!loaded) {
    // A create that crashed before writing its state leaves only the directory.
    struct stat sb{};
    if (loaded.error().code == Errc::NotFound && StateStore::check_id(id) && ::stat(store.dir(id).c_str(), &sb) == 0)
      return store.remove(id);
    return std::unexpected(loaded.error());
  }
  ContainerInfo info{*loaded, derive_status(store, *loaded)};
  const ContainerState& st = info.state;
  if ((info.status == Status::Running || info.status == Status::Paused) && !force)
    return fail(Errc::Conflict, "cannot delete container " + id + " that is not stopped: " + status_name(info.status));
  auto cg = load_cgroup(st);
  if (info.status != Status::Stopped) {
    // Processes outside the init's pid namespace do not die with it.
    if (!st.own_pid_ns && cg) (void)signal_all(st, SIGKILL);
    (void)signal_init(st, SIGKILL);
    if (info.status == Status::Paused && cg) (void)(*cg)->thaw();
    TRYV(wait_for_exit(st.pid, st.pid_start_time));
  }
  if (cg) {
    if (!st.own_pid_ns) (void)signal_all(st, SIGKILL);
    TRYV_CTX((*cg)->destroy(), "removing the cgroups of container " + id);
  }
  unmount_all(st.host_mounts);  // a container without its own mount namespace
  info.status = Status::Stopped;
  if (auto r = run_hooks(st.hooks.poststop, "poststop", oci_state_json(info).dump()); !r)
    log::warn("{}", r.error().str());
  return store.remove(id);
}

Result<void> pause_container(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status != Status::Running)
    return fail(Errc::Conflict, "cannot pause container " + id + ": it is " + status_name(info.status));
  auto cg = TRY(load_cgroup(info.state));
  return cg->freeze();
}

Result<void> resume_container(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status != Status::Paused)
    return fail(Errc::Conflict, "cannot resume container " + id + ": it is not paused but " + status_name(info.status));
  auto cg = TRY(load_cgroup(info.state));
  return cg->thaw();
}

namespace {
// A container without cgroups of its own (rootless on cgroup v1): the
// processes in its pid namespace, else its init alone.
std::vector<pid_t> pids_by_namespace(const ContainerState& st) {
  std::vector<pid_t> out;
  struct stat init_ns {};
  if (st.pid <= 0 || ::stat(("/proc/" + std::to_string(st.pid) + "/ns/pid").c_str(), &init_ns) != 0) return out;
  if (!st.own_pid_ns) return {st.pid};
  DIR* d = ::opendir("/proc");
  if (!d) return {st.pid};
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    struct stat ns {};
    if (::stat(("/proc/" + std::string(e->d_name) + "/ns/pid").c_str(), &ns) == 0 && ns.st_ino == init_ns.st_ino &&
        ns.st_dev == init_ns.st_dev)
      out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

Result<std::vector<pid_t>> container_pids(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  auto cg = TRY(load_cgroup(info.state));
  if (cg->paths().empty()) return pids_by_namespace(info.state);
  return cg->pids();
}

Result<nlohmann::json> container_stats(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status == Status::Stopped) return fail(Errc::Conflict, "container " + id + " is not running");
  auto cg = TRY(load_cgroup(info.state));
  return cg->stats();
}

Result<nlohmann::json> container_cgroup_dirs(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status == Status::Stopped) return fail(Errc::Conflict, "container " + id + " is not running");
  auto cg = TRY(load_cgroup(info.state));
  auto layout = TRY(cgroup::detect_layout());
  auto dirs = cg->paths();  // mountpoint -> directory
  nlohmann::json v1 = nlohmann::json::object();
  for (const auto& h : layout.v1) {
    auto it = dirs.find(h.mountpoint);
    if (it == dirs.end()) continue;
    for (const auto& c : h.controllers)
      if (c.rfind("name=", 0) != 0) v1[c] = it->second;
  }
  nlohmann::json out = {{"mode", cgroup::mode_name(cg->mode())}, {"v1", v1}};
  if (layout.unified)
    if (auto it = dirs.find(layout.unified->mountpoint); it != dirs.end()) out["unified"] = it->second;
  return out;
}

Result<bool> container_oom_killed(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  auto cg = TRY(load_cgroup(info.state));
  return cg->oom_killed();
}

Result<void> update_container(const RuntimeContext& ctx, const std::string& id, const spec::Resources& res) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status == Status::Stopped) return fail(Errc::Conflict, "container " + id + " is not running");
  auto cg = TRY(load_cgroup(info.state));
  if (res.devices.empty()) return cg->update(res);
  // New device rules keep the allow list every container needs (/dev/null, ptys, ...).
  spec::Spec s = TRY(spec::parse_spec(TRY(read_file(StateStore(ctx.root).dir(id) + "/" + kConfigCopy))));
  s.linux.resources = res;
  spec::Resources merged = res;
  merged.devices = effective_resources(s).devices;
  return cg->update(merged);
}

Result<spec::Process> container_process_spec(const RuntimeContext& ctx, const std::string& id) {
  StateStore store(ctx.root);
  TRY(store.load(id));  // "does not exist" for an unknown id
  std::string text = TRY(read_file(store.dir(id) + "/" + kConfigCopy));
  spec::Spec s = TRY(spec::parse_spec(text));
  if (!s.process) return fail(Errc::NotFound, "container " + id + " has no process in its config");
  return *s.process;
}

}  // namespace berth::runtime
