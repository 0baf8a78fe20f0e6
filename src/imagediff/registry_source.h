// An image in a registry, read through the registry client as a pull reads
// it (the daemon's endpoints, mirrors, certificates and the credentials the
// client sent), but nothing is stored: the manifest and config are kept in
// memory, and each layer blob streams from the registry into the comparison
// (checked against its digest as it goes). A dropped transfer fails the diff;
// it is not resumed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imagediff/source.h"
#include "registry/client.h"
#include "registry/platform.h"

namespace berth::imagediff {

struct RegistryAccess {
  registry::Http* http = nullptr;
  registry::EndpointPolicy endpoints;
  registry::AuthConfig auth;
  std::optional<registry::PlatformSpec> platform;  // of an index: the host's when not given
};

class RegistrySource final : public ImageSource {
 public:
  // reference: any Docker form ("host:5000/a/b:t", "a@sha256:...").
  static Result<std::unique_ptr<RegistrySource>> open(const std::string& input, const std::string& reference,
                                                      const RegistryAccess& access);
  const SourceImage& image() const override { return image_; }
  bool remote() const override { return true; }
  Result<void> read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) override;

 private:
  RegistrySource() = default;
  SourceImage image_;
  std::unique_ptr<registry::RepositoryClient> client_;
};

}  // namespace berth::imagediff
