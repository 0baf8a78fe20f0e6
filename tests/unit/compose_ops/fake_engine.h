// An in-memory engine for the planner's and executor's tests: containers,
// networks, volumes and images as maps, every call logged in order, and a
// gate that holds container creates until N of them run at once (so a test
// sees parallelism without timing anything).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compose/file_reader.h"
#include "compose/loader.h"
#include "compose_ops/engine.h"

namespace berth::compose_ops::testing {

class MemoryReader : public compose::FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return fail(Errc::NotFound, "open " + path + ": no such file or directory");
    return it->second;
  }
  bool exists(const std::string& path) const override { return files.contains(path); }
};

// The project of one compose.yaml text, in /proj, named "proj".
inline compose::Project load(const std::string& yaml) {
  MemoryReader reader;
  reader.files["/proj/compose.yaml"] = yaml;
  compose::LoadOptions o;
  o.working_directory = "/proj";
  o.project_name = "proj";
  o.reader = &reader;
  auto p = compose::load_project(o);
  if (!p) throw std::runtime_error(p.error().str());
  return *p;
}

class FakeEngine : public Engine {
 public:
  struct Container {
    ContainerInfo info;
    Json body;
    ContainerState state;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> calls;
  std::map<std::string, Container> containers;  // by ID
  std::map<std::string, Json> networks, volumes;  // by name
  std::map<std::string, std::string> images{{"busybox", "sha256:bb"}};
  std::vector<Event> events;  // what watch_events hands out (after since)
  int next_id = 1;
  int64_t clock = 1000;
  // Creates wait until this many are in flight (1: no waiting).
  int create_gate = 1;
  int in_flight = 0, max_in_flight = 0;
  bool gate_timed_out = false;
  // Events a container's start is followed by (by container name): action, attributes.
  std::map<std::string, std::vector<std::pair<std::string, StringMap>>> after_start;

  void log(std::string s) {
    std::lock_guard lock(mu);
    calls.push_back(std::move(s));
  }
  std::vector<std::string> calls_starting(const std::string& prefix) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (c.starts_with(prefix)) out.push_back(c);
    return out;
  }
  // Puts an existing container in place, as a previous `up` would have.
  std::string add_container(const std::string& name, StringMap labels, const std::string& state = "running",
                            const std::string& image_id = "sha256:bb") {
    std::lock_guard lock(mu);
    std::string id = fmt::format("c{}", next_id++);
    Container c;
    c.info = ContainerInfo{.id = id, .name = name, .image = "busybox", .image_id = image_id, .state = state, .labels = std::move(labels)};
    c.state.status = state;
    containers[id] = c;
    return id;
  }
  const Container* by_name(const std::string& name) {
    std::lock_guard lock(mu);
    for (const auto& [id, c] : containers)
      if (c.info.name == name) return &c;
    return nullptr;
  }

  Result<std::vector<ContainerInfo>> list_containers(const std::string& project) override {
    log("list_containers");
    std::lock_guard lock(mu);
    std::vector<ContainerInfo> out;
    for (const auto& [id, c] : containers)
      if (c.info.label("com.docker.compose.project") == project) out.push_back(c.info);
    return out;
  }
  Result<std::string> create_container(const std::string& name, const Json& body) override {
    std::unique_lock lock(mu);
    calls.push_back("create " + name);
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    cv.notify_all();
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return in_flight >= create_gate || max_in_flight >= create_gate; }))
      gate_timed_out = true;
    for (const auto& [id, c] : containers)
      if (c.info.name == name) {
        --in_flight;
        return fail(Errc::Conflict, "Conflict. The container name \"/" + name + "\" is already in use");
      }
    std::string id = fmt::format("c{}", next_id++);
    Container c;
    c.body = body;
    c.info = ContainerInfo{.id = id, .name = name, .image = body.value("Image", ""), .state = "created"};
    c.info.image_id = images.count(c.info.image) ? images[c.info.image] : "";
    c.info.labels = body.value("Labels", StringMap{});
    c.state.status = "created";
    containers[id] = c;
    --in_flight;
    return id;
  }
  Result<void> connect_network(const std::string& network, const std::string& container, const Json&) override {
    log("connect " + network + " " + container);
    return {};
  }
  Container* find(const std::string& id) {
    auto it = containers.find(id);
    return it == containers.end() ? nullptr : &it->second;
  }
  Result<void> start_container(const std::string& id) override {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    calls.push_back("start " + c->info.name);
    c->info.state = c->state.status = "running";
    if (c->body.contains("Healthcheck")) c->state.health = "starting";
    for (const auto& [action, attributes] : after_start[c->info.name])
      events.push_back(Event{.id = id, .action = action, .attributes = attributes, .time_nano = ++clock});
    return {};
  }
  Result<void> stop_container(const std::string& id, std::optional<int> timeout) override {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    calls.push_back(fmt::format("stop {}{}", c->info.name, timeout ? fmt::format(" -t {}", *timeout) : ""));
    c->info.state = c->state.status = "exited";
    return {};
  }
  Result<void> restart_container(const std::string& id, std::optional<int>) override {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    calls.push_back("restart " + c->info.name);
    c->info.state = c->state.status = "running";
    return {};
  }
  Result<void> kill_container(const std::string& id, const std::string& signal) override {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    calls.push_back("kill " + c->info.name + " " + signal);
    c->info.state = c->state.status = "exited";
    return {};
  }
  Result<void> pause_container(const std::string& id) override { return set_paused(id, true); }
  Result<void> unpause_container(const std::string& id) override { return set_paused(id, false); }
  Result<void> set_paused(const std::string& id, bool paused) {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    if (c->info.state != (paused ? "running" : "paused"))
      return fail(Errc::Conflict, "Container " + id + (paused ? " is not running" : " is not paused"));
    calls.push_back((paused ? "pause " : "unpause ") + c->info.name);
    c->info.state = c->state.status = paused ? "paused" : "running";
    return {};
  }
  Result<void> remove_container(const std::string& id, bool, bool volumes) override {
    std::lock_guard lock(mu);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    calls.push_back("remove " + c->info.name + (volumes ? " -v" : ""));
    containers.erase(id);
    return {};
  }
  Result<ContainerState> inspect_state(const std::string& id) override {
    std::lock_guard lock(mu);
    calls.push_back("inspect " + id);
    Container* c = find(id);
    if (!c) return fail(Errc::NotFound, "No such container: " + id);
    return c->state;
  }
  Result<std::optional<NetworkInfo>> find_network(const std::string& name) override {
    std::lock_guard lock(mu);
    if (!networks.contains(name)) return std::optional<NetworkInfo>();
    return std::optional<NetworkInfo>(NetworkInfo{.id = name, .name = name, .labels = {}});
  }
  Result<std::vector<NetworkInfo>> list_networks(const std::string& project) override {
    log("list_networks");
    std::lock_guard lock(mu);
    std::vector<NetworkInfo> out;
    for (const auto& [name, body] : networks)
      if (body["Labels"].value("com.docker.compose.project", "") == project) out.push_back({name, name, {}});
    return out;
  }
  Result<void> create_network(const Json& body) override {
    log("create_network " + body.value("Name", ""));
    std::lock_guard lock(mu);
    networks[body.value("Name", "")] = body;
    return {};
  }
  Result<void> remove_network(const std::string& name) override {
    log("remove_network " + name);
    std::lock_guard lock(mu);
    networks.erase(name);
    return {};
  }
  Result<std::optional<VolumeInfo>> find_volume(const std::string& name) override {
    std::lock_guard lock(mu);
    if (!volumes.contains(name)) return std::optional<VolumeInfo>();
    return std::optional<VolumeInfo>(VolumeInfo{name, {}});
  }
  Result<std::vector<VolumeInfo>> list_volumes(const std::string& project) override {
    log("list_volumes");
    std::lock_guard lock(mu);
    std::vector<VolumeInfo> out;
    for (const auto& [name, body] : volumes)
      if (body["Labels"].value("com.docker.compose.project", "") == project) out.push_back({name, {}});
    return out;
  }
  Result<void> create_volume(const Json& body) override {
    log("create_volume " + body.value("Name", ""));
    std::lock_guard lock(mu);
    volumes[body.value("Name", "")] = body;
    return {};
  }
  Result<void> remove_volume(const std::string& name) override {
    log("remove_volume " + name);
    std::lock_guard lock(mu);
    volumes.erase(name);
    return {};
  }
  Result<std::optional<std::string>> image_id(const std::string& reference) override {
    log("image_id " + reference);
    std::lock_guard lock(mu);
    if (!images.contains(reference)) return std::optional<std::string>();
    return std::optional<std::string>(images[reference]);
  }
  Result<void> remove_image(const std::string& reference) override {
    log("remove_image " + reference);
    std::lock_guard lock(mu);
    images.erase(reference);
    return {};
  }
  Result<void> build_image(const BuildRequest& r) override {
    log("build " + r.tag);
    std::lock_guard lock(mu);
    images[r.tag] = "sha256:built-" + r.tag;
    return {};
  }
  Result<void> pull_image(const std::string& reference) override {
    log("pull " + reference);
    return fail(Errc::NotFound, "pull access denied for " + reference);
  }
  Result<void> push_image(const std::string& reference) override {
    log("push " + reference);
    return {};
  }
  int64_t now_ns() override {
    std::lock_guard lock(mu);
    return clock;
  }
  Result<void> watch_events(const std::string&, std::optional<int64_t> since,
                            const std::function<bool(const Event&)>& on_event) override {
    log("watch_events");
    std::vector<Event> copy;
    {
      std::lock_guard lock(mu);
      copy = events;
    }
    for (const auto& e : copy) {
      if (since && e.time_nano < *since) continue;
      if (!on_event(e)) return {};
    }
    return {};  // the stream ended
  }
};

}  // namespace berth::compose_ops::testing
