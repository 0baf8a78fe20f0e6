// Overlay snapshotter: ROOT/snapshots/<id>/{fs,work}. Committed snapshots are
// read-only lower layers; an active one adds its fs as upperdir.
//
// Overlay mounts use paths relative to ROOT/snapshots ("12/fs") and set
// Mount::chdir to it, since the kernel copies at most one page (4096 bytes) of
// mount data: 128+ absolute lowerdir paths would not fit.
#pragma once

#include <memory>
#include <string>

#include "snapshot/local.h"

namespace berth::snapshot {

// Whether an overlay with an upper dir on root's filesystem mounts here
// (needs CAP_SYS_ADMIN; fails e.g. when root itself is on overlayfs). Tries a
// tiny mount in a temporary directory under root and unmounts it at once.
Result<void> check_overlay_support(const std::string& root);

// A rootless daemon whose kernel refuses overlay in its user namespace mounts
// with fuse-overlayfs instead (the program on PATH and /dev/fuse usable):
// true when that is the case for `root`, or when BERTH_FUSE_OVERLAYFS=1 asks
// for it in a user namespace (tests; kernels whose overlay misbehaves).
bool use_fuse_overlayfs(const std::string& root);

class OverlaySnapshotter final : public LocalSnapshotter {
 public:
  // check_support=false skips the trial mount (tests without privileges).
  static Result<std::unique_ptr<OverlaySnapshotter>> open(const std::string& root,
                                                          bool check_support = true);

 protected:
  Result<void> populate(const std::string& dir, const Info& info,
                        const std::vector<Info>& parents) override;
  std::vector<Mount> describe(const Info& info, const std::vector<Info>& parents) override;

 private:
  bool userxattr_ = false;  // in a user namespace: user.overlay.* xattrs
  bool fuse_ = false;       // mounts are fuse-overlayfs's (see use_fuse_overlayfs)
  bool index_off_ = false;
  bool plain_upper_ = false;
};

}  // namespace berth::snapshot
