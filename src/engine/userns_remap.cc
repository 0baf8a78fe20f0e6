#include "engine/userns_remap.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "idmap/idmapped_mount.h"

namespace berth::engine {

Result<std::unique_ptr<UsernsRemapView>> UsernsRemapView::open(const idmap::Remap& remap, const std::string& store_root,
                                                               const std::string& view_dir) {
  std::unique_ptr<UsernsRemapView> v(new UsernsRemapView());
  v->remap_ = remap;
  v->store_root_ = store_root;
  v->view_dir_ = view_dir;
  v->userns_ = TRY(idmap::make_userns(remap));
  std::error_code ec;
  std::filesystem::create_directories(view_dir, ec);
  if (ec) return fail(Errc::Internal, "creating " + view_dir + ": " + ec.message());
  // Through the view the store's root is the range's first id: only a
  // directory of the host's root above it keeps that id (an escaped
  // container's root) away from every image's layers.
  std::string parent = std::filesystem::path(view_dir).parent_path().string();
  if (::chown(parent.c_str(), 0, 0) != 0 || ::chmod(parent.c_str(), 0700) != 0)
    return fail_errno("making " + parent + " the host root's alone");
  // A view a crashed daemon left: detached, its overlays keep working.
  while (::umount2(view_dir.c_str(), MNT_DETACH) == 0) {
  }
  TRYV_CTX(idmap::idmapped_bind(store_root, view_dir, v->userns_.get()),
           "userns-remap needs idmapped mounts of " + store_root);
  return v;
}

UsernsRemapView::~UsernsRemapView() {
  if (::umount2(view_dir_.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    log::warn("detaching the userns-remap view {}: {}", view_dir_, std::strerror(errno));
}

std::string UsernsRemapView::in_view(const std::string& path) const {
  if (path == store_root_) return view_dir_;
  if (path.size() > store_root_.size() && path.compare(0, store_root_.size(), store_root_) == 0 &&
      path[store_root_.size()] == '/')
    return view_dir_ + path.substr(store_root_.size());
  return path;
}

}  // namespace berth::engine
