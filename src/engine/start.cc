// Starting a container: its network sandbox and /etc files, its mounted
// rootfs and mounts, config.json, then its task (runtime chosen by name);
// the task's output goes to attached clients and its exit back here.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/exit_status.h"
#include "base/file.h"
#include "base/log.h"
#include "engine/container_service.h"
#include "engine/health/rules.h"
#include "engine/socket_io.h"
#include "engine/task_events.h"
#include "idmap/idmapped_mount.h"
#include "layer/resolver.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

// WORKDIR is created inside the root when missing, as Docker does; symlinks
// on the way resolve inside the container.
Result<void> ensure_workdir(const std::string& rootfs, const std::string& workdir) {
  if (workdir.empty() || workdir == "/") return {};
  int root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return fail_errno("opening " + rootfs);
  UniqueFd root_fd(root);
  layer::Resolver resolver(root);
  std::string rel = workdir.substr(workdir.find_first_not_of('/'));
  TRYV_CTX(resolver.parent_dir(rel, workdir, true), "creating the working directory " + workdir);
  return {};
}

void write_frame_to(const std::shared_ptr<Attacher>& a, task::Stream stream, std::string_view bytes) {
  std::lock_guard lk(a->write_mu);
  if (a->closed) return;
  if (a->tty) {
    send_all(a->fd.get(), bytes);
    return;
  }
  send_all(a->fd.get(), mux_frame(stream, bytes));
}

}  // namespace

void ContainerService::deliver_output(const std::shared_ptr<Container>& c, task::Stream stream, std::string_view bytes) {
  std::vector<std::shared_ptr<Attacher>> targets;
  {
    std::lock_guard lk(mu_);
    targets = c->attachers;
  }
  for (const auto& a : targets)
    if (stream == task::Stream::Stderr ? a->want_stderr : a->want_stdout) write_frame_to(a, stream, bytes);
}

Result<bool> ContainerService::start(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  bool auto_remove;
  {
    std::lock_guard lk(mu_);
    if (c->removed) return fail(Errc::NotFound, "No such container: " + ref);
    if (c->state.running) return false;
    auto_remove = c->spec.host.auto_remove;
  }
  auto r = start_locked(c);
  if (!r) {
    // As dockerd: an --rm container that cannot start is removed (the
    // client waits for condition=removed).
    if (auto_remove) (void)remove_locked(c);
    return std::unexpected(r.error());
  }
  return true;
}

void ContainerService::release_run(const std::shared_ptr<Container>& c) {
  release_volumes(c);
  deps_.rootfs->unmount(rootfs_dir(c->id));
  Attachment held;
  {
    std::lock_guard lk(mu_);
    held.endpoints.swap(c->endpoints);
    held.published.swap(c->published);
  }
  if (!held.endpoints.empty()) deps_.networks->leave(c->id, held);
  deps_.networks->remove_sandbox(sandbox_path(c->id));
  std::error_code ec;
  std::filesystem::remove_all(bundle_dir(c->id), ec);
}

Result<void> ContainerService::start_locked(const std::shared_ptr<Container>& c) {
  { std::lock_guard previous_task_gone(c->task_end_mu); }
  std::string rootfs = rootfs_dir(c->id);
  std::string bundle = bundle_dir(c->id);
  std::string sandbox = sandbox_path(c->id);
  model::ContainerSpec spec;
  std::vector<NetworkRequest> networks;
  std::string runtime_name;
  {
    std::lock_guard lk(mu_);
    spec = c->spec;
    networks = c->networks;
    runtime_name = c->runtime;
  }
  task::TaskRuntime* runtime = TRY(runtime_for(runtime_name));
  std::error_code ec;
  std::filesystem::create_directories(bundle, ec);
  if (ec) return fail(Errc::Internal, "creating " + bundle + ": " + ec.message());

  // --network container:ID joins that container's namespace and shares its
  // /etc files; it must be running.
  const auto& mode = spec.host.network_mode;
  std::shared_ptr<Container> net_owner;
  std::string netns_mode = sandbox;
  if (mode.kind == model::NetworkMode::Kind::Container) {
    net_owner = TRY(find(mode.target));
    std::lock_guard lk(mu_);
    if (!net_owner->state.running)
      return fail(Errc::Conflict, "cannot join network of a non running container: " + net_owner->id);
    netns_mode = net_owner->spec.host.network_mode.kind == model::NetworkMode::Kind::Host ? "host"
                                                                                          : sandbox_path(net_owner->id);
  } else if (mode.kind == model::NetworkMode::Kind::Host) {
    netns_mode = "host";
  } else if (mode.kind == model::NetworkMode::Kind::Path) {
    netns_mode = mode.target;
  }
  // A namespace joined by path belongs to its front end (a CRI pod), which
  // gives the /etc files as mounts: no sandbox, endpoints or files here.
  bool joins_path = mode.kind == model::NetworkMode::Kind::Path;

  auto events = std::make_shared<TaskEvents>(this, c);
  auto launched = [&]() -> Result<std::unique_ptr<task::Task>> {
    // The sandbox and its endpoints first: /etc/hosts names the addresses.
    if (mode.kind != model::NetworkMode::Kind::Host && !net_owner && !joins_path) {
      TRYV(deps_.networks->create_sandbox(sandbox));
      if (mode.has_own_networks()) {
        std::vector<net::PortBinding> ports;
        for (const auto& [key, list] : spec.host.port_bindings)
          for (const auto& b : list) ports.push_back(TRY(net::parse_port_binding(key, b.host_ip, b.host_port)));
        if (spec.host.publish_all_ports) ports = TRY(net::publish_all(std::move(ports), spec.config.exposed_ports));
        auto joined = TRY(deps_.networks->join(c->id, networks, ports, sandbox));
        std::lock_guard lk(mu_);
        c->endpoints = std::move(joined.endpoints);
        c->published = std::move(joined.published);
      }
    }
    const idmap::Remap* remap = remap_of(spec);
    if (!net_owner && !joins_path) {
      TRYV(write_etc_files(*c));
      // The remapped root may edit its /etc/hosts, as Docker lets it.
      if (remap)
        for (const auto* f : {&c->hostname_path, &c->hosts_path, &c->resolv_conf_path})
          if (::chown(f->c_str(), remap->root_uid(), remap->root_gid()) != 0)
            return fail_errno("giving " + *f + " to the remapped root");
    }
    ::mkdir(rootfs.c_str(), 0755);
    if (remap) {
      TRYV_CTX(deps_.rootfs->mount_remapped(c->id, rootfs), "mounting the filesystem of container " + c->id);
      // Through the idmapped layers only the remapped ids can create files.
      TRYV(idmap::with_fs_ids(remap->root_uid(), remap->root_gid(),
                              [&] { return ensure_workdir(rootfs, spec.config.working_dir); }));
    } else {
      TRYV_CTX(deps_.rootfs->mount(c->id, rootfs), "mounting the filesystem of container " + c->id);
      TRYV(ensure_workdir(rootfs, spec.config.working_dir));
    }
    specgen::SpecInput in;
    in.config = spec.config;
    in.host_config = spec.host;
    in.id = c->id;
    in.rootfs = rootfs;
    const Container& files = net_owner ? *net_owner : *c;
    if (!joins_path) {
      in.hostname_path = files.hostname_path;
      in.hosts_path = files.hosts_path;
      in.resolv_conf_path = files.resolv_conf_path;
    }
    in.init_path = cfg_.init_path;
    in.cgroup_parent = cfg_.cgroup_parent;
    in.netns_mode = netns_mode;
    in.host = deps_.host;
    in.extra_mounts = TRY(prepare_mounts(c));
    if (remap) {
      for (const auto& m : remap->uids) in.uid_mappings.push_back({m.container_id, m.host_id, m.size});
      for (const auto& m : remap->gids) in.gid_mappings.push_back({m.container_id, m.host_id, m.size});
    }
    auto oci = TRY(specgen::build_spec(in));
    TRYV(write_file_atomic(bundle + "/config.json", oci.dump(), 0600, false));

    task::CreateRequest req;
    req.id = c->id;
    req.bundle = bundle;
    req.tty = spec.config.tty;
    req.open_stdin = spec.config.open_stdin;
    req.log.driver = spec.host.log_config.driver;
    req.log.options = spec.host.log_config.options;
    req.log.path = c->log_path;
    return runtime->start(req, events);
  }();
  if (!launched) {
    const Error& e = launched.error();
    release_run(c);
    std::lock_guard lk(mu_);
    c->state.error = e.message;
    c->state.exit_code = container_exit_status_for(e);
    (void)persist(*c);
    return fail(e.code == Errc::NotFound || e.code == Errc::PermissionDenied ? Errc::InvalidArgument : e.code,
                "failed to create task for container " + c->short_id() + ": " + e.str(), e.sys_errno);
  }

  {
    std::lock_guard lk(mu_);
    c->task = std::move(*launched);
    c->state.running = true;
    c->state.paused = false;
    c->state.restarting = false;
    c->state.oom_killed = false;
    c->state.pid = c->task->pid();
    c->state.error.clear();
    c->state.exit_code = 0;
    c->state.started_at = rfc3339_now();
    // Every run starts "starting" with no failures; the log of earlier runs stays (as Docker).
    if (health::settings_of(c->spec.config)) {
      model::Health h = c->state.health.value_or(model::Health{});
      h.status = model::HealthStatus::Starting;
      h.failing_streak = 0;
      c->state.health = std::move(h);
    } else {
      c->state.health.reset();
    }
    c->ever_started = true;
    c->manually_stopped = false;
    c->exit_event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    (void)persist(*c);
    publish(*c, "start");
  }
  // Input that attached clients sent before the start.
  std::string pending;
  bool close_stdin;
  {
    std::lock_guard lk(mu_);
    pending.swap(c->pending_stdin);
    close_stdin = c->pending_close_stdin;
    c->pending_close_stdin = false;
  }
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    t = c->task;
  }
  if (t && !pending.empty()) (void)t->write_stdin(pending);
  if (t && close_stdin) (void)t->close_stdin();
  watch_health(c, false);  // before arm: an exit that came already unwatches after it
  events->arm();
  return {};
}

void ContainerService::on_exit(const std::shared_ptr<Container>& c, const task::ExitStatus& status) {
  if (shutting_down_) return;  // the task keeps running; the next berthd follows it
  health_->unwatch(c->id);
  std::unique_lock task_end(c->task_end_mu);
  release_run(c);
  std::shared_ptr<task::Task> ended;
  bool auto_remove;
  {
    std::lock_guard lk(mu_);
    ended = std::move(c->task);
    c->state.running = false;
    c->state.paused = false;
    c->state.pid = 0;
    c->state.exit_code = status.exit_code;
    c->state.oom_killed = status.oom_killed;
    c->state.finished_at = status.finished_at.empty() ? rfc3339_now() : status.finished_at;
    ++c->exit_generation;
    if (c->exit_event) {
      uint64_t one = 1;
      (void)!::write(c->exit_event.get(), &one, sizeof one);
    }
    for (auto& a : c->attachers) {
      std::lock_guard wl(a->write_mu);
      a->closed = true;
      ::shutdown(a->fd.get(), SHUT_RDWR);
      uint64_t one = 1;
      if (a->wake) (void)!::write(a->wake.get(), &one, sizeof one);
    }
    c->attachers.clear();
    (void)persist(*c);
    if (status.oom_killed) publish(*c, "oom");
    publish(*c, "die", {{"exitCode", std::to_string(status.exit_code)}});
    auto_remove = c->spec.host.auto_remove;
    c->changed->notify_all();
  }
  if (auto_remove) {
    // The removal starts while the shim still deletes the runtime's state
    // (release() waits for that); remove_locked() waits for task_end_mu
    // before it looks at the task, so the container is only reported gone
    // once nothing of it is left.
    std::thread([this, id = c->id] {
      auto r = remove(id, true, true);
      if (!r && r.error().code != Errc::NotFound) log::warn("auto-removing {}: {}", id, r.error().str());
    }).detach();
    if (ended) ended->release();
    return;
  }
  if (ended) ended->release();
  task_end.unlock();
  maybe_restart(c);
}

}  // namespace berth::engine
