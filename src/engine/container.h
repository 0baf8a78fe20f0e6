// A container as the engine knows it: Docker's model (what `inspect` shows)
// plus what berth needs to run it again after a daemon restart. The
// persisted part round-trips through to_doc/from_doc (the metadata DB's JSON
// document, versioned); the live part (shim connection, attached clients,
// waiters) exists only while berthd runs.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::engine {

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

struct RunState {
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;
  bool dead = false;
  bool removing = false;
  pid_t pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at = kZeroTime;
  std::string finished_at = kZeroTime;

  // "created", "running", "paused", "restarting", "removing", "exited", "dead".
  std::string status(bool ever_started) const;
};

// A client attached to the container's output (attach, or the exec start of
// an exec session): output frames are written to fd as they come.
struct Attacher {
  UniqueFd fd;
  bool want_stdout = true;
  bool want_stderr = true;
  bool tty = false;      // raw bytes, else Docker's multiplexed frames
  bool closed = false;   // set (under the engine's mu_) when a write failed, the client
                         // detached or the container's run ended
  UniqueFd wake;         // eventfd: written when closed is set, wakes the attach thread
  std::mutex write_mu;
};

struct Container {
  // Persisted.
  std::string id;
  std::string name;        // "/name"
  std::string created;     // RFC 3339 nano
  std::string image;       // as the user gave it (Config.Image)
  std::string image_id;    // "sha256:..."
  std::string path;        // entrypoint/cmd resolved
  std::vector<std::string> args;
  nlohmann::json config;       // Docker Config, merged with the image's defaults
  nlohmann::json host_config;  // Docker HostConfig
  RunState state;
  int restart_count = 0;
  bool ever_started = false;
  bool manually_stopped = false;  // a stop/kill by the user: restart policies leave it alone
  std::string log_path;
  std::string hostname_path, hosts_path, resolv_conf_path;
  // Networks: what was asked for (name -> {"Aliases", "IPv4Address"}, in
  // order of connection), the endpoints of the current run (Docker's
  // EndpointSettings + berth's "HostVeth"/"Bridge", by network name) and the
  // published ports as bound (HostConfig.PortBindings form).
  nlohmann::json network_requests = nlohmann::json::array();
  nlohmann::json endpoints = nlohmann::json::object();
  nlohmann::json published = nlohmann::json::object();
  nlohmann::json mount_plans = nlohmann::json::array();  // MountPlan::to_json() each (binds.h)

  // Live.
  std::mutex op_mu;  // serializes start/stop/remove/restart of this container
  UniqueFd shim_conn;
  std::mutex shim_write_mu;
  pid_t shim_pid = 0;   // our child when we spawned it (reaped after the connection closes)
  bool tty = false;
  std::vector<std::shared_ptr<Attacher>> attachers;
  std::string pending_stdin;  // stdin from attachers that came before start
  bool pending_close_stdin = false;
  uint64_t exit_generation = 0;  // increments at every exit (wait next-exit)
  bool removed = false;
  std::vector<std::string> mounted_volumes;  // volume names mount()ed for the current run
  UniqueFd exit_event;  // eventfd: readable once the current run has ended (logs -f)
  std::shared_ptr<std::condition_variable> changed = std::make_shared<std::condition_variable>();

  nlohmann::json to_doc() const;
  static Result<std::shared_ptr<Container>> from_doc(const std::string& doc);
  std::string short_id() const { return id.substr(0, 12); }
  bool tty_config() const { return config.value("Tty", false); }
};

}  // namespace berth::engine
