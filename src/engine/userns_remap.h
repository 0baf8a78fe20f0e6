// The daemon's userns-remap (dockerd's --userns-remap) as the engine uses
// it: the remap's ids, and one idmapped view of the snapshot store made at
// start-up. Remapped containers' overlays are mounted from that view, so
// the image store is shared with unmapped containers instead of copied
// and chowned per range (dockerd's DATA_ROOT/UID.GID): lower layers show as
// the remapped ids, and what the container writes lands unshifted in its
// upper directory, so commit, export and diff read it as is.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "idmap/remap.h"

namespace berth::engine {

class UsernsRemapView {
 public:
  // Mounts store_root's idmapped view at view_dir (replacing one a previous
  // daemon left). Errors say why the kernel or filesystem refused.
  static Result<std::unique_ptr<UsernsRemapView>> open(const idmap::Remap& remap, const std::string& store_root,
                                                       const std::string& view_dir);
  ~UsernsRemapView();  // detaches the view: overlays mounted from it keep their layers

  const idmap::Remap& remap() const { return remap_; }
  const std::string& store_root() const { return store_root_; }
  const std::string& view_dir() const { return view_dir_; }
  // store_root/REST -> view_dir/REST; other paths unchanged.
  std::string in_view(const std::string& path) const;

 private:
  UsernsRemapView() = default;
  idmap::Remap remap_;
  UniqueFd userns_;
  std::string store_root_, view_dir_;
};

}  // namespace berth::engine
