// EnginePrimitives: FROM, loading step images, the cache, config-only
// commits and the snapshot mounts the file steps write into.
#include "engine/build/engine_primitives.h"

#include "engine/build/mounted_snapshot.h"
#include "engine/image_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "base/log.h"
#include "engine/image_rootfs.h"
#include "image/reference.h"
#include "snapshot/mount.h"

namespace berth::engine {
namespace {

std::string snapshot_key() {
  static std::atomic<unsigned> seq{0};
  return kBuildSnapshotPrefix + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)) + "-" +
         std::to_string(seq++);
}

}  // namespace

EnginePrimitives::EnginePrimitives(BuildEnv env, const backend::BuildRequest& request, std::string context_dir)
    : env_(env), request_(request), context_dir_(std::move(context_dir)) {}

EnginePrimitives::~EnginePrimitives() {
  if (!downloads_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(downloads_, ec);
  }
}

Result<build::StageImage> EnginePrimitives::load(const std::string& image_id) {
  ImageRootfs images(env_.images, env_.image_mu);
  auto d = TRY(images.resolve_image(image_id));
  return build::StageImage{d.id, std::move(d.defaults)};
}

Result<build::StageImage> EnginePrimitives::from_image(const std::string& ref, const std::string& platform, bool pull,
                                                       build::Output& out) {
  if (!pull) {
    auto have = load(ref);
    if (have || have.error().code != Errc::NotFound) return have;
  }
  auto parsed = image::Reference::parse(ref);
  if (!parsed) return fail(Errc::InvalidArgument, "invalid reference format: " + ref);
  backend::PullRequest req;
  req.reference = parsed->str();
  req.platform = platform;
  if (auto a = request_.registry_auth.find(parsed->domain()); a != request_.registry_auth.end()) req.auth = a->second;
  else if (parsed->domain() == "docker.io")
    if (auto d = request_.registry_auth.find("https://index.docker.io/v1/"); d != request_.registry_auth.end())
      req.auth = d->second;
  TRYV(env_.distribution.pull(req, [&](const std::string& line) {
    out.json(line);
    return true;
  }));
  return load(parsed->str());
}

std::optional<std::string> EnginePrimitives::cache_get(const std::string& key) {
  auto id = env_.cache.get(key);
  if (env_.counters) id ? env_.counters->build_cache_hit() : env_.counters->build_cache_miss();
  return id;
}
void EnginePrimitives::cache_put(const std::string& key, const std::string& image_id) { env_.cache.put(key, image_id); }

Result<std::string> EnginePrimitives::commit(const build::StageImage& parent, const build::CommitInfo& info,
                                             const std::string& snapshot_key, bool take_snapshot) {
  image::CommitRequest req;
  req.snapshot_key = snapshot_key;
  req.take_snapshot = take_snapshot;
  req.empty_layer = snapshot_key.empty();
  req.parent_image = parent.id;
  req.config = image_config_of(info.config);
  if (!parent.id.empty()) req.config.extra["Image"] = parent.id;  // the legacy builder records the parent here
  req.history.created_by = info.created_by;
  req.history.author = info.author;
  req.author = info.author;
  req.record_parent = !parent.id.empty();
  std::lock_guard lk(env_.image_mu);
  return TRY(env_.images.commit(req)).id;
}

Result<std::string> EnginePrimitives::commit_config(const build::StageImage& parent, const build::CommitInfo& commit_info) {
  return commit(parent, commit_info, "");
}

Result<std::unique_ptr<MountedSnapshot>> EnginePrimitives::mount_image(const std::string& image_id) {
  std::string key = snapshot_key();
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(env_.image_mu);
    if (image_id.empty()) mounts = TRY(env_.images.snapshots().prepare(key, ""));
    else mounts = TRY(env_.images.prepare_rootfs(image_id, key));
  }
  auto m = std::make_unique<MountedSnapshot>(env_, key, env_.work_dir + "/mnt/" + key);
  TRYV(m->mount(mounts));
  return m;
}

Result<std::string> EnginePrimitives::download_dir() {
  if (downloads_.empty()) {
    std::string tmpl = env_.work_dir + "/tmp/download-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return fail_errno("creating a directory for ADD downloads");
    downloads_ = tmpl;
  }
  return downloads_;
}

}  // namespace berth::engine
