// `POST /images/{name}/tag`.
#include "engine/images/image_backend.h"

#include "engine/images/internal.h"
#include "image/reference.h"

namespace berth::engine {

Result<void> ImageBackend::tag(std::string_view name, std::string_view repo, std::string_view tag) {
  if (image::is_full_hex_id(repo))
    return fail(Errc::InvalidArgument,
                "invalid repository name (" + std::string(repo) + "), cannot specify 64-byte hexadecimal strings");
  auto ref = TRY(image::Reference::parse_named(repo));
  if (!tag.empty()) {
    if (!image::valid_tag(tag)) return fail(Errc::InvalidArgument, "invalid tag format");
    ref = ref.without_digest().with_tag(tag);
  } else if (ref.has_digest()) {
    return fail(Errc::InvalidArgument, "refusing to create a tag with a digest reference");
  } else if (!ref.has_tag()) {
    ref = ref.with_tag(image::kDefaultTag);
  }
  std::string id;
  std::map<std::string, std::string> labels;
  {
    std::lock_guard lk(mu_);
    id = TRY(locate(name)).id;
    TRYV_CTX(svc_.metadata().tag(ref.str(), id), "tagging image " + id + " as " + ref.familiar());
    labels = labels_of(id).value_or(std::map<std::string, std::string>{});
  }
  publish("tag", id, ref.familiar(), labels);
  return {};
}

}  // namespace berth::engine
