#include "base/log.h"
#include "snapshot/native.h"
#include "snapshot/overlay.h"

namespace berth::snapshot {

Result<std::unique_ptr<Snapshotter>> make_snapshotter(const std::string& root) {
  // An existing root keeps its driver: the two lay out directories differently.
  auto recorded = TRY(Metadata::recorded_driver(root + "/metadata.json"));
  if (recorded == "native") return TRY(NativeSnapshotter::open(root));
  if (recorded == "overlay") return TRY(OverlaySnapshotter::open(root));
  if (!recorded.empty())
    return fail(Errc::Unsupported, "snapshot root " + root + " uses unknown driver " + recorded);
  auto overlay = OverlaySnapshotter::open(root, /*check_support=*/false);
  if (!overlay) return std::unexpected(std::move(overlay).error());
  auto usable = check_overlay_support((*overlay)->root());
  if (usable || use_fuse_overlayfs((*overlay)->root())) {
    // Re-opened: it decides between the kernel's overlay and fuse-overlayfs.
    return std::unique_ptr<Snapshotter>(TRY(OverlaySnapshotter::open(root, /*check_support=*/false)));
  }
  log::info("using the native (copying) snapshotter: {}", usable.error().str());
  return TRY(NativeSnapshotter::open(root));
}

}  // namespace berth::snapshot
