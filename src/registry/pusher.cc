#include "registry/pusher.h"

#include <unistd.h>

#include <deque>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "image/media_types.h"
#include "image/reference.h"
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

// Uploads one blob from the content store (after a HEAD and, if it can, a mount).
Result<void> upload_blob(RepositoryClient& client, content::Store& store, const Descriptor& blob,
                         const std::vector<std::string>& mount_from, const std::string& id, Reporter* report) {
  if (TRY(client.has_blob(blob.digest))) {
    if (report) report->status("Layer already exists", id, true);
    return {};
  }
  std::string location;
  for (const auto& from : mount_from) {
    auto mount = client.start_upload(blob.digest, from);
    // No pull access to the source (the token service would not grant it): upload instead.
    if (!mount && mount.error().code == Errc::PermissionDenied) break;
    auto start = TRY(std::move(mount));
    if (start.mounted) {
      if (report) report->status("Mounted from " + from, id, true);
      return {};
    }
    location = start.location;  // not there: the registry opened an upload instead
    break;
  }
  if (location.empty()) location = TRY(client.start_upload(blob.digest)).location;
  auto fd = TRY(store.open_blob(blob.digest));
  uint64_t total = static_cast<uint64_t>(blob.size), sent = 0, shown = 0;
  uint64_t step = std::max<uint64_t>(total / 100, 256 << 10);
  auto source = [&](char* buf, size_t len) -> ssize_t {
    ssize_t n;
    do {
      n = ::read(fd.get(), buf, len);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
      if (report && (sent - shown >= step || sent == total)) {
        shown = sent;
        report->bytes("Pushing", id, sent, total);
      }
    }
    return n;
  };
  auto rewind = [&] {
    sent = shown = 0;
    return ::lseek(fd.get(), 0, SEEK_SET) == 0;
  };
  TRYV(client.finish_upload(location, blob.digest, total, source, rewind));
  if (report) report->status("Pushed", id, true);
  return {};
}

std::string gzip_media_type(bool oci) {
  return std::string(oci ? image::media::kOciLayerGzip : image::media::kDockerLayerGzip);
}

}  // namespace

Result<PushResult> push(Http& http, image::ImageService& images, const PushOptions& o, const ProgressSink& progress) {
  auto ref = TRY(image::Reference::parse(o.reference));
  if (ref.has_digest()) return fail(Errc::InvalidArgument, "cannot push a digest reference (" + o.reference + "): push a tag");
  Reporter report(progress);
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

  report.status("The push refers to repository [" + ref.name() + "]");
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

  RepositoryClient client(http, endpoints_for(ref.domain(), o.endpoints), ref.domain(), ref.path(), o.auth, "pull,push");
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
        auto z = gzip_blob(images.content(), l->stored.digest);
        if (z) {
          l->pushed.digest = z->digest;
          l->pushed.size = static_cast<int64_t>(z->size);
          l->pushed.media_type = gzip_media_type(oci || l->stored.media_type.rfind("application/vnd.oci", 0) == 0);
          r = upload_blob(client, images.content(), l->pushed, mount_from, l->id, &report);
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
  return out;
}

}  // namespace berth::registry
