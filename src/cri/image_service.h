// The CRI's ImageService over the engine's image area (the same store the
// Docker API uses) and its registry client. An image's CRI id is its image id
// ("sha256:..."), also what PullImage returns, as containerd answers.
#pragma once

#include <string>
#include <vector>

#include "backend/distribution.h"
#include "backend/images.h"
#include "runtime/v1/api.grpc.pb.h"

namespace berth::cri {

namespace rt = ::runtime::v1;

class ImageServiceImpl final : public rt::ImageService::Service {
 public:
  // store_dirs: the image store's directories, measured by ImageFsInfo.
  ImageServiceImpl(backend::ImageBackend& images, backend::DistributionBackend& distribution,
                   std::vector<std::string> store_dirs);

  grpc::Status ListImages(grpc::ServerContext*, const rt::ListImagesRequest*, rt::ListImagesResponse*) override;
  grpc::Status ImageStatus(grpc::ServerContext*, const rt::ImageStatusRequest*, rt::ImageStatusResponse*) override;
  grpc::Status PullImage(grpc::ServerContext*, const rt::PullImageRequest*, rt::PullImageResponse*) override;
  grpc::Status RemoveImage(grpc::ServerContext*, const rt::RemoveImageRequest*, rt::RemoveImageResponse*) override;
  grpc::Status ImageFsInfo(grpc::ServerContext*, const rt::ImageFsInfoRequest*, rt::ImageFsInfoResponse*) override;

 private:
  backend::ImageBackend& images_;
  backend::DistributionBackend& distribution_;
  std::vector<std::string> store_dirs_;
};

// The X-Registry-Auth header (base64 JSON) the registry client reads, from the
// CRI's AuthConfig; empty when it carries no credentials.
std::string registry_auth_header(const rt::AuthConfig& auth);

// The CRI Image of an image inspect document (Docker's shape).
rt::Image image_from_inspect(const nlohmann::ordered_json& inspect);

}  // namespace berth::cri
