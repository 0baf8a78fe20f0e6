// A container's files: docker cp (stat, tar out, tar in), export (a flat
// tar of its filesystem) and diff. A running container's root is its
// process's (so its mounts are seen: /etc/hosts, volumes); a stopped one's
// rootfs is mounted for the duration of the call.
#include <sys/stat.h>

#include <cerrno>

#include "engine/container_service.h"
#include "idmap/idmapped_mount.h"
#include "layer/container_archive.h"

namespace berth::engine {
namespace {

Error not_found_in(const Error& e, const std::string& path, const std::string& ref) {
  if (e.code == Errc::NotFound) return Error{Errc::NotFound, 0, "Could not find the file " + path + " in container " + ref};
  return e;
}

// userns-remap: the container's ids in a tar, the host's on disk.
layer::OwnerOut owners_out(const idmap::Remap& remap) {
  return [&remap](layer::Owner o) {
    constexpr uint32_t kOverflow = 65534;  // what the container itself sees for an unmapped id
    return layer::Owner{idmap::Remap::to_container(remap.uids, o.uid).value_or(kOverflow),
                        idmap::Remap::to_container(remap.gids, o.gid).value_or(kOverflow)};
  };
}

layer::OwnerIn owners_in(const idmap::Remap& remap) {
  return [&remap](layer::Owner o) -> Result<layer::Owner> {
    auto uid = idmap::Remap::to_host(remap.uids, o.uid);
    auto gid = idmap::Remap::to_host(remap.gids, o.gid);
    if (!uid || !gid)
      return fail(Errc::InvalidArgument, "owner " + std::to_string(o.uid) + ":" + std::to_string(o.gid) +
                                             " cannot be mapped into the container's user namespace");
    return layer::Owner{*uid, *gid};
  };
}

}  // namespace

Result<void> ContainerService::with_root(const std::shared_ptr<Container>& c,
                                         const std::function<Result<void>(int root)>& fn) {
  bool running;
  pid_t pid;
  const idmap::Remap* remap;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
    pid = c->state.pid;
    remap = remap_of(c->spec);
  }
  std::string root_path = running ? "/proc/" + std::to_string(pid) + "/root" : rootfs_dir(c->id);
  if (!running) {
    // A container that never started has no mount point yet (start makes it).
    if (::mkdir(root_path.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + root_path);
    TRYV(remap ? deps_.rootfs->mount_remapped(c->id, root_path) : deps_.rootfs->mount(c->id, root_path));
  }
  auto root = layer::open_container_root(root_path);
  Result<void> r = !root ? Result<void>(std::unexpected(root.error()))
                   // Files made through the idmapped layers must be owned by ids the range holds.
                   : remap ? idmap::with_fs_ids(remap->root_uid(), remap->root_gid(), [&] { return fn(root->get()); })
                           : fn(root->get());
  if (!running) deps_.rootfs->unmount(root_path);
  return r;
}

Result<std::string> ContainerService::archive_stat(const std::string& ref, const std::string& path) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  std::string header;
  TRYV(with_root(c, [&](int root) -> Result<void> {
    auto st = layer::stat_path(root, path);
    if (!st) return std::unexpected(not_found_in(st.error(), path, ref));
    header = layer::path_stat_header(*st);
    return {};
  }));
  return header;
}

Result<void> ContainerService::archive_get(const std::string& ref, const std::string& path,
                                           const std::function<Result<void>(std::string_view)>& sink) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  const idmap::Remap* remap;
  {
    std::lock_guard lk(mu_);
    remap = remap_of(c->spec);
  }
  return with_root(c, [&](int root) -> Result<void> {
    auto a = layer::PathArchive::open(root, path);
    if (!a) return std::unexpected(not_found_in(a.error(), path, ref));
    if (remap) a->set_owner_map(owners_out(*remap));
    // The first sink call carries the stat, so the route can set its header.
    TRYV(sink(layer::path_stat_header(a->stat())));
    return a->write(sink);
  });
}

Result<void> ContainerService::archive_put(const std::string& ref, const std::string& path,
                                           bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                           const std::function<Result<size_t>(char*, size_t)>& source) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  std::string user;
  const idmap::Remap* remap;
  {
    std::lock_guard lk(mu_);
    user = c->spec.config.user;
    remap = remap_of(c->spec);
    if (c->spec.host.readonly_rootfs) return fail(Errc::PermissionDenied, "container rootfs is marked read-only");
  }
  TRYV(with_root(c, [&](int root) -> Result<void> {
    layer::ExtractOptions opts;
    opts.no_overwrite_dir_non_dir = no_overwrite_dir_non_dir;
    if (copy_uid_gid) opts.owner = TRY(layer::lookup_user(root, user.empty() ? "0" : user));
    if (remap) {
      opts.map_owner = owners_in(*remap);
      if (opts.owner) opts.owner = TRY(opts.map_owner(*opts.owner));
    }
    auto x = layer::extract_archive(root, path, source, opts);
    if (!x) return std::unexpected(not_found_in(x.error(), path, ref));
    return x;
  }));
  std::lock_guard lk(mu_);
  publish(*c, "extract-to-dir");
  return {};
}

Result<void> ContainerService::export_rootfs(const std::string& ref, int out_fd) {
  auto c = TRY(find(ref));
  TRYV(deps_.rootfs->export_flat(c->id, out_fd));
  std::lock_guard lk(mu_);
  publish(*c, "export");
  return {};
}

Result<std::vector<model::Change>> ContainerService::changes(const std::string& ref) {
  auto c = TRY(find(ref));
  return deps_.rootfs->changes(c->id);
}

}  // namespace berth::engine
