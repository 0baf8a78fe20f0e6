// compose_ops::Engine over the Docker API: what `berth compose` runs against
// berthd (or any dockerd). Calls made from several threads at once each take
// a client of their own from a pool (api::Client is one connection);
// build, pull and push draw their progress and go one at a time.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "cli/cli.h"
#include "compose_ops/engine.h"

namespace berth::cli {

class ComposeApiEngine : public compose_ops::Engine {
 public:
  explicit ComposeApiEngine(Cli& cli, bool quiet_progress = false) : cli_(cli), quiet_(quiet_progress) {}
  ~ComposeApiEngine() override;

  Result<std::vector<compose_ops::ContainerInfo>> list_containers(const std::string& project) override;
  Result<std::string> create_container(const std::string& name, const compose_ops::Json& body) override;
  Result<void> connect_network(const std::string& network, const std::string& container,
                               const compose_ops::Json& endpoint) override;
  Result<void> start_container(const std::string& id) override;
  Result<void> stop_container(const std::string& id, std::optional<int> timeout_s) override;
  Result<void> restart_container(const std::string& id, std::optional<int> timeout_s) override;
  Result<void> kill_container(const std::string& id, const std::string& signal) override;
  Result<void> pause_container(const std::string& id) override;
  Result<void> unpause_container(const std::string& id) override;
  Result<void> remove_container(const std::string& id, bool force, bool volumes) override;
  Result<compose_ops::ContainerState> inspect_state(const std::string& id) override;
  Result<std::optional<compose_ops::NetworkInfo>> find_network(const std::string& name) override;
  Result<std::vector<compose_ops::NetworkInfo>> list_networks(const std::string& project) override;
  Result<void> create_network(const compose_ops::Json& body) override;
  Result<void> remove_network(const std::string& name) override;
  Result<std::optional<compose_ops::VolumeInfo>> find_volume(const std::string& name) override;
  Result<std::vector<compose_ops::VolumeInfo>> list_volumes(const std::string& project) override;
  Result<void> create_volume(const compose_ops::Json& body) override;
  Result<void> remove_volume(const std::string& name) override;
  Result<std::optional<std::string>> image_id(const std::string& reference) override;
  Result<void> remove_image(const std::string& reference) override;
  Result<void> build_image(const compose_ops::BuildRequest& request) override;
  Result<void> pull_image(const std::string& reference) override;
  Result<void> push_image(const std::string& reference) override;
  int64_t now_ns() override;
  Result<void> watch_events(const std::string& project, std::optional<int64_t> since_ns,
                            const std::function<bool(const compose_ops::Event&)>& on_event) override;

  // A request on a pooled client; errors as the docker CLI words them.
  Result<api::Response> call(std::string_view method, const std::string& path, std::string_view body = {});
  // The raw response (any status).
  Result<api::Response> raw(std::string_view method, const std::string& path, std::string_view body = {});
  // A pooled client for a streaming call; give it back with release().
  Result<std::unique_ptr<api::Client>> acquire();
  void release(std::unique_ptr<api::Client> client);

 private:
  Cli& cli_;
  bool quiet_;
  std::mutex mu_;  // the pool
  std::vector<std::unique_ptr<api::Client>> idle_;
  std::string address_;
  std::mutex progress_mu_;  // builds, pulls and pushes draw one at a time
};

// The label filter of a project's objects: {"label":["com.docker.compose.project=NAME"]}.
std::string project_filter(const std::string& project);

}  // namespace berth::cli
