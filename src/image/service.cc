#include "image/service.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <set>

#include <fmt/format.h>

#include "base/go_time.h"
#include "image/changes.h"
#include "image/lookup.h"
#include "image/media_types.h"
#include "image/reference.h"
#include "layer/layer.h"
#include "snapshot/overlay.h"

namespace berth::image {
namespace {

// Manifests and configs are small; anything bigger in an image's content is a layer.
constexpr uint64_t kMaxJsonBlob = 4 << 20;


std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

// Where a freshly prepared snapshot's own files go: the bind source, or the
// overlay upperdir (relative to the mount's chdir).
Result<std::string> writable_dir(const std::vector<snapshot::Mount>& mounts) {
  if (mounts.size() != 1) return fail(Errc::Internal, "snapshot has no single mount to unpack into");
  const auto& m = mounts[0];
  if (m.type == "bind") return m.chdir.empty() ? m.source : m.chdir + "/" + m.source;
  for (const auto& o : m.options)
    if (o.starts_with("upperdir=")) {
      std::string p = o.substr(9);
      return p.starts_with("/") || m.chdir.empty() ? p : m.chdir + "/" + p;
    }
  return fail(Errc::Internal, "snapshot mount of type " + m.type + " has no writable directory");
}

Result<Digest> write_from_fd(content::Store& store, int fd) {
  auto w = TRY(store.writer());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading the layer stream");
    if (n == 0) break;
    TRYV(w.write(std::string_view(buf.data(), n)));
  }
  return w.commit();
}

}  // namespace

std::string host_architecture() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (m.starts_with("armv")) return "arm";
  return m;
}

Result<std::string> sniff_layer_media_type(content::Store& store, const Digest& blob) {
  auto fd = TRY(store.open_blob(blob));
  unsigned char m[4] = {};
  ssize_t n = ::pread(fd.get(), m, sizeof m, 0);
  if (n < 0) return fail_errno("reading blob " + blob.str());
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return std::string(media::kOciLayerGzip);
  if (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return std::string(media::kOciLayerZstd);
  return std::string(media::kOciLayer);
}

Result<std::unique_ptr<ImageService>> ImageService::open(const std::string& root) {
  if (::mkdir(root.c_str(), 0711) != 0 && errno != EEXIST)
    return fail_errno("creating image root " + root);
  auto c = TRY_CTX(content::Store::open(root + "/content"), "opening content store");
  auto s = TRY_CTX(snapshot::make_snapshotter(root + "/snapshots"), "opening snapshotter");
  auto m = TRY_CTX(metadata::ImageStore::open(root + "/metadata.db"), "opening image metadata");
  return std::unique_ptr<ImageService>(
      new ImageService(root, std::move(c), std::move(s), std::move(m)));
}

// Applies a layer's bytes into a new active snapshot on `parent`; on success
// commits it as name(diff_id) unless a snapshot of that name exists already
// (then ours is dropped). The bytes must hash to expected_blob when given
// (a stream not yet verified), the tar to expected_diff. Returns the diff ID.
static Result<Digest> apply_layer(layer::ByteSource& source, snapshot::Snapshotter& snaps, const Digest& blob,
                                  const std::string& parent, bool verify_blob,
                                  const std::optional<Digest>& expected_diff,
                                  const std::function<std::string(const Digest&)>& name) {
  std::string key = "extract-" + random_suffix();
  auto mounts = TRY_CTX(snaps.prepare(key, parent), "preparing snapshot to unpack " + blob.str());
  auto cleanup = [&](Error e) -> Result<Digest> {
    (void)snaps.remove(key);
    return std::unexpected(std::move(e));
  };
  auto dir = writable_dir(mounts);
  if (!dir) return cleanup(dir.error());
  bool overlay = dynamic_cast<snapshot::OverlaySnapshotter*>(&snaps) != nullptr;
  auto res = layer::apply(source, *dir, {.format = overlay ? layer::Format::Overlay : layer::Format::Plain});
  if (!res) return cleanup(std::move(res.error()).wrap("unpacking layer " + blob.str()));
  if (verify_blob && res->digest != blob)
    return cleanup(Error{Errc::InvalidArgument, 0,
                         "filesystem layer verification failed for digest " + blob.str() + ": its bytes hash to " +
                             res->digest.str()});
  if (expected_diff && res->diff_id != *expected_diff)
    return cleanup(Error{Errc::InvalidArgument, 0,
                         "layer " + blob.str() + " has diff ID " + res->diff_id.str() +
                             " but the image config says " + expected_diff->str()});
  std::string target = name(res->diff_id);
  auto existing = snaps.stat(target);
  if (existing) {  // unpacked meanwhile, or identical content under another blob
    (void)snaps.remove(key);
    return res->diff_id;
  }
  auto c = snaps.commit(target, key);
  if (!c) return cleanup(std::move(c.error()).wrap("committing snapshot " + target));
  return res->diff_id;
}

// The same from a blob the content store has (verified when it was stored).
static Result<Digest> apply_blob(content::Store& store, snapshot::Snapshotter& snaps,
                                 const Digest& blob, const std::string& parent,
                                 const std::optional<Digest>& expected_diff,
                                 const std::function<std::string(const Digest&)>& name) {
  auto fd = TRY(store.open_blob(blob));
  layer::FdSource source(fd.get());
  return apply_layer(source, snaps, blob, parent, false, expected_diff, name);
}

bool ImageService::has_layer(const Digest& chain) {
  auto st = snapshots_->stat(chain.str());
  return st && st->kind == snapshot::Kind::Committed;
}

Result<void> ImageService::unpack(const Descriptor& layer, const Digest& diff_id,
                                  const std::string& chain, const std::string& parent) {
  if (auto st = snapshots_->stat(chain); st && st->kind == snapshot::Kind::Committed) return {};
  TRY(apply_blob(content_, *snapshots_, layer.digest, parent, diff_id,
                 [&](const Digest&) { return chain; }));
  return {};
}

Result<void> ImageService::unpack_stream(layer::ByteSource& source, const Descriptor& layer, const Digest& diff_id,
                                        const Digest& chain, const std::string& parent) {
  if (has_layer(chain)) return {};
  TRY(apply_layer(source, *snapshots_, layer.digest, parent, true, diff_id,
                  [&](const Digest&) { return chain.str(); }));
  return {};
}

Result<ImageInfo> ImageService::import_rootfs(int fd, std::string_view reference,
                                              const ImportOptions& options) {
  std::vector<std::string> refs;
  if (!reference.empty()) refs.push_back(TRY(Reference::parse(reference)).str());

  ImageConfig cfg;
  cfg.architecture = options.architecture.empty() ? host_architecture() : options.architecture;
  cfg.os = options.os;
  cfg.created = options.created.empty() ? go::format_rfc3339_nano(go::UnixTime::now()) : options.created;
  ContainerConfig cc;
  TRYV(apply_changes(cc, options.changes));  // before any I/O: a typo costs nothing
  cfg.config = std::move(cc);

  auto blob = TRY_CTX(write_from_fd(content_, fd), "storing the imported layer");
  auto media_type = TRY(sniff_layer_media_type(content_, blob));
  auto info = TRY(content_.info(blob));
  // Single layer: its chain ID is its diff ID. For a plain tar that is the
  // blob digest, so an existing snapshot is found without unpacking again.
  std::optional<Digest> diff;
  if (media_type == media::kOciLayer) {
    if (auto st = snapshots_->stat(blob.str()); st && st->kind == snapshot::Kind::Committed)
      diff = blob;
  }
  if (!diff)
    diff = TRY(apply_blob(content_, *snapshots_, blob, "", std::nullopt,
                          [](const Digest& d) { return d.str(); }));

  cfg.rootfs = RootFs{"layers", {*diff}};
  History h;
  h.created = cfg.created;
  h.comment = options.message.empty() ? "Imported from -" : options.message;
  cfg.history.push_back(std::move(h));
  std::string config_bytes = serialize(cfg);

  Manifest m;
  m.media_type = std::string(media::kOciManifest);
  m.config.media_type = std::string(media::kOciConfig);
  m.config.digest = image_id(config_bytes);
  m.config.size = static_cast<int64_t>(config_bytes.size());
  Descriptor l;
  l.media_type = media_type;
  l.digest = blob;
  l.size = static_cast<int64_t>(info.size);
  m.layers.push_back(l);
  return commit_image(config_bytes, serialize(m), refs);
}

Result<ImageInfo> ImageService::commit_image(std::string_view config_bytes,
                                             std::string_view manifest_bytes,
                                             const std::vector<std::string>& refs, std::string parent) {
  auto manifest = TRY_CTX(parse_manifest(manifest_bytes), "parsing manifest");
  auto config = TRY_CTX(parse_image_config(config_bytes), "parsing image config");
  Digest id = image_id(config_bytes);
  if (manifest.config.digest != id)
    return fail(Errc::InvalidArgument, "manifest names config " + manifest.config.digest.str() +
                                           " but the config's digest is " + id.str());
  std::vector<Digest> diff_ids = config.rootfs ? config.rootfs->diff_ids : std::vector<Digest>{};
  if (diff_ids.size() != manifest.layers.size())
    return fail(Errc::InvalidArgument,
                fmt::format("manifest has {} layers but the config lists {} diff IDs",
                            manifest.layers.size(), diff_ids.size()));
  std::vector<std::string> normalized;
  for (const auto& r : refs) normalized.push_back(TRY(Reference::parse(r)).str());

  for (const auto& l : manifest.layers) {
    if (!media::is_layer(l.media_type))
      return fail(Errc::Unsupported, "layer " + l.digest.str() + " has unsupported media type " +
                                         l.media_type);
    if (!content_.exists(l.digest))
      return fail(Errc::NotFound, "layer blob " + l.digest.str() + " is not in the content store");
  }
  TRYV_CTX(content_.write(id, config_bytes), "storing image config");
  auto manifest_digest = TRY_CTX(content_.write(content::sha256(manifest_bytes), manifest_bytes),
                                 "storing manifest");

  auto chains = chain_ids(diff_ids);
  std::vector<Digest> pinned{manifest_digest};
  int64_t size = 0;
  for (size_t i = 0; i < chains.size(); ++i) {
    TRYV(unpack(manifest.layers[i], diff_ids[i], chains[i].str(), i ? chains[i - 1].str() : ""));
    pinned.push_back(manifest.layers[i].digest);
    if (auto u = snapshots_->usage(chains[i].str())) size += u->bytes;
  }
  auto record = TRY(make_record(config_bytes, config, pinned, size, std::move(parent)));
  TRY_CTX(metadata_.add_image(record, normalized), "recording image " + id.str());
  return load(id.str());
}

Result<ImageInfo> ImageService::load(const std::string& id) {
  auto record = TRY(metadata_.get(id));
  ImageInfo out;
  out.id = id;
  auto digest = TRY(Digest::parse(id));
  out.config_bytes = TRY_CTX(content_.read(digest), "reading config of image " + id);
  out.config = TRY(parse_image_config(out.config_bytes));
  std::vector<content::BlobInfo> pinned;
  for (const auto& c : record.content)
    if (auto d = Digest::parse(c))
      if (auto bi = content_.info(*d)) pinned.push_back(*bi);
  bool found = false;
  for (const auto& d : manifest_candidates(std::move(pinned), digest, kMaxJsonBlob)) {
    auto bytes = content_.read(d);
    if (!bytes) continue;
    auto m = parse_manifest(*bytes);
    if (m && m->config.digest == digest) {
      out.manifest_digest = d;
      out.manifest_bytes = std::move(*bytes);
      out.manifest = std::move(*m);
      found = true;
      break;
    }
  }
  if (!found) return fail(Errc::NotFound, "image " + id + " has no manifest in the content store");
  out.refs = TRY(metadata_.refs_of(id));
  return out;
}

Result<ImageInfo> ImageService::inspect(std::string_view ref) {
  return load(TRY(resolve(metadata_, ref)));
}

Result<std::vector<snapshot::Mount>> ImageService::prepare_rootfs(std::string_view ref,
                                                                  const std::string& key) {
  auto id = TRY(resolve(metadata_, ref));
  auto record = TRY(metadata_.get(id));
  std::string parent = record.layers.empty() ? "" : record.layers.back().chain_id;
  return snapshots_->prepare(key, parent);
}

Result<std::vector<metadata::DeleteItem>> ImageService::remove(std::string_view ref, bool force) {
  auto id = TRY(resolve(metadata_, ref));
  auto record = TRY(metadata_.get(id));
  auto items = TRY(image::remove(metadata_, ref, force));
  bool deleted = false;
  for (const auto& it : items)
    if (it.kind == metadata::DeleteItem::Kind::Deleted && it.value == id) deleted = true;
  if (!deleted) return items;

  // Snapshots and blobs no remaining image uses. Best effort: a container's
  // snapshot on top keeps a layer (Conflict), and gc sweeps what is left.
  std::set<std::string> chains;
  for (const auto& s : TRY(metadata_.list()))
    for (const auto& l : s.image.layers) chains.insert(l.chain_id);
  for (auto it = record.layers.rbegin(); it != record.layers.rend(); ++it) {
    if (chains.contains(it->chain_id)) break;  // and so are all below it
    if (!snapshots_->remove(it->chain_id)) break;
  }
  auto referenced = TRY(metadata_.referenced_content());
  record.content.push_back(id);
  for (const auto& c : record.content) {
    if (referenced.contains(c)) continue;
    if (auto d = Digest::parse(c)) (void)content_.remove(*d);
  }
  return items;
}

}  // namespace berth::image
