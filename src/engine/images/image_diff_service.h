// `POST /berth/v1/images/diff` in the engine: opens each input as an
// imagediff source (the store through the image backend's lookup, so "No
// such image: X" reads as Docker's; a registry through the daemon's registry
// configuration and the credentials the client sent; an archive file where
// it lies) and runs the comparison. Nothing is stored or unpacked.
#pragma once

#include <memory>
#include <mutex>

#include "backend/image_diff.h"
#include "engine/images/image_backend.h"
#include "image/service.h"
#include "imagediff/source.h"
#include "registry/client.h"
#include "registry/http.h"

namespace berth::engine {

class ImageDiffService : public backend::ImageDiffBackend {
 public:
  ImageDiffService(ImageBackend& images, image::ImageService& service, std::mutex& image_mu,
                   registry::EndpointPolicy endpoints)
      : images_(images), service_(service), image_mu_(image_mu), endpoints_(std::move(endpoints)) {}

  Result<nlohmann::ordered_json> image_diff(const backend::ImageDiffRequest& request) override;

 private:
  Result<std::unique_ptr<imagediff::ImageSource>> open(const std::string& input, const std::string& auth,
                                                       const std::string& platform);

  ImageBackend& images_;
  image::ImageService& service_;
  std::mutex& image_mu_;
  registry::EndpointPolicy endpoints_;
  registry::Http http_;
};

}  // namespace berth::engine
