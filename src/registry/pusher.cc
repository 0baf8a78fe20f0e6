#include "registry/pusher.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "image/media_types.h"
#include "image/reference.h"
#include "metadata/image_store.h"
#include "registry/gzip_digests.h"
#include "registry/gzip_layer.h"
#include "registry/reporter.h"

namespace berth::registry {
namespace {

using content::Digest;
using image::Descriptor;

struct Layer {
  Descriptor stored;           // as the image has it
  Digest diff_id = content::sha256({});
  std::string id;              // what the progress shows: the diff ID's first 12
  Descriptor pushed;           // as it goes up (compressed when stored plain)
};

// Where a blob goes up: none when the repository has it already (HEAD) or
// mounted it from another repository of the registry; else the upload
// session. Without a digest (a gzip not made yet) it can only start one.
Result<std::optional<std::string>> open_upload(RepositoryClient& client, const Digest* digest,
                                               const std::vector<std::string>& mount_from, const std::string& id,
                                               Reporter* report) {
  if (!digest) return std::optional<std::string>(TRY(client.start_upload(content::sha256({}))).location);
  if (TRY(client.has_blob(*digest))) {
    if (report) report->status("Layer already exists", id, true);
    return std::optional<std::string>();
  }
  for (const auto& from : mount_from) {
    auto mount = client.start_upload(*digest, from);
    // No pull access to the source (the token service would not grant it): upload instead.
    if (!mount && mount.error().code == Errc::PermissionDenied) break;
    auto start = TRY(std::move(mount));
    if (start.mounted) {
      if (report) report->status("Mounted from " + from, id, true);
      return std::optional<std::string>();
    }
    return std::optional<std::string>(start.location);  // not there: the registry opened an upload instead
  }
  return std::optional<std::string>(TRY(client.start_upload(*digest)).location);
}

// "Pushing" with its bar, at most every 1% (and 256 KiB) and at the end.
class PushProgress {
 public:
  PushProgress(Reporter* report, std::string id, uint64_t total)
      : report_(report), id_(std::move(id)), total_(total), step_(std::max<uint64_t>(total / 100, 256 << 10)) {}
  void at(uint64_t done) {
    if (report_ && (done - shown_ >= step_ || (done == total_ && shown_ != done))) {
      shown_ = done;
      report_->bytes("Pushing", id_, done, total_);
    }
  }
  void restart() { shown_ = 0; }

 private:
  Reporter* report_;
  std::string id_;
  uint64_t total_, step_, shown_ = 0;
};

ssize_t read_fd(int fd, char* buf, size_t len) {
  ssize_t n;
  do {
    n = ::read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n;
}

// Uploads one blob from the content store as it is (after a HEAD and, if it can, a mount).
Result<void> upload_blob(RepositoryClient& client, content::Store& store, const Descriptor& blob,
                         const std::vector<std::string>& mount_from, const std::string& id, Reporter* report) {
  auto location = TRY(open_upload(client, &blob.digest, mount_from, id, report));
  if (!location) return {};
  auto fd = TRY(store.open_blob(blob.digest));
  uint64_t total = static_cast<uint64_t>(blob.size), sent = 0;
  PushProgress shown(report, id, total);
  auto source = [&](char* buf, size_t len) -> ssize_t {
    ssize_t n = read_fd(fd.get(), buf, len);
    if (n > 0) shown.at(sent += static_cast<uint64_t>(n));
    return n;
  };
  // After a refused (expired) token the PUT is sent again from the first byte.
  auto rewind = [&] {
    sent = 0;
    shown.restart();
    return ::lseek(fd.get(), 0, SEEK_SET) == 0;
  };
  TRYV(client.finish_upload(*location, blob.digest, total, source, rewind));
  if (report) report->status("Pushed", id, true);
  return {};
}

// Uploads a plain layer as gzip, compressed while it goes up (one chunked
// PATCH; the digest, known at the end, in the closing PUT). A gzip pushed
// before (gzip_digests) is asked for and mounted first. Returns what went up.
Result<CompressedBlob> upload_gzip(RepositoryClient& client, content::Store& store, const GzipDigests& known,
                                   const Descriptor& plain, const std::vector<std::string>& mount_from,
                                   unsigned threads, const std::string& id, Reporter* report) {
  auto before = known.lookup(plain.digest);
  auto location = TRY(open_upload(client, before ? &before->digest : nullptr, mount_from, id, report));
  if (!location) return *before;
  std::string what = "compressing layer " + plain.digest.str();
  auto fd = TRY_CTX(store.open_blob(plain.digest), what);
  GzipReader gz([&](char* buf, size_t len) { return read_fd(fd.get(), buf, len); }, {.threads = threads});
  auto hasher = TRY(content::Hasher::create());
  uint64_t out_size = 0;
  std::optional<Error> gz_error;
  PushProgress shown(report, id, static_cast<uint64_t>(std::max<int64_t>(plain.size, 0)));
  auto source = [&](char* buf, size_t len) -> ssize_t {
    auto n = gz.read(buf, len);
    if (!n) {
      gz_error = n.error();
      return -1;
    }
    hasher.update(buf, *n);
    out_size += *n;
    shown.at(gz.consumed());
    return static_cast<ssize_t>(*n);
  };
  auto next = client.upload_chunked(*location, source);
  if (gz_error) return fail(gz_error->code, what + ": " + gz_error->message);
  CompressedBlob up{hasher.finish(), out_size};
  TRYV(client.finish_upload(TRY(std::move(next)), up.digest, 0, {}));
  known.record(plain.digest, up);
  if (report) report->status("Pushed", id, true);
  return up;
}

std::string gzip_media_type(bool oci) {
  return std::string(oci ? image::media::kOciLayerGzip : image::media::kDockerLayerGzip);
}

// One tag: its layers (5 at a time), its config, its manifest.
Result<PushResult> push_tag(RepositoryClient& client, image::ImageService& images, const PushOptions& o,
                            const image::Reference& ref, Reporter& report) {
  std::unique_lock<std::mutex> lock;
  if (o.image_lock) lock = std::unique_lock(*o.image_lock);
  auto info = images.inspect(ref.str());
  if (!info) {
    if (info.error().code == Errc::NotFound)
      return fail(Errc::NotFound, "An image does not exist locally with the tag: " + ref.familiar_name());
    return std::unexpected(info.error());
  }
  // Repositories of the same registry this image is known in: candidates to mount from.
  std::vector<std::string> mount_from;
  for (const auto& r : info->refs) {
    auto other = image::Reference::parse(r);
    if (other && other->domain() == ref.domain() && other->path() != ref.path() &&
        std::find(mount_from.begin(), mount_from.end(), other->path()) == mount_from.end())
      mount_from.push_back(other->path());
  }
  if (lock) lock.unlock();

  bool oci = info->manifest.media_type == image::media::kOciManifest ||
             (info->manifest.media_type.empty() && info->manifest.config.media_type == image::media::kOciConfig);
  std::vector<Layer> layers;
  const auto& diff_ids = info->config.rootfs ? info->config.rootfs->diff_ids : std::vector<Digest>{};
  for (size_t i = 0; i < info->manifest.layers.size(); ++i) {
    Layer l;
    l.stored = info->manifest.layers[i];
    l.diff_id = i < diff_ids.size() ? diff_ids[i] : l.stored.digest;
    l.id = short_id(l.diff_id.str());
    l.pushed = l.stored;
    layers.push_back(std::move(l));
  }
  // Docker lists the top layer first.
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) report.status("Preparing", it->id, true);
  int parallel = std::max(o.max_concurrent_uploads, 1);
  for (size_t i = static_cast<size_t>(parallel); i < layers.size(); ++i) report.status("Waiting", layers[layers.size() - 1 - i].id, true);

  GzipDigests known = GzipDigests::under(images.root());
  std::mutex mu;
  std::deque<Layer*> queue;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) queue.push_back(&*it);
  std::optional<Error> first;
  auto worker = [&] {
    while (true) {
      Layer* l;
      {
        std::lock_guard lk(mu);
        if (queue.empty() || first) return;
        l = queue.front();
        queue.pop_front();
      }
      Result<void> r;
      if (image::media::layer_compression(l->stored.media_type) == image::media::Compression::None) {
        // A plain tar (imported, committed): gzip, as Docker pushes it.
        auto z = upload_gzip(client, images.content(), known, l->stored, mount_from, o.compression_threads, l->id, &report);
        if (z) {
          l->pushed.digest = z->digest;
          l->pushed.size = static_cast<int64_t>(z->size);
          l->pushed.media_type = gzip_media_type(oci || l->stored.media_type.rfind("application/vnd.oci", 0) == 0);
        } else {
          r = std::unexpected(z.error());
        }
      } else {
        r = upload_blob(client, images.content(), l->pushed, mount_from, l->id, &report);
      }
      if (!r) {
        std::lock_guard lk(mu);
        if (!first) first = r.error();
      }
    }
  };
  std::vector<std::thread> threads;
  size_t n = std::min<size_t>(layers.size(), static_cast<size_t>(parallel));
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first) return std::unexpected(*first);
  TRYV(upload_blob(client, images.content(), info->manifest.config, {}, "", nullptr));

  // The manifest: as stored when every layer went up as stored, else with the compressed ones.
  bool changed = false;
  for (const auto& l : layers) changed |= !(l.pushed == l.stored);
  std::string manifest_bytes = info->manifest_bytes;
  std::string media_type = info->manifest.media_type.empty() ? std::string(image::media::kOciManifest) : info->manifest.media_type;
  if (changed) {
    auto j = nlohmann::ordered_json::parse(info->manifest_bytes, nullptr, false);
    if (!j.is_object() || !j.contains("layers") || !j["layers"].is_array() || j["layers"].size() != layers.size())
      return fail(Errc::Internal, "the stored manifest of " + ref.familiar() + " cannot be rewritten");
    for (size_t i = 0; i < layers.size(); ++i) {
      auto& d = j["layers"][i];
      d["mediaType"] = layers[i].pushed.media_type;
      d["digest"] = layers[i].pushed.digest.str();
      d["size"] = layers[i].pushed.size;
    }
    if (!j.contains("mediaType")) j["mediaType"] = media_type;
    manifest_bytes = j.dump(3);
  }
  PushResult out;
  out.tag = ref.tag();
  out.digest = TRY(client.put_manifest(ref.tag(), media_type, manifest_bytes));
  out.size = manifest_bytes.size();
  if (lock.mutex()) lock.lock();
  // The push has happened; failing to remember its repo digest only costs a later mount.
  if (auto w = images.content().write(content::sha256(manifest_bytes), manifest_bytes); !w)
    log::warn("pushed {}, but storing its manifest failed: {}", ref.familiar(), w.error().str());
  if (auto t = images.metadata().tag(ref.name() + "@" + out.digest, info->id); !t)
    log::warn("pushed {}, but recording its repo digest failed: {}", ref.familiar(), t.error().str());
  if (lock.mutex()) lock.unlock();
  report.status(out.tag + ": digest: " + out.digest + " size: " + std::to_string(out.size));
  // What the docker CLI reads the digest from (dockerd's progress.Aux, one per tag).
  nlohmann::ordered_json aux = {{"Tag", out.tag}, {"Digest", out.digest}, {"Size", out.size}};
  report.aux(aux.dump());
  return out;
}

// The local tags of a repository, sorted (dockerd's ReferencesByName order).
Result<std::vector<image::Reference>> local_tags(image::ImageService& images, const image::Reference& repo,
                                                 std::mutex* image_lock) {
  std::unique_lock<std::mutex> lock;
  if (image_lock) lock = std::unique_lock(*image_lock);
  auto all = TRY(images.metadata().list());
  if (lock) lock.unlock();
  std::vector<std::string> names;
  for (const auto& image : all)
    for (const auto& r : image.refs)
      if (!metadata::is_digest_ref(r) && metadata::repository_of(r) == repo.name()) names.push_back(r);
  std::sort(names.begin(), names.end());
  std::vector<image::Reference> out;
  for (const auto& n : names)
    if (auto r = image::Reference::parse(n); r && r->has_tag()) out.push_back(*r);
  return out;
}

}  // namespace

Result<std::vector<PushResult>> push(Http& http, image::ImageService& images, const PushOptions& o,
                                     const ProgressSink& progress) {
  auto ref = TRY(o.all_tags ? image::Reference::parse_named(o.reference) : image::Reference::parse(o.reference));
  if (ref.has_digest()) return fail(Errc::InvalidArgument, "cannot push a digest reference (" + o.reference + "): push a tag");
  std::vector<image::Reference> tags{ref};
  if (o.all_tags) {
    if (ref.has_tag()) return fail(Errc::InvalidArgument, "tag can't be used with --all-tags/-a");
    tags = TRY(local_tags(images, ref, o.image_lock));
    if (tags.empty()) return fail(Errc::NotFound, "An image does not exist locally with the tag: " + ref.familiar_name());
  } else {
    // Before anything is streamed: the client gets its status (404) and Docker's words.
    std::unique_lock<std::mutex> lock;
    if (o.image_lock) lock = std::unique_lock(*o.image_lock);
    if (auto info = images.metadata().image_for_ref(ref.str()); !info && info.error().code == Errc::NotFound)
      return fail(Errc::NotFound, "An image does not exist locally with the tag: " + ref.familiar_name());
  }
  Reporter report(progress);
  report.status("The push refers to repository [" + ref.name() + "]");
  RepositoryClient client(http, TRY(endpoints_for(ref.domain(), o.endpoints)), ref.domain(), ref.path(), o.auth, "pull,push");
  std::vector<PushResult> out;
  for (const auto& tag : tags) out.push_back(TRY(push_tag(client, images, o, tag, report)));
  return out;
}

}  // namespace berth::registry
