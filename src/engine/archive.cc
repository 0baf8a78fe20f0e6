// docker cp: the archive endpoints on a container's root, resolved inside it.
// A running container is reached through /proc/PID/root, so what its own
// mount namespace has on top of the rootfs (/etc/hostname, /etc/hosts,
// /etc/resolv.conf, volumes) is what cp sees; a stopped one's rootfs is
// mounted for the duration of the call.
#include "engine/engine.h"
#include "layer/container_archive.h"

namespace berth::engine {
namespace {

Error not_found_in(const Error& e, const std::string& path, const std::string& ref) {
  if (e.code == Errc::NotFound)
    return Error{Errc::NotFound, 0, "Could not find the file " + path + " in container " + ref};
  return e;
}

}  // namespace

// Runs fn on the container's mounted root (an O_PATH fd).
template <class F>
static auto with_root(const std::shared_ptr<Container>& c, bool running, const std::string& rootfs,
                      const std::function<Result<void>()>& mount, const std::function<void()>& unmount, F&& fn)
    -> decltype(fn(0)) {
  if (!running) TRYV(mount());
  auto root = layer::open_container_root(running ? "/proc/" + std::to_string(c->state.pid) + "/root" : rootfs);
  if (!root) {
    if (!running) unmount();
    return std::unexpected(root.error());
  }
  auto r = fn(root->get());
  if (!running) unmount();
  return r;
}

Result<std::string> Engine::archive_stat(const std::string& ref, const std::string& path) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  bool running;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
  }
  return with_root(c, running, rootfs_dir(c->id), [&] { return mount_rootfs(*c); },
                   [&] { unmount_rootfs(*c); }, [&](int root) -> Result<std::string> {
                     auto st = layer::stat_path(root, path);
                     if (!st) return std::unexpected(not_found_in(st.error(), path, ref));
                     return layer::path_stat_header(*st);
                   });
}

Result<void> Engine::archive_get(const std::string& ref, const std::string& path,
                                 const std::function<Result<void>(std::string_view)>& sink) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  bool running;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
  }
  return with_root(c, running, rootfs_dir(c->id), [&] { return mount_rootfs(*c); },
                   [&] { unmount_rootfs(*c); }, [&](int root) -> Result<void> {
                     auto a = layer::PathArchive::open(root, path);
                     if (!a) return std::unexpected(not_found_in(a.error(), path, ref));
                     // The first sink call carries the stat, so the route can set its header.
                     TRYV(sink(layer::path_stat_header(a->stat())));
                     return a->write(sink);
                   });
}

Result<void> Engine::archive_put(const std::string& ref, const std::string& path, bool no_overwrite_dir_non_dir,
                                 bool copy_uid_gid, const std::function<Result<size_t>(char*, size_t)>& source) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  bool running;
  std::string user;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
    user = c->config.value("User", "");
    if (c->host_config.value("ReadonlyRootfs", false))
      return fail(Errc::PermissionDenied, "container rootfs is marked read-only");
  }
  auto r = with_root(c, running, rootfs_dir(c->id), [&] { return mount_rootfs(*c); },
                     [&] { unmount_rootfs(*c); }, [&](int root) -> Result<void> {
                       layer::ExtractOptions opts;
                       opts.no_overwrite_dir_non_dir = no_overwrite_dir_non_dir;
                       if (copy_uid_gid) opts.owner = TRY(layer::lookup_user(root, user.empty() ? "0" : user));
                       auto x = layer::extract_archive(root, path, source, opts);
                       if (!x) return std::unexpected(not_found_in(x.error(), path, ref));
                       return x;
                     });
  if (r) {
    std::lock_guard lk(mu_);
    publish(*c, "extract-to-dir");
  }
  return r;
}

}  // namespace berth::engine
