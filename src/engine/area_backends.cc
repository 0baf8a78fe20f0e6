#include "engine/area_backends.h"

#include "engine/container_service.h"
#include "engine/networks/network_service.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

// The network and volume services still take Docker's filters as a document.
nlohmann::json filters_doc(const model::Filters& filters) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : filters) j[k] = v;
  return j;
}

}  // namespace

Result<nlohmann::json> NetworkBackendImpl::network_list(const model::Filters& filters) {
  return networks_.list(filters_doc(filters));
}

Result<nlohmann::json> NetworkBackendImpl::network_create(const nlohmann::json& body) {
  auto created = TRY(networks_.create(body));
  events_.publish({"network", "create", created.value("Id", ""), {{"name", body.value("Name", "")}, {"type", "bridge"}}, 0});
  return created;
}

Result<nlohmann::json> NetworkBackendImpl::network_inspect(const std::string& ref) { return networks_.inspect(ref); }

Result<void> NetworkBackendImpl::network_remove(const std::string& ref) {
  auto net = TRY(networks_.find(ref));
  TRYV(networks_.remove(ref));
  events_.publish({"network", "destroy", net.value("Id", ""), {{"name", net.value("Name", "")}, {"type", "bridge"}}, 0});
  return {};
}

Result<nlohmann::json> NetworkBackendImpl::network_prune(const model::Filters& filters) {
  return networks_.prune(filters_doc(filters));
}

Result<void> NetworkBackendImpl::network_connect(const std::string& network, const std::string& container,
                                                 const model::EndpointRequest& endpoint) {
  return containers_.connect_network(network, container, endpoint);
}

Result<void> NetworkBackendImpl::network_disconnect(const std::string& network, const std::string& container,
                                                    bool force) {
  return containers_.disconnect_network(network, container, force);
}

Result<nlohmann::json> VolumeBackendImpl::volume_list(const model::Filters& filters) {
  return volumes_.list(filters_doc(filters));
}

Result<nlohmann::json> VolumeBackendImpl::volume_create(const std::string& name, const std::string& driver,
                                                        const std::map<std::string, std::string>& options,
                                                        const std::map<std::string, std::string>& labels) {
  return volumes_.create(name, driver, options, labels);
}

Result<nlohmann::json> VolumeBackendImpl::volume_inspect(const std::string& name) { return volumes_.inspect(name); }

Result<void> VolumeBackendImpl::volume_remove(const std::string& name, bool force) {
  return volumes_.remove(name, force);
}

Result<nlohmann::json> VolumeBackendImpl::volume_prune(const model::Filters& filters) {
  return volumes_.prune(filters_doc(filters));
}

Result<nlohmann::json> VolumeBackendImpl::volume_df() { return volumes_.df(); }

backend::EngineInfo SystemBackendImpl::info() {
  auto n = containers_.counts();
  backend::EngineInfo i;
  i.containers = n.total;
  i.running = n.running;
  i.paused = n.paused;
  i.stopped = n.stopped;
  i.images = image_count_();
  i.runtimes = containers_.runtime_names();
  i.default_runtime = containers_.default_runtime();
  i.logging_driver = logging_driver_;
  i.event_listeners = events_.subscribers();
  i.swap_limit = swap_limit_;
  i.cgroup2 = cgroup2_;
  return i;
}

std::unique_ptr<backend::EventSubscription> SystemBackendImpl::subscribe(std::optional<int64_t> since_ns) {
  return events_.subscribe(since_ns);
}

namespace {
std::unexpected<Error> no_registry_client(const std::string& what) {
  return fail(Errc::Unsupported, what + " is not supported yet: berth has no registry client (coming in a later release)");
}
}  // namespace

Result<void> UnavailableDistribution::pull(const backend::PullRequest&, const Progress&) {
  return no_registry_client("pulling images");
}

Result<void> UnavailableDistribution::push(const std::string&, const backend::RegistryAuth&, const Progress&) {
  return no_registry_client("pushing images");
}

Result<backend::LoginResult> UnavailableDistribution::login(const backend::RegistryAuth&) {
  return no_registry_client("logging in to a registry");
}

Result<std::string> UnavailableDistribution::search(const std::string&, int) {
  return no_registry_client("searching registries");
}

}  // namespace berth::engine
