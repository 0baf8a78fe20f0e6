// The distribution area over the registry client: pulls into the engine's
// image service (downloads outside the image lock, the record under it).
// Push likewise; login and search are not there yet (Unsupported, 501).
#pragma once

#include <memory>
#include <mutex>

#include "backend/distribution.h"
#include "engine/events.h"
#include "image/service.h"
#include "registry/client.h"
#include "registry/http.h"

#include "stats/engine_counters.h"

namespace berth::engine {

struct RegistryConfig {
  registry::EndpointPolicy endpoints;  // insecure-registries, registry-mirrors, certs.d and hosts.toml directories
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  unsigned compression_threads = 0;  // gzip of a plain layer pushed: threads per layer; 0: the cores
};

class RegistryDistribution : public backend::DistributionBackend {
 public:
  RegistryDistribution(image::ImageService& images, std::mutex& image_mu, Events& events, RegistryConfig config);

  Result<void> pull(const backend::PullRequest& request, const Progress& progress) override;
  Result<void> push(const std::string& reference, const backend::RegistryAuth& auth, const Progress& progress) override;
  Result<backend::LoginResult> login(const backend::RegistryAuth& auth) override;
  Result<std::string> search(const std::string& term, int limit) override;
  // Pulls are counted there (/metrics).
  void count_into(stats::EngineCounters* counters) { counters_ = counters; }

 private:
  image::ImageService& images_;
  std::mutex& image_mu_;
  Events& events_;
  RegistryConfig config_;
  registry::Http http_;
  stats::EngineCounters* counters_ = nullptr;
};

}  // namespace berth::engine
