#include "engine/image_rootfs.h"

#include "engine/image_config.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "dockerapi/container_create.h"
#include "image/changes.h"
#include "image/container_export.h"
#include "image/media_types.h"
#include "image/reference.h"
#include "layer/layer.h"
#include "idmap/idmapped_mount.h"
#include "snapshot/mount.h"

namespace berth::engine {
Result<ImageDefaults> ImageRootfs::resolve_image(const std::string& ref) {
  image::ImageInfo info;
  {
    std::lock_guard lk(mu_);
    auto r = images_.inspect(ref);
    if (!r) {
      if (r.error().code != Errc::NotFound) return std::unexpected(r.error());
      auto parsed = image::Reference::parse(ref);
      return fail(Errc::NotFound, "No such image: " + (parsed ? parsed->familiar() : ref));
    }
    info = std::move(*r);
  }
  // The image config's "config" is Docker's Config form; an image whose
  // config does not read as one cannot run.
  nlohmann::json full = nlohmann::json::parse(info.config_bytes, nullptr, false);
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& config = full.is_object() && full.contains("config") ? full["config"] : empty;
  auto reader = TRY_CTX(dockerapi::FieldReader::of(config, "config"), "image " + info.id);
  return ImageDefaults{info.id, TRY_CTX(dockerapi::parse_config(reader), "image " + info.id)};
}

Result<void> ImageRootfs::prepare(const std::string& image_id, const std::string& key) {
  std::lock_guard lk(mu_);
  TRY(images_.prepare_rootfs(image_id, key));
  return {};
}

Result<void> ImageRootfs::mount(const std::string& key, const std::string& target) {
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(mu_);
    mounts = TRY(images_.snapshots().mounts(key));
  }
  return snapshot::mount_all(mounts, target);
}

Result<void> ImageRootfs::mount_remapped(const std::string& key, const std::string& target) {
  if (!remap_view_) return fail(Errc::Unsupported, "this daemon runs without userns-remap");
  std::vector<snapshot::Mount> mounts;
  {
    std::lock_guard lk(mu_);
    mounts = TRY(images_.snapshots().mounts(key));
  }
  const UsernsRemapView& v = *remap_view_;
  for (auto& m : mounts) {
    // Relative layer paths resolve from chdir; absolute ones are moved by hand.
    if (!m.chdir.empty()) m.chdir = v.in_view(m.chdir);
    if (!m.source.empty() && m.source.front() == '/') m.source = v.in_view(m.source);
    for (auto& o : m.options) {
      auto eq = o.find('=');
      if (eq == std::string::npos) continue;
      std::string rebuilt = o.substr(0, eq + 1);
      std::string value = o.substr(eq + 1);
      size_t pos = 0;
      while (pos <= value.size()) {  // lowerdir=a:b:c
        auto colon = value.find(':', pos);
        std::string part = value.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        rebuilt += (pos ? ":" : "") + (part.starts_with('/') ? v.in_view(part) : part);
        if (colon == std::string::npos) break;
        pos = colon + 1;
      }
      o = rebuilt;
    }
  }
  // overlayfs records its mounter's ids for its work directory: they must be
  // representable through the idmapped layers, so the mount is made as the
  // remapped root.
  return idmap::with_fs_ids(v.remap().root_uid(), v.remap().root_gid(),
                            [&]() -> Result<void> { return snapshot::mount_all(mounts, target); });
}

void ImageRootfs::unmount(const std::string& target) {
  auto r = snapshot::unmount_all(target);
  if (!r && r.error().code != Errc::NotFound) log::warn("unmounting {}: {}", target, r.error().str());
}

Result<void> ImageRootfs::remove(const std::string& key) {
  std::lock_guard lk(mu_);
  return images_.snapshots().remove(key);
}

std::optional<int64_t> ImageRootfs::usage(const std::string& key) {
  std::lock_guard lk(mu_);
  auto u = images_.snapshots().usage(key);
  if (!u) return std::nullopt;
  return u->bytes;
}

Result<std::vector<model::Change>> ImageRootfs::changes(const std::string& key) {
  std::vector<std::string> roots;
  {
    std::lock_guard lk(mu_);
    auto mounts = TRY(images_.snapshots().mounts(key));
    roots = TRY(image::layer_roots(mounts, key));
  }
  std::vector<model::Change> out;
  if (roots.size() < 2) return out;
  std::vector<std::string> lowers(roots.begin() + 1, roots.end());
  for (const auto& ch : TRY(layer::diff(roots[0], lowers))) {
    auto kind = ch.kind == layer::ChangeKind::Modified ? model::Change::Kind::Modified
                : ch.kind == layer::ChangeKind::Added  ? model::Change::Kind::Added
                                                       : model::Change::Kind::Deleted;
    out.push_back({ch.path, kind});
  }
  return out;
}

Result<void> ImageRootfs::export_flat(const std::string& key, int out_fd) {
  std::lock_guard lk(mu_);
  TRY(image::export_container_fs(images_, key, out_fd));
  return {};
}

Result<std::string> ImageRootfs::commit(const std::string& key, const RootfsCommit& req) {
  image::CommitRequest commit;
  commit.snapshot_key = key;
  commit.parent_image = req.parent_image_id;
  commit.config = image_config_of(req.config);  // engine/image_config.h
  TRYV(image::apply_changes(commit.config, req.changes));
  commit.author = req.author;
  commit.history.author = req.author;
  commit.history.created_by = req.created_by;
  commit.history.comment = req.comment;
  commit.extra["container"] = key;
  commit.reference = req.reference;
  commit.after_diff = req.after_diff;
  std::lock_guard lk(mu_);
  auto info = TRY_CTX(images_.commit(commit), "committing container " + key);
  return info.id;
}

}  // namespace berth::engine
