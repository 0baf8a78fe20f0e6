// A container as the engine keeps it: its record (what it is and was asked
// to be, typed; persisted through container_record.h with a schema version)
// and, while berthd runs, its live part (the task running it, attached
// clients, waiters).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "engine/binds.h"
#include "engine/networks/network_service.h"
#include "model/container_info.h"
#include "model/container_spec.h"
#include "net/ports.h"
#include "task/task.h"

namespace berth::engine {

using model::RunState;

// A client attached to the container's output (attach): output is written
// to fd as it comes.
struct Attacher {
  UniqueFd fd;
  bool want_stdout = true;
  bool want_stderr = true;
  bool tty = false;     // raw bytes, else Docker's multiplexed frames
  bool closed = false;  // set (under the engine's lock) when a write failed, the client
                        // detached or the container's run ended
  UniqueFd wake;        // eventfd: written when closed is set, wakes the attach thread
  std::mutex write_mu;
};

// What is persisted.
struct ContainerRecord {
  std::string id;
  std::string name;     // "/name"
  std::string created;  // RFC 3339 nano
  std::string image_id;  // "sha256:..."
  std::string path;      // entrypoint/cmd resolved
  std::vector<std::string> args;
  std::string runtime;  // the Task implementation's name
  model::ContainerSpec spec;  // Config merged with the image's defaults, HostConfig as validated
  RunState state;
  int restart_count = 0;
  bool ever_started = false;
  bool manually_stopped = false;  // a stop/kill by the user: restart policies leave it alone
  std::string log_path;
  std::string hostname_path, hosts_path, resolv_conf_path;
  std::vector<NetworkRequest> networks;      // asked for, in order
  std::map<std::string, Endpoint> endpoints;  // of the current run, by network name
  std::vector<net::PortBinding> published;   // of the current run, as bound
  std::vector<MountPlan> mounts;
};

struct Container : ContainerRecord {
  // Live; guarded by the service's lock unless said otherwise.
  std::mutex op_mu;  // serializes start/stop/remove/restart of this container
  // Held by the exit handler until the ended task's monitor is gone (it
  // deletes the container's runtime state after reporting the exit): a start
  // takes it first, so no new task of this id meets the old one's clean-up,
  // and a removal takes it before the task's state goes.
  std::mutex task_end_mu;
  // While running. Shared: a call in progress (made without the lock) keeps
  // it alive while the exit handler drops it.
  std::shared_ptr<task::Task> task;
  std::vector<std::shared_ptr<Attacher>> attachers;
  std::string pending_stdin;  // stdin from attachers that came before start
  bool pending_close_stdin = false;
  uint64_t exit_generation = 0;  // increments at every exit (wait next-exit)
  bool removed = false;
  std::vector<std::string> mounted_volumes;  // volume names mount()ed for the current run
  UniqueFd exit_event;  // eventfd: readable once the current run has ended (logs -f)
  std::shared_ptr<std::condition_variable> changed = std::make_shared<std::condition_variable>();

  std::string short_id() const { return id.substr(0, 12); }
  bool tty() const { return spec.config.tty; }
};

}  // namespace berth::engine
