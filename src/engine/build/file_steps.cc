// The steps that write files into a snapshot of the parent: WORKDIR's
// directory, COPY and ADD (from the context, another stage or image, or an
// http(s) URL), and the digest of their sources for the cache key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/strings.h"
#include "buildfs/copy.h"
#include "buildfs/download.h"
#include "buildfs/sources.h"
#include "buildfs/users.h"
#include "content/digest.h"
#include "engine/build/engine_primitives.h"
#include "engine/build/mounted_snapshot.h"
#include "layer/resolver.h"

namespace berth::engine {
namespace {

bool is_url(const std::string& s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::string hex_of(const std::string& digest) { return digest.starts_with("sha256:") ? digest.substr(7) : digest; }

}  // namespace

Result<std::string> EnginePrimitives::make_workdir(const build::StageImage& parent, const std::string& path,
                                                   const build::CommitInfo& info) {
  auto dst = TRY(mount_image(parent.id));
  auto parts = split(path, '/', true);
  if (!parts.empty()) {
    // The resolver keeps a directory of the mount open: it is gone before the unmount, which
    // would otherwise find the mount busy (~90 ms of retries, then a lazy detach).
    layer::ResolveOptions ro;
    ro.clamp_dotdot = true;
    layer::Resolver resolver(dst->root(), ro);
    std::string name = parts.back();
    parts.pop_back();
    int dir = TRY(resolver.parent_dir(join(parts, "/"), path, true));
    if (::mkdirat(dir, name.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating WORKDIR " + path);
  }
  dst->unmount();
  return commit(parent, info, dst->key(), /*take_snapshot=*/true);
}

Result<build::SourceDigest> EnginePrimitives::digest_sources(const build::CopyStep& step) {
  std::vector<std::string> locals, urls;
  for (const auto& s : step.sources) (step.add && step.from.context && is_url(s) ? urls : locals).push_back(s);
  std::vector<std::string> parts;  // one digest per group, for "multi"
  size_t count = 0;
  bool single_dir = false;
  if (!locals.empty()) {
    std::unique_ptr<MountedSnapshot> from;
    UniqueFd root;
    if (step.from.context) {
      root = UniqueFd(::open(context_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!root) return fail_errno("opening the build context");
    } else {
      from = TRY(mount_image(step.from.image));
    }
    int root_fd = from ? from->root() : root.get();
    auto sources = TRY(buildfs::resolve_sources(root_fd, locals, from ? buildfs::SourceRoot::image : buildfs::SourceRoot::context));
    count += sources.size();
    single_dir = sources.size() == 1 && sources[0].is_dir;
    parts.push_back(hex_of(TRY(buildfs::digest_sources(root_fd, sources))));
  }
  std::unique_lock downloads(mu_, std::defer_lock);
  if (!urls.empty()) downloads.lock();  // one download at a time, each once
  for (const auto& url : urls) {
    auto it = downloaded_.find(url);
    if (it == downloaded_.end()) {
      std::string dir = TRY(download_dir()) + "/" + std::to_string(downloaded_.size());
      if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno("creating " + dir);
      auto d = TRY(buildfs::download_url(url, dir));
      it = downloaded_.emplace(url, Downloaded{d.path, d.name, hex_of(d.digest)}).first;
    }
    parts.push_back(it->second.digest);
    ++count;
  }
  build::SourceDigest out;
  out.kind = count == 1 ? (single_dir ? "dir" : "file") : "multi";
  out.digest = parts.size() == 1 ? parts[0] : content::sha256(join(parts, "\n")).hex();
  return out;
}

Result<std::string> EnginePrimitives::copy(const build::CopyStep& step) {
  std::vector<std::string> locals, urls;
  for (const auto& s : step.sources) (step.add && step.from.context && is_url(s) ? urls : locals).push_back(s);
  auto dst = TRY(mount_image(step.parent.id));
  buildfs::CopyOptions opt;
  if (!step.chown.empty()) opt.chown = TRY(buildfs::resolve_owner(dst->root(), step.chown, buildfs::ResolveFor::chown));
  opt.chmod = step.chmod;
  // COPY --from without --chown keeps the owners the files have there, as Docker.
  opt.preserve_owner = !step.from.context && step.chown.empty();
  std::unique_ptr<MountedSnapshot> from;
  UniqueFd context;
  int src_root = -1;
  std::vector<buildfs::Source> sources;
  if (!locals.empty()) {
    if (step.from.context) {
      context = UniqueFd(::open(context_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!context) return fail_errno("opening the build context");
      src_root = context.get();
    } else {
      from = TRY(mount_image(step.from.image));
      src_root = from->root();
    }
    sources = TRY(buildfs::resolve_sources(src_root, locals, from ? buildfs::SourceRoot::image : buildfs::SourceRoot::context));
  }
  if (sources.size() + urls.size() > 1 && !step.dest.ends_with("/"))
    return fail(Errc::InvalidArgument, std::string("When using ") + (step.add ? "ADD" : "COPY") +
                                           " with more than one source file, the destination must be a directory and end with a /");
  if (!sources.empty()) {
    opt.extract_archives = step.add && step.from.context;
    TRY(buildfs::copy_sources(src_root, sources, dst->root(), step.dest, step.workdir, opt));
  }
  std::unique_lock downloads(mu_, std::defer_lock);
  if (!urls.empty()) downloads.lock();
  for (const auto& url : urls) {
    auto it = downloaded_.find(url);
    if (it == downloaded_.end()) return fail(Errc::Internal, "ADD " + url + ": not downloaded");
    std::string name = it->second.name;
    if (name.empty()) {
      if (step.dest.ends_with("/"))
        return fail(Errc::InvalidArgument, "cannot determine filename from url: " + url);
      name = "download";
    }
    // The copy takes the file's own name: give it the URL's.
    std::string dir = std::filesystem::path(it->second.path).parent_path();
    if (std::filesystem::path(it->second.path).filename() != name) {
      if (::rename(it->second.path.c_str(), (dir + "/" + name).c_str()) != 0)
        return fail_errno("naming the download of " + url);
      it->second.path = dir + "/" + name;
    }
    UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno("opening " + dir);
    buildfs::CopyOptions uopt = opt;
    uopt.extract_archives = false;  // a URL is never extracted
    TRY(buildfs::copy_sources(root.get(), {buildfs::Source{name, false}}, dst->root(), step.dest, step.workdir, uopt));
  }
  dst->unmount();
  return commit(step.parent, step.commit, dst->key(), /*take_snapshot=*/true);
}

}  // namespace berth::engine
