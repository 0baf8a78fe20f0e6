#include "registry/puller.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "image/media_types.h"
#include "image/reference.h"
#include "registry/layer_downloads.h"
#include "registry/reporter.h"

namespace berth::registry {
namespace {

using content::Digest;
using image::Descriptor;

constexpr size_t kMaxConfigBytes = 8 << 20;
constexpr std::string_view kSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";
constexpr std::string_view kSchema1Plain = "application/vnd.docker.distribution.manifest.v1+json";

// A layer's bytes with Docker's "Extracting" progress: shown once the
// layer has downloaded (Docker's order: its bar reads Download complete
// first), counted in the compressed bytes the unpacker has taken.
class ExtractProgress final : public layer::ByteSource {
 public:
  ExtractProgress(std::unique_ptr<layer::ByteSource> inner, std::function<bool()> downloaded, Reporter& report,
                  std::string id, uint64_t total)
      : inner_(std::move(inner)), downloaded_(std::move(downloaded)), report_(report), id_(std::move(id)),
        total_(total), step_(std::max<uint64_t>(total / 100, 256 << 10)) {}

  Result<size_t> read(char* buf, size_t cap) override {
    size_t n = TRY(inner_->read(buf, cap));
    read_ += n;
    bool end = n == 0;
    if ((end || read_ - shown_ >= step_) && (end || downloaded_())) {
      shown_ = read_;
      report_.bytes("Extracting", id_, read_, std::max(total_, read_));
    }
    return n;
  }

 private:
  std::unique_ptr<layer::ByteSource> inner_;
  std::function<bool()> downloaded_;
  Reporter& report_;
  std::string id_;
  uint64_t total_, step_, read_ = 0, shown_ = 0;
};

Result<std::string> fetch_config(RepositoryClient& client, content::Store& store, const Descriptor& d) {
  if (store.exists(d.digest)) return store.read(d.digest);
  if (d.size < 0 || static_cast<size_t>(d.size) > kMaxConfigBytes)
    return fail(Errc::InvalidArgument, "image config " + d.digest.str() + " is too large (" + std::to_string(d.size) + " bytes)");
  std::string bytes;
  bool too_large = false;
  BodySink sink = [&](std::string_view chunk) {
    too_large = bytes.size() + chunk.size() > kMaxConfigBytes;
    if (!too_large) bytes.append(chunk);
    return !too_large;
  };
  auto r = client.blob(d.digest, 0, sink);
  if (too_large)
    return fail(Errc::InvalidArgument, "image config " + d.digest.str() + " is larger than its " +
                                           std::to_string(d.size) + " bytes (or 8 MiB): refused");
  TRYV(std::move(r));
  if (content::sha256(bytes) != d.digest)
    return fail(Errc::InvalidArgument, "image config verification failed for digest " + d.digest.str());
  return bytes;
}

// One tag or digest: everything but the closing "Status:" line.
Result<PullResult> pull_tag(RepositoryClient& client, image::ImageService& images, const PullOptions& o,
                            const image::Reference& ref, Reporter& report) {
  PullResult out;
  out.familiar = ref.familiar();
  std::string display = out.familiar;
  std::string wanted = ref.has_digest() ? ref.digest() : ref.tag();
  auto top = TRY(client.manifest(wanted, display));
  report.status("Pulling from " + ref.path(), wanted);
  if (top.media_type == kSchema1 || top.media_type == kSchema1Plain)
    return fail(Errc::Unsupported, "image " + display + " has a Docker schema 1 manifest, which berth does not pull "
                                   "(Docker deprecated it; push it again with a current client)");
  out.digest = top.digest.str();
  FetchedManifest chosen = top;
  if (image::media::is_index(top.media_type)) {
    auto index = TRY_CTX(image::parse_index(top.bytes), "parsing the index of " + display);
    PlatformSpec want = o.platform.value_or(host_platform());
    auto entry = TRY(select_manifest(index, want));
    chosen = TRY(client.manifest(entry.digest.str(), display));
  }
  if (!image::media::is_manifest(chosen.media_type))
    return fail(Errc::Unsupported, "image " + display + " has a manifest of media type \"" + chosen.media_type +
                                       "\", which is not an image");
  auto manifest = TRY_CTX(image::parse_manifest(chosen.bytes), "parsing the manifest of " + display);
  std::string config_bytes = TRY(fetch_config(client, images.content(), manifest.config));
  auto config = TRY_CTX(image::parse_image_config(config_bytes), "parsing the config of " + display);
  std::vector<Digest> diff_ids = config.rootfs ? config.rootfs->diff_ids : std::vector<Digest>{};
  if (diff_ids.size() != manifest.layers.size())
    return fail(Errc::InvalidArgument, "image " + display + ": its manifest has " + std::to_string(manifest.layers.size()) +
                                           " layers but its config lists " + std::to_string(diff_ids.size()));
  for (const auto& l : manifest.layers)
    if (!image::media::is_layer(l.media_type))
      return fail(Errc::Unsupported, "layer " + l.digest.str() + " of " + display + " has media type \"" + l.media_type +
                                         "\", which berth does not unpack");

  out.image_id = manifest.config.digest.str();
  std::unique_lock<std::mutex> lock;
  if (o.image_lock) lock = std::unique_lock(*o.image_lock);
  // What the reference names now: an ID from the metadata, no blob read.
  auto current = images.metadata().image_for_ref(ref.str());
  bool had_image = images.metadata().get(out.image_id).has_value();

  auto chains = image::chain_ids(diff_ids);
  std::vector<Descriptor> to_fetch;
  // An image the store has whole needs no layer at all (dockerd says nothing of them either).
  bool complete = had_image;
  for (size_t i = 0; complete && i < manifest.layers.size(); ++i)
    complete = images.content().exists(manifest.layers[i].digest) && images.has_layer(chains[i]);
  for (size_t i = 0; !complete && i < manifest.layers.size(); ++i) {
    const auto& l = manifest.layers[i];
    // The store keeps every image's blobs (save and push read them), so a
    // layer unpacked from a differently compressed blob is still fetched.
    bool have_blob = images.content().exists(l.digest);
    if (have_blob && images.has_layer(chains[i])) {
      report.status("Already exists", short_id(l.digest.str()), true);
      continue;
    }
    if (have_blob) {
      report.status("Pulling fs layer", short_id(l.digest.str()), true);
      report.status("Download complete", short_id(l.digest.str()), true);
      continue;
    }
    bool duplicate = false;
    for (const auto& f : to_fetch) duplicate |= f.digest == l.digest;
    if (!duplicate) {
      report.status("Pulling fs layer", short_id(l.digest.str()), true);
      to_fetch.push_back(l);
    }
  }
  if (lock) lock.unlock();
  for (size_t i = static_cast<size_t>(std::max(o.max_concurrent_downloads, 1)); i < to_fetch.size(); ++i)
    report.status("Waiting", short_id(to_fetch[i].digest.str()), true);
  bool fetched_any = !to_fetch.empty();
  {
    // Downloads run on their threads; this one unpacks each layer in order
    // as its bytes arrive. Only the snapshotter is touched (it locks itself),
    // so the image lock stays free.
    LayerDownloads downloads(client, images.content(), std::move(to_fetch), o.max_concurrent_downloads,
                             o.max_attempts, report);
    for (size_t i = 0; !complete && i < manifest.layers.size(); ++i) {
      const auto& l = manifest.layers[i];
      std::string id = short_id(l.digest.str());
      bool downloading = !downloads.complete(l.digest);
      if (images.has_layer(chains[i])) continue;  // another pull unpacked it, or only its blob was missing
      std::unique_ptr<layer::ByteSource> bytes;
      if (downloading) {
        bytes = TRY(downloads.open(l.digest));
      } else {
        bytes = std::make_unique<layer::FileSource>(TRY(images.content().open_blob(l.digest)));
      }
      ExtractProgress source(std::move(bytes), [&] { return downloads.complete(l.digest); }, report, id,
                             l.size > 0 ? static_cast<uint64_t>(l.size) : 0);
      auto unpacked = images.unpack_stream(source, l, diff_ids[i], chains[i], i ? chains[i - 1].str() : "");
      if (!unpacked) {
        // Corrupt bytes usually break the unpack before the download ends; the
        // download's digest check then says what is wrong better than the
        // unpack can, so the downloads finish (this is a failure path) first.
        TRYV(downloads.wait());
        return fail(unpacked.error().code, "storing image " + display + ": " + unpacked.error().message);
      }
      report.status("Pull complete", id, true);
    }
    TRYV(downloads.wait());
  }
  if (o.image_lock) lock.lock();

  std::vector<std::string> refs{ref.name() + "@" + out.digest};
  if (ref.has_tag()) refs.push_back(ref.without_digest().str());
  // Every layer is unpacked by now (unless an rmi took one meanwhile: then it unpacks again).
  TRY_CTX(images.commit_image(config_bytes, chosen.bytes, refs), "storing image " + display);

  out.up_to_date = had_image && current && *current == out.image_id && !fetched_any;
  report.status("Digest: " + out.digest);
  return out;
}

}  // namespace

Result<PullResult> pull(Http& http, image::ImageService& images, const PullOptions& o, const ProgressSink& progress) {
  auto ref = TRY(o.all_tags ? image::Reference::parse_named(o.reference) : image::Reference::parse(o.reference));
  if (o.all_tags && (ref.has_tag() || ref.has_digest()))
    return fail(Errc::InvalidArgument, "tag can't be used with --all-tags/-a");
  Reporter report(progress);
  RepositoryClient client(http, TRY(endpoints_for(ref.domain(), o.endpoints)), ref.domain(), ref.path(), o.auth);
  PullResult out;
  if (!o.all_tags) {
    out = TRY(pull_tag(client, images, o, ref, report));
  } else {
    // Docker's pull -a: every tag the registry lists, in its order; one status for them all.
    out.familiar = ref.familiar_name();
    out.up_to_date = true;
    for (const auto& tag : TRY(client.tags())) {
      if (!image::valid_tag(tag))
        return fail(Errc::InvalidArgument, "the registry lists an invalid tag for " + ref.familiar_name() + ": \"" + tag + "\"");
      auto one = TRY(pull_tag(client, images, o, ref.with_tag(tag), report));
      out.up_to_date = out.up_to_date && one.up_to_date;
      out.image_id = one.image_id;
      out.digest = one.digest;
      out.tags.push_back(tag);
    }
  }
  report.status(std::string(out.up_to_date ? "Status: Image is up to date for " : "Status: Downloaded newer image for ") +
                out.familiar);
  return out;
}

}  // namespace berth::registry
