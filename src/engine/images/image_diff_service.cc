#include "engine/images/image_diff_service.h"

#include <algorithm>

#include "image/reference.h"
#include "imagediff/archive_source.h"
#include "imagediff/image_diff.h"
#include "imagediff/input.h"
#include "imagediff/registry_source.h"
#include "imagediff/store_source.h"
#include "registry/platform.h"

namespace berth::engine {

Result<std::unique_ptr<imagediff::ImageSource>> ImageDiffService::open(const std::string& input,
                                                                       const std::string& auth,
                                                                       const std::string& platform) {
  auto in = TRY(imagediff::parse_input(input));
  std::optional<registry::PlatformSpec> want;
  if (!platform.empty()) want = TRY(registry::parse_platform(platform));
  switch (in.kind) {
    case imagediff::InputKind::Archive:
      return TRY(imagediff::ArchiveSource::open(input, in.value, want));
    case imagediff::InputKind::Remote: {
      imagediff::RegistryAccess access;
      access.http = &http_;
      access.endpoints = endpoints_;
      access.auth = TRY(registry::decode_registry_auth(auth));
      access.platform = want;
      return TRY(imagediff::RegistrySource::open(input, in.value, access));
    }
    case imagediff::InputKind::Daemon: {
      auto info = TRY(images_.find(in.value));
      // Shown as the user named it: "busybox:latest" for "busybox", an ID as given.
      std::string name = in.value;
      if (auto ref = image::Reference::parse(in.value);
          ref && std::find(info.refs.begin(), info.refs.end(), ref->str()) != info.refs.end())
        name = ref->familiar();
      std::lock_guard lk(image_mu_);  // the blobs are opened while no rmi runs
      return TRY(imagediff::StoreSource::open(input, name, info, service_.content()));
    }
  }
  return fail(Errc::Internal, "unknown image diff input");
}

Result<nlohmann::ordered_json> ImageDiffService::image_diff(const backend::ImageDiffRequest& request) {
  auto types = TRY(imagediff::parse_diff_types(request.types));
  auto a = TRY(open(request.a, request.auth_a, request.platform));
  auto b = TRY(open(request.b, request.auth_b, request.platform));
  auto result = TRY(imagediff::diff_images(*a, *b, types));
  return imagediff::to_json(a->image(), b->image(), result);
}

}  // namespace berth::engine
