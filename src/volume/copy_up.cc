// Docker's copy-up: a volume mounted over a directory of the image starts
// with that directory's content (moby's copyExistingContents +
// copyOwnership), once: only while the volume is empty.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/container_archive.h"
#include "layer/fs_util.h"
#include "layer/resolver.h"
#include "snapshot/fs_tree.h"
#include "volume/service.h"

namespace berth::volume {
namespace {

// Entry names of the directory at path ("." and ".." left out).
Result<std::vector<std::string>> entries(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + path);
  return layer::list_dir(fd.get());
}

}  // namespace

Result<void> VolumeService::copy_up(const std::string& name, const std::string& rootfs,
                                    const std::string& path_in_rootfs) {
  const std::string ctx = "copying " + path_in_rootfs + " into volume " + name;
  {
    std::lock_guard lk(mu_);
    auto doc = TRY(get_locked(name));
    auto opts = doc.value("Options", nlohmann::json());
    std::map<std::string, std::string> o;
    if (opts.is_object())
      for (const auto& [k, v] : opts.items()) o[k] = v.is_string() ? v.get<std::string>() : "";
    if (needs_mount(o) && !mounted_.contains(name))
      return fail(Errc::Conflict, ctx + ": the volume is not mounted (mount() it first)");
  }
  std::string dst = data_dir(name);
  if (!TRY_CTX(entries(dst), ctx).empty()) return {};  // not empty: Docker copies nothing

  auto root = TRY_CTX(layer::open_container_root(rootfs), ctx);
  std::string rel = TRY_CTX(layer::clean_path(path_in_rootfs), ctx);
  auto [parent, last] = layer::split_parent(rel);

  // The last component: missing or not a directory (nor a symlink to one) ->
  // nothing to copy. Its parents are resolved inside the root.
  int src_dir = -1;
  layer::Resolver resolver(root.get());
  if (!last.empty()) {
    auto pfd = resolver.parent_dir(parent, path_in_rootfs, /*create=*/false);
    if (!pfd) {
      if (pfd.error().code == Errc::NotFound) return {};
      return std::unexpected(std::move(pfd).error().wrap(ctx));
    }
    struct stat st;
    if (::fstatat(*pfd, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};
      return fail_errno(ctx + ": inspecting " + path_in_rootfs);
    }
    if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) return {};
    resolver.forget();
  }
  auto sfd = resolver.parent_dir(rel, path_in_rootfs, /*create=*/false);
  if (!sfd) {
    if (sfd.error().code == Errc::NotFound) return {};  // a dangling symlink
    return std::unexpected(std::move(sfd).error().wrap(ctx));
  }
  src_dir = *sfd;
  struct stat src_st;
  if (::fstat(src_dir, &src_st) != 0) return fail_errno(ctx + ": inspecting the source");
  if (!S_ISDIR(src_st.st_mode)) return {};

  // Below the resolved directory nothing is followed: copy_tree copies
  // symlinks as symlinks. The magic link only names the directory resolved above.
  std::string src = "/proc/self/fd/" + std::to_string(src_dir);
  for (const auto& e : TRY_CTX(entries(src), ctx)) {
    auto r = snapshot::copy_tree(src + "/" + e, dst + "/" + e);
    if (!r) return std::unexpected(std::move(r).error().wrap(ctx));
  }
  // copyOwnership: the volume's root takes the source directory's owner and mode.
  if (::chown(dst.c_str(), src_st.st_uid, src_st.st_gid) != 0) return fail_errno(ctx + ": chown " + dst);
  if (::chmod(dst.c_str(), src_st.st_mode & 07777) != 0) return fail_errno(ctx + ": chmod " + dst);
  return {};
}

}  // namespace berth::volume
