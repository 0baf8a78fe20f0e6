// Starting a container: mount its filesystem, write config.json, hand it to
// a new berth-shim, and follow the shim until the process exits.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "engine/engine.h"
#include "engine/binds.h"
#include "engine/host.h"
#include "engine/netns.h"
#include "engine/socket_io.h"
#include "layer/resolver.h"
#include "task/launcher.h"
#include "snapshot/mount.h"
#include "specgen/specgen.h"

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

}  // namespace

Result<void> Engine::mount_rootfs(const Container& c) {
  std::string target = rootfs_dir(c.id);
  ::mkdir(target.c_str(), 0755);
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(image_mu_);
    mounts = TRY_CTX(images_->snapshots().mounts(c.id), "finding the filesystem of container " + c.id);
  }
  return snapshot::mount_all(mounts, target);
}

void Engine::unmount_rootfs(const Container& c) {
  auto r = snapshot::unmount_all(rootfs_dir(c.id));
  if (!r && r.error().code != Errc::NotFound) log::warn("unmounting {}: {}", rootfs_dir(c.id), r.error().str());
}

Result<bool> Engine::start(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lk(mu_);
    if (c->removed) return fail(Errc::NotFound, "No such container: " + ref);
    if (c->state.running) return false;
  }
  auto r = start_locked(c);
  if (!r) {
    // As dockerd: an --rm container that cannot start is removed (the
    // client waits for condition=removed).
    if (c->host_config.value("AutoRemove", false)) (void)remove_locked(c);
    return std::unexpected(r.error());
  }
  return true;
}

Result<void> Engine::start_locked(const std::shared_ptr<Container>& c) {
  std::string rootfs = rootfs_dir(c->id);
  std::string bundle = bundle_dir(c->id);
  std::string state_dir = shim_dir(c->id);
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  std::filesystem::create_directories(bundle, ec);
  if (ec) return fail(Errc::Internal, "creating " + bundle + ": " + ec.message());
  ::mkdir(state_dir.c_str(), 0700);

  std::string net = c->host_config.value("NetworkMode", "default");
  std::string netns = bundle + "/netns";
  auto record_failure = [&](const Error& e) {
    release_volumes(c);
    unmount_rootfs(*c);
    disconnect_networks(c);
    remove_netns(netns);
    std::lock_guard lk(mu_);
    c->state.error = e.message;
    c->state.exit_code = e.code == Errc::NotFound ? 127 : e.code == Errc::PermissionDenied ? 126 : 128;
    (void)persist(*c);
  };
  // --network container:ID joins that container's namespace and shares its
  // /etc files; it must be running.
  std::string joined_netns;
  std::shared_ptr<Container> net_owner;
  if (net.rfind("container:", 0) == 0) {
    auto other = find(net.substr(10));
    if (!other) return std::unexpected(other.error());
    std::lock_guard lk(mu_);
    if (!(*other)->state.running)
      return fail(Errc::Conflict, "cannot join network of a non running container: " + (*other)->id);
    net_owner = *other;
    joined_netns = net_owner->host_config.value("NetworkMode", "") == "host" ? "host" : bundle_dir(net_owner->id) + "/netns";
  }
  auto launched = [&]() -> Result<task::ShimHandle> {
    // The namespace and its endpoints first: /etc/hosts names the addresses.
    if (net != "host" && !net_owner) {
      TRYV(create_netns(netns));
      TRYV(connect_networks(c, netns));
    }
    if (!net_owner) TRYV(write_etc_files(*c));
    TRYV(mount_rootfs(*c));
    TRYV(ensure_workdir(rootfs, c->config.value("WorkingDir", "")));
    specgen::SpecInput in;
    in.config = c->config;
    in.host_config = c->host_config;
    in.id = c->id;
    in.rootfs = rootfs;
    const Container& files = net_owner ? *net_owner : *c;
    in.hostname_path = files.hostname_path;
    in.hosts_path = files.hosts_path;
    in.resolv_conf_path = files.resolv_conf_path;
    in.init_path = cfg_.init_path;
    in.cgroup_parent = cfg_.cgroup_parent;
    in.netns_mode = net == "host" ? "host" : net_owner ? joined_netns : netns;
    in.host = host_info();
    in.extra_mounts = TRY(prepare_mounts(c));
    auto spec = TRY(specgen::build_spec(in));
    TRYV(write_file_atomic(bundle + "/config.json", spec.dump(), 0600, false));

    task::LaunchOptions opts;
    opts.shim_binary = cfg_.shim_path;
    opts.id = c->id;
    opts.runtime_root = runtime_root();
    opts.state_dir = state_dir;
    opts.tty = c->tty;
    opts.open_stdin = c->config.value("OpenStdin", false);
    opts.bundle = bundle;
    if (!c->log_path.empty()) {
      opts.log_driver = "json-file";
      opts.log_path = c->log_path;
      if (cfg_.log_max_size > 0)
        opts.log_options = {{"max-size", std::to_string(cfg_.log_max_size)},
                            {"max-file", std::to_string(cfg_.log_max_files)}};
    }
    return task::launch_shim(opts);
  }();
  if (!launched) {
    record_failure(launched.error());
    return fail(launched.error().code == Errc::NotFound || launched.error().code == Errc::PermissionDenied
                    ? Errc::InvalidArgument
                    : launched.error().code,
                "failed to create task for container " + c->short_id() + ": " + launched.error().str());
  }

  {
    std::lock_guard lk(mu_);
    c->shim_conn = std::move(launched->conn);
    c->shim_pid = launched->shim_pid;
    c->state.running = true;
    c->state.paused = false;
    c->state.restarting = false;
    c->state.oom_killed = false;
    c->state.pid = launched->pid;
    c->state.error.clear();
    c->state.exit_code = 0;
    c->state.started_at = rfc3339_now();
    c->ever_started = true;
    c->manually_stopped = false;
    c->exit_event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!c->pending_stdin.empty()) {
      send_to_shim(*c, static_cast<int>(shimproto::Frame::Stdin), c->pending_stdin);
      c->pending_stdin.clear();
    }
    if (c->pending_close_stdin) {
      send_to_shim(*c, static_cast<int>(shimproto::Frame::CloseStdin), "");
      c->pending_close_stdin = false;
    }
    (void)persist(*c);
    publish(*c, "start");
  }
  std::thread([this, c] { follow_shim(c); }).detach();
  return {};
}

// mu_ held.
void Engine::send_to_shim(Container& c, int frame, std::string_view payload) {
  if (!c.shim_conn) return;
  auto r = shimproto::write_frame(c.shim_conn.get(), static_cast<shimproto::Frame>(frame), payload);
  if (!r) log::debug("writing to the shim of {}: {}", c.id, r.error().str());
}

namespace {

void deliver(const std::vector<std::shared_ptr<Attacher>>& attachers, shimproto::Frame type, const std::string& payload) {
  bool is_err = type == shimproto::Frame::Stderr;
  for (const auto& a : attachers) {
    if (is_err ? !a->want_stderr : !a->want_stdout) continue;
    std::lock_guard lk(a->write_mu);
    if (a->closed) continue;
    std::string data;
    if (a->tty) {
      data = payload;
    } else {
      data = shimproto::encode_frame(type, payload);  // the same 8-byte header as Docker's stream
    }
    send_all(a->fd.get(), data);
  }
}

}  // namespace

void Engine::follow_shim(std::shared_ptr<Container> c) {
  int fd;
  pid_t shim_pid;
  {
    std::lock_guard lk(mu_);
    fd = c->shim_conn.get();
    shim_pid = c->shim_pid;
  }
  shimproto::FrameDecoder decoder;
  std::optional<shimproto::ExitStatus> exited;
  std::vector<char> buf(64 * 1024);
  bool broken = false;
  while (!exited && !broken) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    decoder.feed(std::string_view(buf.data(), n));
    for (;;) {
      auto f = decoder.next();
      if (!f) {
        log::warn("shim of {} sent a bad frame: {}", c->id, f.error().str());
        broken = true;
        break;
      }
      if (!*f) break;
      auto& [type, payload] = **f;
      if (type == shimproto::Frame::Stdout || type == shimproto::Frame::Stderr) {
        std::vector<std::shared_ptr<Attacher>> targets;
        {
          std::lock_guard lk(mu_);
          targets = c->attachers;
        }
        deliver(targets, type, payload);
      } else if (type == shimproto::Frame::Exited) {
        try {
          auto st = shimproto::ExitStatus::from_json(nlohmann::json::parse(payload));
          if (st) exited = *st;
        } catch (const std::exception&) {
        }
        if (!exited) exited = shimproto::ExitStatus{255, false, rfc3339_now()};
      }
    }
  }
  if (shutting_down_) return;  // the shim keeps the container; the next berthd finds it
  if (shim_pid > 0) {
    // Our child: reap it (it exits right after sending Exited).
    while (::waitpid(shim_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (!exited) {
    auto recorded = task::read_exit_file(shim_dir(c->id));
    if (recorded && *recorded) exited = **recorded;
  }
  if (!exited) {
    log::error("the monitor of container {} went away without an exit status", c->id);
    exited = shimproto::ExitStatus{255, false, rfc3339_now()};
  }
  on_exit(c, exited->exit_code, exited->oom_killed, exited->finished_at);
}

void Engine::on_exit(const std::shared_ptr<Container>& c, int exit_code, bool oom, const std::string& finished_at) {
  release_volumes(c);
  unmount_rootfs(*c);
  disconnect_networks(c);
  std::error_code ec;
  std::filesystem::remove_all(shim_dir(c->id), ec);
  remove_netns(bundle_dir(c->id) + "/netns");
  std::filesystem::remove_all(bundle_dir(c->id), ec);
  bool auto_remove;
  {
    std::lock_guard lk(mu_);
    c->state.running = false;
    c->state.paused = false;
    c->state.pid = 0;
    c->state.exit_code = exit_code;
    c->state.oom_killed = oom;
    c->state.finished_at = finished_at.empty() ? rfc3339_now() : finished_at;
    c->shim_conn.reset();
    c->shim_pid = 0;
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
    if (oom) publish(*c, "oom");
    publish(*c, "die", {{"exitCode", std::to_string(exit_code)}});
    auto_remove = c->host_config.value("AutoRemove", false);
    c->changed->notify_all();
  }
  if (auto_remove) {
    std::thread([this, id = c->id] {
      auto r = remove(id, true, true);
      if (!r && r.error().code != Errc::NotFound) log::warn("auto-removing {}: {}", id, r.error().str());
    }).detach();
    return;
  }
  maybe_restart(c);
}

}  // namespace berth::engine
