#include "engine/distribution/registry_distribution.h"

#include <functional>
#include <optional>

#include "image/reference.h"
#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/puller.h"
#include "registry/pusher.h"

namespace berth::engine {

namespace {

// Runs a pull or push with its messages going to the client. An error before
// the first message is returned (the route answers with its status); after
// it, the answer has begun, so the error ends the stream as dockerd's does.
template <typename T>
Result<std::optional<T>> streamed(const backend::DistributionBackend::Progress& progress,
                                  const std::function<Result<T>(const registry::ProgressSink&)>& run) {
  bool streaming = false, client_gone = false;
  registry::ProgressSink sink = [&](const registry::ProgressMessage& m) {
    if (client_gone) return;
    streaming = true;
    client_gone = !progress(registry::format_progress(m));
  };
  auto r = run(sink);
  if (r) return std::optional<T>(std::move(*r));
  if (!streaming) return std::unexpected(r.error());
  if (!client_gone) progress(registry::format_error(r.error().message));
  return std::optional<T>();
}

}  // namespace

RegistryDistribution::RegistryDistribution(image::ImageService& images, std::mutex& image_mu, Events& events,
                                           RegistryConfig config)
    : images_(images), image_mu_(image_mu), events_(events), config_(std::move(config)) {}

Result<void> RegistryDistribution::pull(const backend::PullRequest& request, const Progress& progress) {
  bool ok = false;
  struct Count {
    stats::EngineCounters* c;
    bool& ok;
    ~Count() {
      if (c) c->pull(ok);
    }
  } count{counters_, ok};
  registry::PullOptions o;
  o.reference = request.reference;
  // "pull -a" may send the name with a trailing ':' (dockerd drops it).
  if (!o.reference.empty() && o.reference.back() == ':') o.reference.pop_back();
  // A repository without a tag or digest is every tag of it, as dockerd takes fromImage without ?tag=.
  auto named = TRY(image::Reference::parse_named(o.reference));
  o.all_tags = !named.has_tag() && !named.has_digest();
  o.endpoints = config_.endpoints;
  o.max_concurrent_downloads = config_.max_concurrent_downloads;
  o.image_lock = &image_mu_;
  if (!request.platform.empty()) o.platform = TRY(registry::parse_platform(request.platform));
  o.auth = TRY(registry::decode_registry_auth(request.auth.header));
  auto pulled = TRY(streamed<registry::PullResult>(progress, [&](const registry::ProgressSink& sink) {
    return registry::pull(http_, images_, o, sink);
  }));
  if (!pulled) return {};  // the error went in the stream
  ok = true;
  events_.publish({"image", "pull", pulled->familiar, {{"name", pulled->familiar}}, 0});
  return {};
}

Result<void> RegistryDistribution::push(const std::string& reference, const backend::RegistryAuth& auth,
                                        const Progress& progress) {
  registry::PushOptions o;
  o.reference = reference;
  // A repository without a tag is every tag of it, as dockerd takes POST /images/NAME/push without ?tag=.
  auto named = TRY(image::Reference::parse_named(reference));
  o.all_tags = !named.has_tag() && !named.has_digest();
  o.endpoints = config_.endpoints;
  o.max_concurrent_uploads = config_.max_concurrent_uploads;
  o.compression_threads = config_.compression_threads;
  o.image_lock = &image_mu_;
  o.auth = TRY(registry::decode_registry_auth(auth.header));
  auto pushed = TRY(streamed<std::vector<registry::PushResult>>(progress, [&](const registry::ProgressSink& sink) {
    return registry::push(http_, images_, o, sink);
  }));
  if (!pushed) return {};  // the error went in the stream
  events_.publish({"image", "push", reference, {{"name", reference}}, 0});  // one, as dockerd's, also for all tags
  return {};
}

Result<backend::LoginResult> RegistryDistribution::login(const backend::RegistryAuth& auth) {
  registry::AuthConfig a;
  a.username = auth.username;
  a.password = auth.password;
  a.identity_token = auth.identity_token;
  auto identity_token = TRY(registry::login(http_, auth.server.empty() ? "docker.io" : auth.server, a, config_.endpoints));
  return backend::LoginResult{"Login Succeeded", identity_token};
}

Result<std::string> RegistryDistribution::search(const std::string&, int) {
  return fail(Errc::Unsupported, "searching registries is not supported by berth yet");
}

}  // namespace berth::engine
