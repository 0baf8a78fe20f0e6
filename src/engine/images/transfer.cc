// Import, load and save. Bodies are spooled to an unlinked temp file in the
// image root before the image lock is taken (the import itself then reads a
// local file at disk speed), and saves are written to one under the lock and
// streamed from it after, so no client's pace ever holds the lock.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "engine/images/image_backend.h"
#include "image/changes.h"
#include "image/docker_archive.h"
#include "image/lookup.h"
#include "image/reference.h"

namespace berth::engine {
namespace {

// The reference an import is tagged with ("" when untagged), dockerd's rules.
Result<std::string> import_reference(const ImageBackend::ImportOptions& o) {
  if (o.repo.empty()) return std::string();
  auto ref = TRY(image::Reference::parse_named(o.repo));
  if (ref.has_digest()) return fail(Errc::InvalidArgument, "cannot import digest reference");
  if (!o.tag.empty()) {
    if (!image::valid_tag(o.tag)) return fail(Errc::InvalidArgument, "invalid tag format");
    ref = ref.with_tag(o.tag);
  } else if (!ref.has_tag()) {
    ref = ref.with_tag(image::kDefaultTag);
  }
  return ref.str();
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

Result<void> rewind(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return fail_errno("rewinding temp file");
  return {};
}

// Copies the whole body to a temp file and rewinds it.
Result<UniqueFd> spool(Result<UniqueFd> file, const BodyReader& body,
                              int64_t total, const ImageBackend::Progress& progress) {
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
  TRYV(rewind(fd.get()));
  return fd;
}

}  // namespace

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

Result<void> ImageBackend::check_import(const ImportOptions& options) {
  TRY(import_reference(options));
  image::ContainerConfig scratch;
  TRYV(image::apply_changes(scratch, options.changes));
  return {};
}

Result<std::string> ImageBackend::import_image(const BodyReader& body, const ImportOptions& options) {
  std::string ref = TRY(import_reference(options));
  image::ImportOptions io;
  io.changes = options.changes;
  io.message = options.message;
  auto fd = TRY(spool(temp_file(), body, -1, {}));
  image::ImageInfo info;
  std::map<std::string, std::string> labels;
  {
    std::lock_guard lk(mu_);
    info = TRY_CTX(svc_.import_rootfs(fd.get(), ref, io), "importing image");
    labels = labels_of(info.id).value_or(std::map<std::string, std::string>{});
  }
  if (!ref.empty()) publish("tag", info.id, image::familiar(ref), labels);
  publish("import", info.id, info.id, labels);
  return info.id;
}

Result<std::vector<std::string>> ImageBackend::load(const BodyReader& body, int64_t content_length,
                                                    const Progress& progress) {
  auto fd = TRY(spool(temp_file(), body, content_length, progress));
  std::vector<image::ImageInfo> loaded;
  {
    std::lock_guard lk(mu_);
    loaded = TRY_CTX(image::import_docker_archive(svc_, fd.get()), "loading images");
  }
  // An image listed once per tag in the archive is reported once, with the
  // references it has after the whole load.
  std::vector<image::ImageInfo> unique;
  for (auto& info : loaded) {
    auto same = std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.id == info.id; });
    if (same != unique.end())
      *same = std::move(info);
    else
      unique.push_back(std::move(info));
  }
  std::vector<std::string> lines;
  for (const auto& info : unique) {
    bool tagged = false;
    for (const auto& r : info.refs) {
      if (metadata::is_digest_ref(r)) continue;
      lines.push_back("Loaded image: " + image::familiar(r) + "\n");
      tagged = true;
    }
    if (!tagged) lines.push_back("Loaded image ID: " + info.id + "\n");
    publish("load", info.id, info.id);
  }
  return lines;
}

Result<ImageBackend::Saved> ImageBackend::save(const std::vector<std::string>& names) {
  if (names.empty()) return fail(Errc::InvalidArgument, "no images to save: give at least one name");
  Saved out;
  std::vector<std::string> ids;
  {
    std::lock_guard lk(mu_);
    // What to export, as the exporter takes it: a reference when the name
    // was one (it becomes a RepoTag), else the full ID. A bare repository
    // name means every tag of it, as in dockerd.
    std::vector<std::string> targets;
    auto all = TRY(svc_.metadata().list());
    for (const auto& n : names) {
      auto named = image::Reference::parse_named(n);
      if (named && !named->has_tag() && !named->has_digest()) {
        size_t before = targets.size();
        for (const auto& s : all)
          for (const auto& r : s.refs)
            if (!metadata::is_digest_ref(r) && metadata::repository_of(r) == named->name()) {
              targets.push_back(r);
              ids.push_back(s.image.id);
            }
        if (targets.size() > before) continue;
      }
      auto loc = TRY(locate(n));  // "No such image: X" before any work
      targets.push_back(loc.ref.empty() || metadata::is_digest_ref(loc.ref) ? loc.id : loc.ref);
      ids.push_back(loc.id);
    }
    out.fd = TRY(temp_file());
    TRYV_CTX(image::export_docker_archive(svc_, targets, out.fd.get()), "saving images");
  }
  off_t end = ::lseek(out.fd.get(), 0, SEEK_END);
  if (end < 0) return fail_errno("measuring the saved archive");
  out.size = static_cast<uint64_t>(end);
  TRYV(rewind(out.fd.get()));
  std::set<std::string> published;
  for (const auto& id : ids)
    if (published.insert(id).second) publish("save", id, id);
  return out;
}

}  // namespace berth::engine
