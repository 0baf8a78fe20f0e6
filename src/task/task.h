// The seam between the engine and whatever runs a container (the shape of
// containerd's runtime-v2 Task API). Every operation on a created container
// goes through here; the engine never calls the OCI runtime library itself.
//
// Implementations:
//   shim_task.h  namespaces: one berth-shim per container (and per exec)
//                running the runtime library in-process (`berth`)
//   (later)      a microVM whose guest agent runs the same runtime library
//   tests        tests/unit/engine/fake_task.h, for the engine's unit tests
//
// Output and the end of a process reach the engine through ProcessListener,
// on the task's own thread; everything else is a call that answers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "model/stats.h"

namespace berth::task {

enum class Stream : uint8_t { Stdout = 1, Stderr = 2 };

struct ExitStatus {
  int exit_code = 0;  // 128+N when killed by signal N
  bool oom_killed = false;
  std::string finished_at;  // RFC 3339 nano
};

// The engine's side of a running process.
class ProcessListener {
 public:
  virtual ~ProcessListener() = default;
  // Raw output bytes (with a TTY everything is Stdout).
  virtual void on_output(Stream stream, std::string_view bytes) = 0;
  // Once, after the last output. The task may be released from here.
  virtual void on_exit(const ExitStatus& status) = 0;
};

// A process of a task: its init, or an exec.
class Process {
 public:
  virtual ~Process() = default;
  virtual pid_t pid() const = 0;  // in the host's pid namespace (0 when unknown)
  virtual Result<void> write_stdin(std::string_view bytes) = 0;
  virtual Result<void> close_stdin() = 0;
  virtual Result<void> resize(unsigned rows, unsigned cols) = 0;
  virtual Result<void> kill(int signal) = 0;
};

struct ProcessUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
};

// A process to run in a running task (docker exec): the container's own
// process settings (capabilities, rlimits, no_new_privs...) with these.
struct ExecRequest {
  std::string exec_id;
  std::vector<std::string> args;
  std::vector<std::string> env;     // set over the container's environment
  std::string cwd;                  // "" = the container's
  std::optional<ProcessUser> user;  // nullopt = the container's
  bool tty = false, open_stdin = false;
};

// Where and how the container's output is logged (HostConfig.LogConfig).
struct LogSpec {
  std::string driver = "json-file";  // "json-file", "none"
  std::string path;                  // the log file (file drivers)
  std::map<std::string, std::string> options;  // validated by the engine
};

// What the engine prepared for a container before it runs: an OCI bundle
// (config.json, whose root.path is the mounted rootfs) and its stdio.
struct CreateRequest {
  std::string id;
  std::string bundle;
  bool tty = false, open_stdin = false;
  LogSpec log;
};

// `docker update`: only the fields set change.
struct ResourceUpdate {
  std::optional<int64_t> memory, memory_swap, memory_reservation;
  std::optional<uint64_t> cpu_shares, cpu_period;
  std::optional<int64_t> cpu_quota;
  std::optional<std::string> cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;
  std::optional<uint16_t> blkio_weight;
  bool empty() const {
    return !memory && !memory_swap && !memory_reservation && !cpu_shares && !cpu_period && !cpu_quota &&
           !cpuset_cpus && !cpuset_mems && !pids_limit && !blkio_weight;
  }
};

// A created container; the Process part is its init.
class Task : public Process {
 public:
  virtual Result<void> kill_all(int signal) = 0;  // every process of the container
  virtual Result<void> pause() = 0;
  virtual Result<void> resume() = 0;
  virtual Result<void> update(const ResourceUpdate& resources) = 0;
  virtual Result<std::vector<pid_t>> pids() = 0;
  // cpu, memory, pids, blkio (id, name and read are the caller's to fill).
  virtual Result<model::ContainerStats> stats() = 0;
  // Where the engine's stats sampler reads this task's cgroup files itself
  // (no call to the task per sample). Unsupported when the implementation
  // cannot say: the sampler then asks stats() each time.
  virtual Result<model::CgroupDirs> cgroup_dirs() {
    return fail(Errc::Unsupported, "this task does not expose its cgroup directories");
  }
  // Closes the log file and opens its path again (the kubelet rotated it).
  // Unsupported by a task that keeps no log file of its own.
  virtual Result<void> reopen_log() { return fail(Errc::Unsupported, "this task cannot reopen its log"); }
  // Facts about how the task runs, for inspect (e.g. a microVM's accelerator).
  virtual std::map<std::string, std::string> details() const { return {}; }
  virtual Result<std::unique_ptr<Process>> exec(const ExecRequest& request,
                                                std::shared_ptr<ProcessListener> listener) = 0;
  // Stops following the task; it keeps running (daemon shutdown). No on_exit follows.
  virtual void disconnect() = 0;
  // After on_exit: removes what the implementation kept for the task.
  virtual void release() = 0;
};

// One per runtime name (HostConfig.Runtime); the engine picks by name.
class TaskRuntime {
 public:
  virtual ~TaskRuntime() = default;
  virtual const std::string& name() const = 0;
  // Creates and starts the container's process. A process that cannot be
  // started is an error whose code says why: NotFound (no such executable),
  // PermissionDenied (cannot be executed), InvalidArgument, Internal.
  virtual Result<std::unique_ptr<Task>> start(const CreateRequest& request,
                                              std::shared_ptr<ProcessListener> listener) = 0;
  // After a daemon restart, for a container that was running: the task
  // still running (following it again), or how it ended meanwhile. NotFound
  // when nothing of it is left (not even an exit status).
  struct Reattached {
    std::unique_ptr<Task> task;        // still running
    std::optional<ExitStatus> exited;  // ended while nobody followed
  };
  virtual Result<Reattached> reattach(const std::string& id, std::shared_ptr<ProcessListener> listener) = 0;
  // Whether a task for id exists (running or not yet released), e.g. one
  // started just before a daemon crash that the engine never recorded.
  virtual bool exists(const std::string& id) = 0;
  // Removes what is left of a task that is gone.
  virtual void cleanup(const std::string& id) = 0;
};

}  // namespace berth::task
