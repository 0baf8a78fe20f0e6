#include "imagediff/registry_source.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "base/unique_fd.h"
#include "image/media_types.h"
#include "image/reference.h"

namespace berth::imagediff {
namespace {

constexpr size_t kMaxConfigBytes = 8 << 20;
constexpr std::string_view kSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";
constexpr std::string_view kSchema1Plain = "application/vnd.docker.distribution.manifest.v1+json";

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the reader stopped: the transfer is cancelled
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Result<std::string> fetch_config(registry::RepositoryClient& client, const image::Descriptor& d) {
  if (d.size < 0 || static_cast<size_t>(d.size) > kMaxConfigBytes)
    return fail(Errc::InvalidArgument, "image config " + d.digest.str() + " is too large (" + std::to_string(d.size) + " bytes)");
  std::string bytes;
  registry::BodySink sink = [&](std::string_view chunk) {
    if (bytes.size() + chunk.size() > kMaxConfigBytes) return false;
    bytes.append(chunk);
    return true;
  };
  TRYV(client.blob(d.digest, 0, sink));
  if (content::sha256(bytes) != d.digest)
    return fail(Errc::InvalidArgument, "image config verification failed for digest " + d.digest.str());
  return bytes;
}

// The blob as the download thread hands it over through a socket pair; its
// end is the download's end, and the download's error is the reader's.
class DownloadReader final : public layer::ByteSource {
 public:
  DownloadReader(int fd, std::thread& download, Result<void>& result) : fd_(fd), download_(download), result_(result) {}
  Result<size_t> read(char* buf, size_t cap) override {
    for (;;) {
      ssize_t n = ::read(fd_, buf, cap);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("reading a layer as it downloads");
      if (n == 0) {
        if (download_.joinable()) download_.join();
        if (!result_) return std::unexpected(result_.error());
      }
      return static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  std::thread& download_;
  Result<void>& result_;
};

}  // namespace

Result<std::unique_ptr<RegistrySource>> RegistrySource::open(const std::string& input, const std::string& reference,
                                                             const RegistryAccess& access) {
  auto ref = TRY(image::Reference::parse(reference));
  std::unique_ptr<RegistrySource> s(new RegistrySource());
  s->client_ = std::make_unique<registry::RepositoryClient>(
      *access.http, TRY(registry::endpoints_for(ref.domain(), access.endpoints)), ref.domain(), ref.path(), access.auth);
  auto& client = *s->client_;
  std::string display = ref.familiar();
  auto top = TRY(client.manifest(ref.has_digest() ? ref.digest() : ref.tag(), display));
  if (top.media_type == kSchema1 || top.media_type == kSchema1Plain)
    return fail(Errc::Unsupported, "image " + display + " has a Docker schema 1 manifest, which berth does not read");
  auto chosen = top;
  if (image::media::is_index(top.media_type)) {
    auto index = TRY_CTX(image::parse_index(top.bytes), "parsing the index of " + display);
    auto entry = TRY(registry::select_manifest(index, access.platform.value_or(registry::host_platform())));
    chosen = TRY(client.manifest(entry.digest.str(), display));
  }
  if (!image::media::is_manifest(chosen.media_type))
    return fail(Errc::Unsupported, "image " + display + " has a manifest of media type \"" + chosen.media_type +
                                       "\", which is not an image");
  auto manifest = TRY_CTX(image::parse_manifest(chosen.bytes), "parsing the manifest of " + display);
  SourceImage& img = s->image_;
  img.input = input;
  img.kind = "remote";
  img.name = display;
  img.id = manifest.config.digest.str();
  img.config_bytes = TRY(fetch_config(client, manifest.config));
  img.config = TRY_CTX(image::parse_image_config(img.config_bytes), "parsing the config of " + display);
  const auto& diff_ids = img.config.rootfs ? img.config.rootfs->diff_ids : std::vector<content::Digest>{};
  if (diff_ids.size() != manifest.layers.size())
    return fail(Errc::InvalidArgument, "image " + display + ": its manifest has " + std::to_string(manifest.layers.size()) +
                                           " layers but its config lists " + std::to_string(diff_ids.size()));
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    const auto& l = manifest.layers[i];
    if (!image::media::is_layer(l.media_type))
      return fail(Errc::Unsupported, "layer " + l.digest.str() + " of " + display + " has media type \"" +
                                         l.media_type + "\", which berth does not read");
    img.layers.push_back({diff_ids[i], l.digest, l.size, l.media_type});
  }
  return s;
}

Result<void> RegistrySource::read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) {
  for (size_t i : wanted) {
    if (i >= image_.layers.size()) return fail(Errc::Internal, "layer index out of range");
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
    UniqueFd reader(sv[0]), writer(sv[1]);
    Result<void> downloaded;
    content::Digest digest = *image_.layers[i].blob;
    std::thread download([&, digest] {
      registry::BodySink sink = [&](std::string_view chunk) { return send_all(writer.get(), chunk); };
      downloaded = client_->blob(digest, 0, sink);
      writer.reset();  // the reader's end of the blob
    });
    DownloadReader bytes(reader.get(), download, downloaded);
    auto r = fn(i, bytes);
    reader.reset();  // a download the reader left stops at its next chunk
    if (download.joinable()) download.join();
    TRYV(std::move(r));
    TRYV_CTX(std::move(downloaded), "layer " + std::to_string(i + 1) + " of " + image_.name);
  }
  return {};
}

}  // namespace berth::imagediff
