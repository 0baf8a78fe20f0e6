// berthd's CRI endpoint: the RuntimeService and ImageService over the engine,
// served on the CRI socket next to the Docker API.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "cri/image_service.h"
#include "cri/pod_backend.h"
#include "cri/runtime_service.h"
#include "cri/server.h"
#include "daemon_config.h"
#include "engine/engine.h"

namespace berthd {

class CriEndpoint {
 public:
  static berth::Result<std::unique_ptr<CriEndpoint>> start(const DaemonConfig& cfg, berth::engine::Engine& engine,
                                                           const std::string& version, const std::string& shim_path);
  ~CriEndpoint();  // stops serving, then drops the pod side

 private:
  CriEndpoint() = default;
  std::unique_ptr<berth::cri::PodBackend> pods_;
  std::unique_ptr<berth::cri::RuntimeServiceImpl> runtime_;
  std::unique_ptr<berth::cri::ImageServiceImpl> images_;
  std::unique_ptr<berth::cri::Server> server_;
};

}  // namespace berthd
