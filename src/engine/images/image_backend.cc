// What every image verb shares: finding an image as Docker names it, its
// labels and graph driver data, the containers using it, events, and the
// temp files transfers spool through. Each verb is in its own file
// (image_list.cc, image_inspect.cc, ... image_save.cc).
#include "engine/images/image_backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "engine/images/internal.h"
#include "image/lookup.h"
#include "image/reference.h"
#include "snapshot/overlay.h"

namespace berth::engine {

using images::ojson;
using images::labels_from_config;
using images::parents_of;
using metadata::DeleteItem;

namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

Result<void> write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return fail_errno("writing the request body to a temp file");
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

}  // namespace

Result<ImageBackend::Located> ImageBackend::locate(std::string_view name) {
  auto& store = svc_.metadata();
  std::string_view hex = name.starts_with("sha256:") ? name.substr(7) : name;
  if (image::is_full_hex_id(hex)) {
    std::string id = "sha256:" + std::string(hex);
    if (store.get(id)) return Located{id, {}};
    return fail(Errc::NotFound, "No such image: " + id);
  }
  auto ref = image::Reference::parse(name);
  if (ref) {
    auto id = store.image_for_ref(ref->str());
    if (id) return Located{*id, ref->str()};
    if (id.error().code != Errc::NotFound) return std::unexpected(id.error());
  }
  if (is_hex(hex)) {
    auto id = store.image_for_id_prefix(name);
    if (id) return Located{*id, {}};
    // An ambiguous prefix is "no such image" to dockerd too.
    if (id.error().code != Errc::NotFound && id.error().code != Errc::Conflict) return std::unexpected(id.error());
  }
  if (!ref) return std::unexpected(ref.error());
  return fail(Errc::NotFound, "No such image: " + ref->familiar());
}

Result<image::ImageInfo> ImageBackend::find(std::string_view name) {
  std::lock_guard lk(mu_);
  auto loc = TRY(locate(name));
  return svc_.inspect(loc.id);
}

Result<std::map<std::string, std::string>> ImageBackend::labels_of(const std::string& image_id) {
  auto digest = TRY(content::Digest::parse(image_id));
  auto bytes = TRY_CTX(svc_.content().read(digest), "reading config of image " + image_id);
  return labels_from_config(bytes);
}

Result<ojson> ImageBackend::graph_driver(const metadata::ImageRecord& record) {
  auto* overlay = dynamic_cast<snapshot::OverlaySnapshotter*>(&svc_.snapshots());
  if (!overlay) return ojson{{"Data", nullptr}, {"Name", "vfs"}};
  if (record.layers.empty()) return ojson{{"Data", nullptr}, {"Name", "overlay2"}};
  auto top = TRY(overlay->stat(record.layers.back().chain_id));
  std::string lower;
  for (std::string parent = top.parent; !parent.empty();) {
    auto info = TRY(overlay->stat(parent));
    if (!lower.empty()) lower += ":";
    lower += overlay->dir_of(info.id) + "/fs";
    parent = info.parent;
  }
  ojson data = ojson::object();
  if (!lower.empty()) data["LowerDir"] = lower;
  data["UpperDir"] = overlay->dir_of(top.id) + "/fs";
  data["WorkDir"] = overlay->dir_of(top.id) + "/work";
  return ojson{{"Data", std::move(data)}, {"Name", "overlay2"}};
}

std::vector<std::string> ImageBackend::users_of(const std::string& image_id, bool running_only) {
  return containers_using_ ? containers_using_(image_id, running_only) : std::vector<std::string>{};
}

void ImageBackend::publish(const std::string& action, const std::string& id, const std::string& name,
                           const std::map<std::string, std::string>& labels) {
  Event e;
  e.type = "image";
  e.action = action;
  e.id = id;
  e.attributes = labels;
  if (!name.empty()) e.attributes["name"] = name;
  events_.publish(std::move(e));
}

void ImageBackend::publish_removal(const std::vector<DeleteItem>& items, const std::string& id,
                                   const std::map<std::string, std::string>& labels) {
  for (const auto& it : items) {
    if (it.kind == DeleteItem::Kind::Untagged)
      publish("untag", id, id, labels);
    else
      publish("delete", it.value, it.value);  // the image is gone: no labels, as dockerd
  }
}

Result<UniqueFd> ImageBackend::temp_file() {
  // Same filesystem as the content store, and gone when closed whatever happens.
  int fd = ::open(svc_.root().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return UniqueFd(fd);
  std::string path = svc_.root() + "/.spool-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return fail_errno("creating a temp file in " + svc_.root());
  ::unlink(path.c_str());
  return UniqueFd(fd);
}

namespace images {

std::map<std::string, std::string> labels_from_config(std::string_view config_bytes) {
  std::map<std::string, std::string> out;
  auto j = nlohmann::json::parse(config_bytes, nullptr, false);
  if (!j.is_object()) return out;
  auto c = j.find("config");
  if (c == j.end() || !c->is_object()) return out;
  auto l = c->find("Labels");
  if (l == c->end() || !l->is_object()) return out;
  for (const auto& [k, v] : l->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

// Image IDs that are some image's parent.
std::set<std::string> parents_of(const std::vector<metadata::ImageSummary>& all) {
  std::set<std::string> out;
  for (const auto& s : all)
    if (!s.image.parent.empty()) out.insert(s.image.parent);
  return out;
}

Result<void> rewind_fd(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return fail_errno("rewinding temp file");
  return {};
}

// Copies the whole body to a temp file and rewinds it.
Result<UniqueFd> spool(Result<UniqueFd> file, const BodyReader& body, int64_t total,
                       const ImageBackend::Progress& progress) {
  auto fd = TRY(std::move(file));
  std::string buf(1 << 20, '\0');
  uint64_t received = 0;
  for (;;) {
    size_t n = TRY_CTX(body(buf.data(), buf.size()), "reading the request body");
    if (n == 0) break;
    TRYV(write_all(fd.get(), buf.data(), n));
    received += n;
    if (progress) progress(received, total);
  }
  TRYV(rewind_fd(fd.get()));
  return fd;
}

}  // namespace images

}  // namespace berth::engine
