// The engine calls `berth compose` needs, as one narrow interface: the
// planner and the executor see only this, the CLI implements it over the
// Docker API (cli/compose_api_engine.cc) and the unit tests with a fake.
// Bodies are Docker's JSON (what POST /containers/create etc. take), so one
// implementation talks to berthd and dockerd alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "compose/model.h"

namespace berth::compose_ops {

using Json = nlohmann::json;
using compose::StringMap;

// One row of GET /containers/json?all=1 (what the planner needs of it).
struct ContainerInfo {
  std::string id;
  std::string name;      // without the leading '/'
  std::string image;     // as created ("busybox")
  std::string image_id;  // "sha256:..."
  std::string state;     // created, running, paused, restarting, exited, dead
  std::string status;    // "Up 3 seconds"
  std::string command;
  int64_t created = 0;
  StringMap labels;
  Json ports = Json::array();  // the list's Ports

  std::string label(const std::string& key) const;
  std::string service() const;
  int number() const;  // com.docker.compose.container-number, 0 when absent
  bool oneoff() const;
  bool running() const { return state == "running" || state == "restarting"; }
};

struct NetworkInfo {
  std::string id, name;
  StringMap labels;
};

struct VolumeInfo {
  std::string name;
  StringMap labels;
};

// What inspect says of a container's life, for waiting on conditions.
struct ContainerState {
  std::string status;  // created, running, exited, ...
  int exit_code = 0;
  std::string health;  // "", starting, healthy, unhealthy
};

// One container event of the project (GET /events).
struct Event {
  std::string id;
  std::string action;  // start, die, health_status: healthy, ...
  StringMap attributes;
  int64_t time_nano = 0;
};

// The images a service needs built: the compose build section and the tag.
struct BuildRequest {
  std::string service;
  compose::BuildConfig build;
  std::string tag;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The project's containers (label com.docker.compose.project=NAME), all states.
  virtual Result<std::vector<ContainerInfo>> list_containers(const std::string& project) = 0;
  // Returns the new container's ID.
  virtual Result<std::string> create_container(const std::string& name, const Json& body) = 0;
  virtual Result<void> connect_network(const std::string& network, const std::string& container,
                                       const Json& endpoint) = 0;
  virtual Result<void> start_container(const std::string& id) = 0;
  virtual Result<void> stop_container(const std::string& id, std::optional<int> timeout_s) = 0;
  virtual Result<void> restart_container(const std::string& id, std::optional<int> timeout_s) = 0;
  virtual Result<void> kill_container(const std::string& id, const std::string& signal) = 0;
  virtual Result<void> pause_container(const std::string& id) = 0;
  virtual Result<void> unpause_container(const std::string& id) = 0;
  virtual Result<void> remove_container(const std::string& id, bool force, bool volumes) = 0;
  virtual Result<ContainerState> inspect_state(const std::string& id) = 0;

  // Networks and volumes by exact name; nullopt when there is none.
  virtual Result<std::optional<NetworkInfo>> find_network(const std::string& name) = 0;
  virtual Result<std::vector<NetworkInfo>> list_networks(const std::string& project) = 0;
  virtual Result<void> create_network(const Json& body) = 0;
  virtual Result<void> remove_network(const std::string& name) = 0;
  virtual Result<std::optional<VolumeInfo>> find_volume(const std::string& name) = 0;
  virtual Result<std::vector<VolumeInfo>> list_volumes(const std::string& project) = 0;
  virtual Result<void> create_volume(const Json& body) = 0;
  virtual Result<void> remove_volume(const std::string& name) = 0;

  // The image's ID, or nullopt when it is not in the store.
  virtual Result<std::optional<std::string>> image_id(const std::string& reference) = 0;
  virtual Result<void> remove_image(const std::string& reference) = 0;
  virtual Result<void> build_image(const BuildRequest& request) = 0;
  virtual Result<void> pull_image(const std::string& reference) = 0;
  virtual Result<void> push_image(const std::string& reference) = 0;

  // The daemon's clock now (ns), for since= below; the same host's clock for a local daemon.
  virtual int64_t now_ns() = 0;
  // The project's container events from since_ns on (replayed, then live),
  // each handed to on_event until it returns false.
  virtual Result<void> watch_events(const std::string& project, std::optional<int64_t> since_ns,
                                    const std::function<bool(const Event&)>& on_event) = 0;
};

}  // namespace berth::compose_ops
