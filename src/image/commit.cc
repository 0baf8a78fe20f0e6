// ImageService::commit: a snapshot's changes → a layer blob → a new image
// config, manifest and record (and tag), all or nothing.
#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "base/go_time.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "image/container_export.h"
#include "image/media_types.h"
#include "image/reference.h"
#include "image/service.h"
#include "layer/layer.h"

namespace berth::image {
namespace {

// What a failed commit added, taken back unless an image uses it meanwhile.
class Undo {
 public:
  Undo(content::Store& content, snapshot::Snapshotter& snaps, metadata::ImageStore& meta)
      : content_(content), snaps_(snaps), meta_(meta) {}
  ~Undo() {
    if (!armed_) return;
    auto referenced = meta_.referenced_content();
    for (const auto& d : blobs_)
      if (referenced && !referenced->contains(d.str())) (void)content_.remove(d);
    std::set<std::string> used;
    if (auto all = meta_.list())
      for (const auto& s : *all)
        for (const auto& l : s.image.layers) used.insert(l.chain_id);
    for (const auto& s : snapshots_)
      if (!used.contains(s)) (void)snaps_.remove(s);
  }
  // A blob or snapshot that was not there before this commit.
  void blob(const Digest& d, bool existed) {
    if (!existed) blobs_.push_back(d);
  }
  void snapshot(const std::string& key, bool existed) {
    if (!existed) snapshots_.push_back(key);
  }
  void disarm() { armed_ = false; }

 private:
  content::Store& content_;
  snapshot::Snapshotter& snaps_;
  metadata::ImageStore& meta_;
  std::vector<Digest> blobs_;
  std::vector<std::string> snapshots_;
  bool armed_ = true;
};

// The snapshot's own changes as an uncompressed layer tar in an unlinked
// temporary file under dir, positioned at its start.
Result<std::pair<UniqueFd, layer::WriteResult>> diff_tar(snapshot::Snapshotter& snaps, const std::string& key,
                                                         const std::string& dir) {
  auto mounts = TRY(snaps.mounts(key));
  // Top first: the snapshot's own directory (an overlay upper dir).
  auto roots = TRY(layer_roots(mounts, key));
  std::string path = dir + "/commit-XXXXXX";
  UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
  if (!fd) return fail_errno("creating a temporary file for the layer of " + key);
  ::unlink(path.c_str());
  auto written = TRY_CTX(layer::write_diff_tar(roots[0], fd.get()), "writing the changes of " + key);
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return fail_errno("rewinding the layer of " + key);
  return std::pair{std::move(fd), written};
}

}  // namespace

// The active snapshot becomes committed snapshot `chain` in place: its own
// directory holds the layer's changes in the form unpacking them would give
// (overlay whiteouts and opaque dirs, the snapshotter mounting without
// redirect_dir and metacopy, which a layer tar could not express; or a plain
// copy's full tree). Anything unexpected leaves it to the copy that
// commit_image unpacks.
void ImageService::take_snapshot(const std::string& key, const std::string& parent_chain, const std::string& chain) {
  if (snapshots_->stat(chain)) return;  // an identical layer is there already
  auto st = snapshots_->stat(key);
  if (!st || st->kind != snapshot::Kind::Active || st->parent != parent_chain) return;
  if (auto r = snapshots_->commit(chain, key); !r) log::debug("commit: {} stays a copy: {}", key, r.error().str());
}

Result<ImageInfo> ImageService::commit(const CommitRequest& req) {
  // What can be refused is refused before any I/O.
  std::vector<std::string> refs;
  if (!req.reference.empty()) refs.push_back(TRY(Reference::parse(req.reference)).str());
  if (!req.empty_layer && req.snapshot_key.empty())
    return fail(Errc::InvalidArgument, "commit: no snapshot to take the layer from");

  ImageConfig cfg;
  Manifest manifest;
  std::string parent_id;
  if (!req.parent_image.empty()) {
    auto parent = TRY(inspect(req.parent_image));
    parent_id = parent.id;
    cfg = std::move(parent.config);
    manifest = std::move(parent.manifest);
  } else {
    cfg.architecture = host_architecture();
    cfg.os = "linux";
  }
  manifest.media_type = std::string(media::kOciManifest);
  manifest.config.media_type = std::string(media::kOciConfig);
  if (!cfg.rootfs) cfg.rootfs = RootFs{};

  Undo undo(content_, *snapshots_, metadata_);
  std::optional<layer::WriteResult> layer;
  if (!req.empty_layer) {
    auto tar = diff_tar(*snapshots_, req.snapshot_key, root_);
    if (req.after_diff) req.after_diff();
    if (!tar) return std::unexpected(std::move(tar.error()).wrap("committing " + req.snapshot_key));
    auto& [fd, written] = *tar;
    bool existed = content_.exists(written.diff_id);
    auto blob = TRY_CTX(content_.write_from_fd(written.diff_id, fd.get()), "storing the layer of " + req.snapshot_key);
    undo.blob(blob, existed);
    layer = written;
    std::string parent_chain = cfg.rootfs->diff_ids.empty() ? std::string() : chain_id(cfg.rootfs->diff_ids).str();
    cfg.rootfs->diff_ids.push_back(written.diff_id);
    if (req.take_snapshot && written.left_out == 0) take_snapshot(req.snapshot_key, parent_chain, chain_id(cfg.rootfs->diff_ids).str());
    Descriptor l;
    l.media_type = std::string(media::kOciLayer);
    l.digest = blob;
    l.size = static_cast<int64_t>(written.size);
    manifest.layers.push_back(std::move(l));
  }

  cfg.config = req.config;
  cfg.created = req.created.empty() ? go::format_rfc3339_nano(go::UnixTime::now()) : req.created;
  cfg.author = req.author;
  History h = req.history;
  h.created = cfg.created;
  h.empty_layer = req.empty_layer;
  cfg.history.push_back(std::move(h));
  for (const auto& [k, v] : req.extra.items()) cfg.extra[k] = v;
  std::string config_bytes = serialize(cfg);
  manifest.config.digest = image_id(config_bytes);
  manifest.config.size = static_cast<int64_t>(config_bytes.size());
  std::string manifest_bytes = serialize(manifest);

  undo.blob(manifest.config.digest, content_.exists(manifest.config.digest));
  auto manifest_digest = content::sha256(manifest_bytes);
  undo.blob(manifest_digest, content_.exists(manifest_digest));
  if (layer) {
    auto chain = chain_id(cfg.rootfs->diff_ids).str();
    undo.snapshot(chain, static_cast<bool>(snapshots_->stat(chain)));
  }
  auto info = TRY(commit_image(config_bytes, manifest_bytes, refs, req.record_parent ? parent_id : std::string()));
  undo.disarm();
  return info;
}

}  // namespace berth::image
