// `POST /images/create?fromSrc=-` (docker import): the body is spooled to a temp
// file before the image lock is taken, then imported at disk speed.
#include "engine/images/image_backend.h"

#include "engine/images/internal.h"
#include "image/changes.h"
#include "image/lookup.h"
#include "image/reference.h"

namespace berth::engine {

using images::spool;

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

}  // namespace

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

}  // namespace berth::engine
