// A container's volumes, binds and tmpfs at start: volumes are mounted by
// the volume service (a tmpfs or device volume on first use) and filled from
// the image's content once; everything becomes a bind or tmpfs in the spec.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/log.h"
#include "engine/binds.h"
#include "engine/container_service.h"
#include "volume/service.h"

namespace berth::engine {

Result<std::vector<specgen::ExtraMount>> ContainerService::prepare_mounts(const std::shared_ptr<Container>& c) {
  std::vector<MountPlan> plans;
  const idmap::Remap* remap = nullptr;
  {
    std::lock_guard lk(mu_);
    plans = c->mounts;
    remap = remap_of(c->spec);
  }
  std::vector<specgen::ExtraMount> out;
  std::vector<std::string> mounted;
  auto undo = [&] {
    for (const auto& name : mounted) deps_.volumes->unmount(name, c->id);
  };
  for (const auto& p : plans) {
    if (p.type != model::MountType::Volume) {
      auto m = bind_or_tmpfs_mount(p);
      if (!m) {
        undo();
        return std::unexpected(m.error());
      }
      out.push_back(*m);
      continue;
    }
    auto path = deps_.volumes->mount(p.source, c->id);
    if (!path) {
      undo();
      return std::unexpected(path.error());
    }
    mounted.push_back(p.source);
    if (!p.nocopy) {
      // Docker's copy-up: an empty volume gets the image's files at that path.
      if (auto r = deps_.volumes->copy_up(p.source, rootfs_dir(c->id), p.destination); !r) {
        undo();
        return std::unexpected(r.error());
      }
    }
    if (remap) {
      // A new volume belongs to the remapped root, as Docker makes it.
      struct stat st;
      std::error_code ec;
      if (::stat(path->c_str(), &st) == 0 && st.st_uid == 0 && st.st_gid == 0 && std::filesystem::is_empty(*path, ec) &&
          ::chown(path->c_str(), remap->root_uid(), remap->root_gid()) != 0) {
        int err = errno;
        undo();
        return fail_errno("giving volume " + p.source + " to the remapped root", err);
      }
    }
    out.push_back(volume_mount(p, *path));
  }
  std::lock_guard lk(mu_);
  c->mounted_volumes = std::move(mounted);
  return out;
}

void ContainerService::release_volumes(const std::shared_ptr<Container>& c) {
  std::vector<std::string> names;
  {
    std::lock_guard lk(mu_);
    names.swap(c->mounted_volumes);
  }
  for (const auto& n : names) deps_.volumes->unmount(n, c->id);
}

}  // namespace berth::engine
