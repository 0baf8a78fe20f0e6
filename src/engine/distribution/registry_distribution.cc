#include "engine/distribution/registry_distribution.h"

#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/puller.h"
#include "registry/pusher.h"

namespace berth::engine {

RegistryDistribution::RegistryDistribution(image::ImageService& images, std::mutex& image_mu, Events& events,
                                           RegistryConfig config)
    : images_(images), image_mu_(image_mu), events_(events), config_(std::move(config)) {}

Result<void> RegistryDistribution::pull(const backend::PullRequest& request, const Progress& progress) {
  registry::PullOptions o;
  o.reference = request.reference;
  o.endpoints = config_.endpoints;
  o.max_concurrent_downloads = config_.max_concurrent_downloads;
  o.image_lock = &image_mu_;
  if (!request.platform.empty()) o.platform = TRY(registry::parse_platform(request.platform));
  o.auth = TRY(registry::decode_registry_auth(request.auth.header));
  bool streaming = false, client_gone = false;
  auto sink = [&](const registry::ProgressMessage& m) {
    if (client_gone) return;
    streaming = true;
    client_gone = !progress(registry::format_progress(m));
  };
  auto pulled = registry::pull(http_, images_, o, sink);
  if (!pulled) {
    // Once the answer has begun, its status is sent: the error goes in the stream.
    if (!streaming) return std::unexpected(pulled.error());
    if (!client_gone) progress(registry::format_error(pulled.error().message));
    return {};
  }
  events_.publish({"image", "pull", pulled->familiar, {{"name", pulled->familiar}}, 0});
  return {};
}

Result<void> RegistryDistribution::push(const std::string& reference, const backend::RegistryAuth& auth,
                                        const Progress& progress) {
  registry::PushOptions o;
  o.reference = reference;
  o.endpoints = config_.endpoints;
  o.max_concurrent_uploads = config_.max_concurrent_uploads;
  o.image_lock = &image_mu_;
  o.auth = TRY(registry::decode_registry_auth(auth.header));
  bool streaming = false, client_gone = false;
  auto sink = [&](const registry::ProgressMessage& m) {
    if (client_gone) return;
    streaming = true;
    client_gone = !progress(registry::format_progress(m));
  };
  auto pushed = registry::push(http_, images_, o, sink);
  if (!pushed) {
    if (!streaming) return std::unexpected(pushed.error());
    if (!client_gone) progress(registry::format_error(pushed.error().message));
    return {};
  }
  // The CLI reads the digest from the aux message, as dockerd sends it.
  if (!client_gone)
    progress("{\"progressDetail\":{},\"aux\":{\"Tag\":\"" + pushed->tag + "\",\"Digest\":\"" + pushed->digest +
             "\",\"Size\":" + std::to_string(pushed->size) + "}}\r\n");
  events_.publish({"image", "push", reference, {{"name", reference}}, 0});
  return {};
}

Result<std::string> RegistryDistribution::login(const backend::RegistryAuth& auth) {
  registry::AuthConfig a;
  a.username = auth.username;
  a.password = auth.password;
  TRYV(registry::login(http_, auth.server.empty() ? "docker.io" : auth.server, a, config_.endpoints));
  return std::string("Login Succeeded");
}

Result<std::string> RegistryDistribution::search(const std::string&, int) {
  return fail(Errc::Unsupported, "searching registries is not supported by berth yet");
}

}  // namespace berth::engine
