// EnginePrimitives: a RUN's --mount values made into mounts of its
// container, and its mount points found and taken out of its layer.
#include "engine/build/run_mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <tuple>
#include <utility>

#include "base/unique_fd.h"
#include "buildfs/copy.h"
#include "engine/build/engine_primitives.h"
#include "engine/build/mounted_snapshot.h"
#include "engine/build/mount_stubs.h"
#include "engine/container_service.h"
#include "idmap/remap.h"
#include "image/container_export.h"
#include "snapshot/mount.h"
#include "sys/syscalls.h"

namespace berth::engine {
namespace {

std::string fd_path(int fd) {
  char buf[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The contents of the directory (or the file) at path, copied into dir
// (owners kept, or all given to owner); returns what to mount: dir, or the
// copied file in it.
Result<std::string> copy_into(const std::string& path, const std::string& dir,
                              std::optional<buildfs::Owner> owner = std::nullopt) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno("reading " + path);
  bool is_dir = S_ISDIR(st.st_mode);
  std::string src_root = is_dir ? path : std::filesystem::path(path).parent_path().string();
  std::string name = is_dir ? "." : std::filesystem::path(path).filename().string();
  UniqueFd src(::open(src_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd dst(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!src || !dst) return fail_errno("opening " + src_root + " to copy it");
  buildfs::CopyOptions opt;
  opt.preserve_owner = !owner;
  opt.chown = owner;
  TRY(buildfs::copy_sources(src.get(), {buildfs::Source{name, is_dir}}, dst.get(), "/", "/", opt));
  return is_dir ? dir : dir + "/" + name;
}

}  // namespace

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunMountSet::RunMountSet() = default;
RunMountSet::RunMountSet(RunMountSet&&) noexcept = default;
RunMountSet::~RunMountSet() = default;

Result<std::string> resolve_in_root(const std::string& root, const std::string& rel) {
  UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) return fail_errno("opening " + root);
  if (rel.empty()) return fd_path(top.get());
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(sys::openat2(top.get(), rel.c_str(), &how));
  if (!fd) return fail_errno(rel);
  std::string top_path = fd_path(top.get()), path = fd_path(fd.get());
  if (path != top_path && !path.starts_with(top_path + "/"))
    return fail(Errc::InvalidArgument, rel + ": outside its root");
  return path;
}

Result<RunMountSet> EnginePrimitives::prepare_mounts(const std::vector<build::RunMount>& mounts) {
  RunMountSet set;
  // Under --userns-remap the RUN's container lives in the remapped ids: what it is given to
  // own (a cache's root, a secret, a writable copy of the context) is owned by their host ids.
  const idmap::Remap* remap = env_.containers.daemon_remap();
  auto host_owner = [&](const build::RunMount& m, uint32_t uid, uint32_t gid) -> Result<std::pair<uid_t, gid_t>> {
    if (!remap) return std::pair<uid_t, gid_t>{uid, gid};
    auto u = idmap::Remap::to_host(remap->uids, uid);
    auto g = idmap::Remap::to_host(remap->gids, gid);
    if (!u || !g)
      return fail(Errc::InvalidArgument, "RUN --mount target=" + m.target + ": uid " + std::to_string(uid) +
                                             " / gid " + std::to_string(gid) + " is outside the remapped range of " +
                                             remap->user);
    return std::pair<uid_t, gid_t>{*u, *g};
  };
  auto bind = [&](const build::RunMount& m, const std::string& source, bool read_only) {
    model::MountSpec spec;
    spec.type = model::MountType::Bind;
    spec.source = source;
    spec.target = m.target;
    spec.read_only = read_only;
    set.binds.push_back(std::move(spec));
    set.targets.push_back(m.target);
  };
  auto scratch = [&]() -> Result<std::string> {
    std::string tmpl = env_.work_dir + "/tmp/mount-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return fail_errno("creating a directory for a RUN mount");
    set.scratch.push_back(std::make_unique<ScratchDir>(tmpl));
    return tmpl;
  };
  // The root a bind or cache's source is read in: the context, or an image mounted for the RUN.
  auto source_root = [&](const build::RunMount& m) -> Result<std::string> {
    if (m.from_image.empty()) return context_dir_;
    set.images.push_back(TRY(mount_image(m.from_image)));
    return set.images.back()->path();
  };
  // Caches first, in the order of their ids: two RUNs that lock the same caches cannot each
  // hold one the other waits for. One lease per id in a RUN: a second would wait for the first.
  std::map<std::string, const build::RunMount*> caches;
  for (const auto& m : mounts)
    if (m.type == build::MountType::cache) caches.emplace(m.id, &m);
  std::map<std::string, std::string> cache_paths;
  for (const auto& [id, first] : caches) {
    const build::RunMount& m = *first;
    CacheMounts::Init init;
    if (m.mode) init.mode = *m.mode;
    std::tie(init.uid, init.gid) = TRY(host_owner(m, m.uid.value_or(0), m.gid.value_or(0)));
    if (!m.from_image.empty())
      init.fill = [&](const std::string& dir) -> Result<void> {
        auto image = TRY(mount_image(m.from_image));
        auto where = resolve_in_root(image->path(), m.source);
        if (!where) return fail(Errc::InvalidArgument, "source " + m.source + " not found in " + m.from);
        TRY(copy_into(*where, dir));
        return {};
      };
    set.caches.push_back(TRY_CTX(env_.cache_mounts.acquire(id, m.sharing, init),
                                 "RUN --mount=type=cache,target=" + m.target));
    cache_paths[id] = set.caches.back()->path();
  }
  for (const auto& m : mounts) {
    const std::string what = "RUN --mount=type=" + std::string(build::to_string(m.type)) + ",target=" + m.target;
    switch (m.type) {
      case build::MountType::bind: {
        std::string root = TRY_CTX(source_root(m), what);
        auto where = resolve_in_root(root, m.source);
        if (!where) {
          std::string in = m.from.empty() ? "the build context" : m.from;
          return fail(Errc::InvalidArgument, what + ": source " + (m.source.empty() ? "/" : m.source) + " not found in " + in);
        }
        // rw on the context: a scratch copy takes the writes (an image's snapshot is one already).
        if (!m.read_only && m.from_image.empty()) {
          std::optional<buildfs::Owner> owner;
          std::string dir = TRY(scratch());
          if (remap) {
            owner = buildfs::Owner{remap->root_uid(), remap->root_gid()};
            if (::chown(dir.c_str(), owner->uid, owner->gid) != 0) return fail_errno(what + ": setting its owner");
          }
          bind(m, TRY_CTX(copy_into(*where, dir, owner), what), false);
        }
        else bind(m, *where, m.read_only);
        break;
      }
      case build::MountType::cache:
        bind(m, cache_paths.at(m.id), m.read_only);
        break;
      case build::MountType::tmpfs:
        set.tmpfs[m.target] = "exec" + (m.size ? ",size=" + std::to_string(m.size) : std::string());
        set.targets.push_back(m.target);
        break;
      case build::MountType::secret: {
        auto it = request_.secrets.find(m.id);
        if (it == request_.secrets.end()) {
          if (!m.required) break;  // an optional secret the build was not given: no mount
          return fail(Errc::InvalidArgument, what + ": secret " + m.id + " not found (give it with --secret id=" +
                                                 m.id + ",src=FILE)");
        }
        auto [uid, gid] = TRY(host_owner(m, m.uid.value_or(0), m.gid.value_or(0)));
        set.secrets.push_back(TRY_CTX(env_.secrets.write(it->second, m.mode.value_or(0400), uid, gid), what));
        bind(m, set.secrets.back()->path(), true);
        break;
      }
    }
  }
  return set;
}

Result<MountStubs> EnginePrimitives::find_stubs(const std::string& container_id, const std::vector<std::string>& targets) {
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(env_.image_mu);
    mounts = TRY(env_.images.snapshots().mounts(container_id));
  }
  std::string at = env_.work_dir + "/mnt/stubs-" + container_id;
  if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + at);
  auto found = [&]() -> Result<MountStubs> {
    TRYV(snapshot::mount_all(mounts, at));
    auto stubs = MountStubs::find(at, targets);
    (void)snapshot::unmount_all(at);
    return stubs;
  }();
  ::rmdir(at.c_str());
  return found;
}

void EnginePrimitives::remove_stubs(const std::string& container_id, const MountStubs& stubs) {
  if (stubs.empty()) return;
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(env_.image_mu);
    auto m = env_.images.snapshots().mounts(container_id);
    if (!m) return;
    mounts = std::move(*m);
  }
  auto roots = image::layer_roots(mounts, container_id);
  if (!roots || roots->empty()) return;
  stubs.remove(roots->front(), mounts.size() == 1 && mounts[0].type == "overlay");
}

}  // namespace berth::engine
