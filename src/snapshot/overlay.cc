#include "snapshot/overlay.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cstdlib>
#include <string_view>

#include "base/defer.h"
#include "snapshot/fs_tree.h"
#include "sys/run_program.h"
#include "sys/userns.h"

namespace berth::snapshot {
namespace {

std::string rel_fs(uint64_t id) { return std::to_string(id) + "/fs"; }

std::string lowerdirs(const std::vector<Info>& parents) {
  std::string out = "lowerdir=";
  for (size_t i = 0; i < parents.size(); ++i) {
    if (i) out += ':';
    out += rel_fs(parents[i].id);
  }
  return out;
}

}  // namespace

Result<void> check_overlay_support(const std::string& root) {
  struct statfs sfs;
  if (::statfs(root.c_str(), &sfs) != 0) return fail_errno("statfs " + root);
  if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
    return fail(Errc::Unsupported, root + " is on overlayfs, which cannot hold overlay upper dirs");
  std::string tmp = root + "/overlay-check-XXXXXX";
  if (!::mkdtemp(tmp.data())) return fail_errno("creating a test directory under " + root);
  Defer cleanup([&] { (void)remove_tree(tmp); });
  for (const char* d : {"/l1", "/l2", "/u", "/w", "/m"})
    if (::mkdir((tmp + d).c_str(), 0700) != 0) return fail_errno("creating " + tmp + d);
  std::string data = "lowerdir=" + tmp + "/l1:" + tmp + "/l2,upperdir=" + tmp + "/u,workdir=" +
                     tmp + "/w" + (sys::in_user_namespace() ? ",userxattr" : "");
  if (::mount("overlay", (tmp + "/m").c_str(), "overlay", 0, data.c_str()) != 0)
    return fail(Errc::Unsupported, "overlay cannot be mounted on " + root, errno);
  ::umount2((tmp + "/m").c_str(), MNT_DETACH);
  return {};
}

bool use_fuse_overlayfs(const std::string& root) {
  if (!sys::in_user_namespace()) return false;
  bool usable = ::access("/dev/fuse", R_OK | W_OK) == 0 && !sys::find_program("fuse-overlayfs").empty();
  if (!usable) return false;
  const char* force = std::getenv("BERTH_FUSE_OVERLAYFS");
  if (force && std::string_view(force) == "1") return true;
  return !check_overlay_support(root);
}

Result<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::open(const std::string& root,
                                                                    bool check_support) {
  std::unique_ptr<OverlaySnapshotter> s(new OverlaySnapshotter());
  TRYV(s->open_root(root, "overlay"));
  s->fuse_ = use_fuse_overlayfs(s->root());
  if (check_support && !s->fuse_) TRYV(check_overlay_support(s->root()));
  // As containerd does: with index=on, overlay ties each upper dir to its
  // lowers by file handle, which breaks when layers are re-used or copied.
  // (The parameter exists once the module is loaded, e.g. by the trial mount.)
  s->userxattr_ = sys::in_user_namespace();
  s->index_off_ = ::access("/sys/module/overlay/parameters/index", F_OK) == 0;
  // A writable snapshot's upper dir becomes a layer as it is (a build step's
  // commit): redirects and metadata-only copy-ups, which a host may turn on by
  // default, would make it depend on the lowers it was made over.
  s->plain_upper_ = ::access("/sys/module/overlay/parameters/redirect_dir", F_OK) == 0 &&
                    ::access("/sys/module/overlay/parameters/metacopy", F_OK) == 0;
  return s;
}

Result<void> OverlaySnapshotter::populate(const std::string& dir, const Info&,
                                          const std::vector<Info>&) {
  if (::mkdir((dir + "/fs").c_str(), 0755) != 0) return fail_errno("creating " + dir + "/fs");
  if (::mkdir((dir + "/work").c_str(), 0711) != 0) return fail_errno("creating " + dir + "/work");
  return {};
}

std::vector<Mount> OverlaySnapshotter::describe(const Info& info, const std::vector<Info>& parents) {
  bool ro = info.kind != Kind::Active;
  if (parents.empty())
    return {Mount{"bind", dir_of(info.id) + "/fs", {ro ? "ro" : "rw", "rbind"}, ""}};
  if (ro && parents.size() == 1)
    return {Mount{"bind", dir_of(parents[0].id) + "/fs", {"ro", "rbind"}, ""}};
  if (fuse_) {
    // fuse-overlayfs reads user.overlay.opaque; it takes no kernel tuning options.
    Mount f{"fuse-overlayfs", "fuse-overlayfs", {}, snapshots_dir()};
    if (!ro) {
      f.options.push_back("workdir=" + std::to_string(info.id) + "/work");
      f.options.push_back("upperdir=" + rel_fs(info.id));
    }
    f.options.push_back(lowerdirs(parents));
    return {f};
  }
  Mount m{"overlay", "overlay", {}, snapshots_dir()};
  if (userxattr_) m.options.push_back("userxattr");
  if (index_off_) m.options.push_back("index=off");
  if (!ro && plain_upper_) {
    // With userxattr the kernel takes "off" as "follow", which needs trusted xattrs.
    m.options.push_back(userxattr_ ? "redirect_dir=nofollow" : "redirect_dir=off");
    m.options.push_back("metacopy=off");
  }
  if (!ro) {
    m.options.push_back("workdir=" + std::to_string(info.id) + "/work");
    m.options.push_back("upperdir=" + rel_fs(info.id));
  }
  // Without an upperdir overlay is read-only and needs two or more lowers.
  m.options.push_back(lowerdirs(parents));
  return {m};
}

}  // namespace berth::snapshot
