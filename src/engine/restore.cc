// Live restore: after a restart (or a crash) berthd finds the shims that
// kept their containers running, reconnects to them, and records the exits
// that happened while it was away.
#include <sys/eventfd.h>

#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "engine/engine.h"
#include "engine/networks/network_service.h"
#include "net/ports.h"
#include "volume/service.h"

#include <set>
#include "task/launcher.h"

namespace berth::engine {

// A running container's ports stay reserved and its names resolvable across
// a daemon restart: the sockets of both died with the old daemon.
void Engine::restore_networks(const std::shared_ptr<Container>& c) {
  nlohmann::json endpoints, published, requests, plans;
  {
    std::lock_guard lk(mu_);
    endpoints = c->endpoints;
    published = c->published;
    requests = c->network_requests;
    plans = c->mount_plans;
  }
  // Volumes in use stay counted (a mounted tmpfs volume stays mounted).
  std::vector<std::string> mounted;
  for (const auto& p : plans)
    if (p.value("Type", "") == "volume" && volumes_->mount(p.value("Source", ""), c->id)) mounted.push_back(p.value("Source", ""));
  {
    std::lock_guard lk(mu_);
    c->mounted_volumes = std::move(mounted);
  }
  if (endpoints.empty()) return;
  std::string first = requests.empty() ? "" : requests[0].value("Name", "");
  if (!published.empty() && endpoints.contains(first)) {
    auto bindings = net::port_bindings_from_json(published);
    if (bindings) {
      auto r = networks_->publish(c->id, Endpoint::from_json(first, endpoints[first]), *bindings);
      if (!r) log::warn("container {}: re-publishing its ports: {}", c->id, r.error().str());
    }
  }
  for (auto& [name, ep] : endpoints.items()) {
    if (name == "bridge") continue;
    if (auto r = networks_->dns_add(c->id, bundle_dir(c->id) + "/netns"); !r)
      log::warn("container {}: its DNS: {}", c->id, r.error().str());
    break;
  }
}

Result<void> Engine::restore() {
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_) all.push_back(c);
  }
  for (auto& c : all) {
    bool was_running;
    {
      std::lock_guard lk(mu_);
      was_running = c->state.running;
      c->state.restarting = false;
      c->state.removing = false;
    }
    std::string dir = shim_dir(c->id);
    // A shim can be alive for a container recorded as not running: berthd
    // died between starting it and recording the start.
    bool alive = task::shim_alive(dir);
    if (alive && !was_running) {
      std::lock_guard lk(mu_);
      c->state.running = true;
      c->ever_started = true;
      if (auto pid = read_file(dir + "/pid")) c->state.pid = static_cast<pid_t>(std::atol(pid->c_str()));
      was_running = true;
    }
    if (was_running && alive) {
      auto conn = task::connect_shim(dir);
      if (conn) {
        {
          std::lock_guard lk(mu_);
          c->shim_conn = std::move(*conn);
          c->shim_pid = 0;  // not our child: no reaping
          c->exit_event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
          // Ask for the state: an exit that happened before we connected
          // comes back as Exited right away.
          send_to_shim(*c, static_cast<int>(shimproto::Frame::Hello), "");
        }
        restore_networks(c);
        log::info("restored container {} (pid {})", c->id, c->state.pid);
        std::thread([this, c] { follow_shim(c); }).detach();
        continue;
      }
      log::warn("container {}: its monitor is alive but does not answer: {}", c->id, conn.error().str());
    }
    if (was_running) {
      auto rec = task::read_exit_file(dir);
      if (rec && *rec) {
        on_exit(c, (*rec)->exit_code, (*rec)->oom_killed, (*rec)->finished_at);
      } else {
        {
          std::lock_guard lk(mu_);
          c->state.error = "the container's monitor is gone and left no exit status";
        }
        on_exit(c, 255, false, rfc3339_now());
      }
      continue;
    }
    // Not running: restart policies that start with the daemon.
    std::string policy;
    bool manual;
    {
      std::lock_guard lk(mu_);
      (void)persist(*c);
      auto p = c->host_config.value("RestartPolicy", nlohmann::json::object());
      policy = p.is_object() ? p.value("Name", "") : "";
      manual = c->manually_stopped;
    }
    if (c->ever_started && (policy == "always" || (policy == "unless-stopped" && !manual))) {
      std::lock_guard op(c->op_mu);
      if (auto r = start_locked(c); !r) log::warn("starting {} (restart policy {}): {}", c->id, policy, r.error().str());
    }
  }
  std::set<std::string> running;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_)
      if (c->state.running) running.insert(id);
  }
  networks_->cleanup_stale(running);
  return {};
}

}  // namespace berth::engine
