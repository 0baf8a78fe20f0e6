// What the container routes of an API front end may ask of the engine
// (moby's router/container/backend.go): typed requests in, typed views out,
// errors as Result codes. The engine's ContainerService implements it; route
// unit tests use fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "model/container_info.h"
#include "model/container_spec.h"
#include "model/filters.h"
#include "model/stats.h"

namespace berth::backend {

struct StatsSample {
  model::ContainerStats current, previous;
  uint64_t seq = 0;  // the sampler's pass; 0 for the zero form
};

struct CreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

enum class WaitCondition { NotRunning, NextExit, Removed };

struct WaitResult {
  int status_code = 0;
  std::string error;  // why it ended without a status (empty normally)
};

struct AttachOptions {
  bool stream = true, logs = false;
  bool stdin = false, stdout = true, stderr = true;
  std::string detach_keys;  // "" = ctrl-p,ctrl-q
  // Called once the client is registered: output from then on reaches it
  // (the builder starts a RUN container only after that).
  std::function<void()> on_attached;
};

struct LogsOptions {
  bool follow = false, stdout = false, stderr = false, timestamps = false;
  std::optional<int64_t> since_ns, until_ns;
  int tail = -1;  // -1 = all
};

struct CommitRequest {
  std::string container, repo, tag, comment, author;
  bool pause = true;
  std::vector<std::string> changes;  // Dockerfile instructions (--change)
  std::optional<model::ContainerConfig> config;  // fields set here override the container's
};

// Bytes for a streaming response; false when the client went away.
using Sink = std::function<bool(std::string_view)>;

class ContainerBackend {
 public:
  virtual ~ContainerBackend() = default;

  virtual Result<CreateResult> create(const std::string& name, const model::ContainerSpec& spec) = 0;
  virtual Result<bool> start(const std::string& ref) = 0;  // false: it was running already
  virtual Result<bool> stop(const std::string& ref, std::optional<int> timeout_s, const std::string& signal) = 0;
  virtual Result<void> restart(const std::string& ref, std::optional<int> timeout_s) = 0;
  virtual Result<void> kill(const std::string& ref, const std::string& signal) = 0;
  virtual Result<void> pause(const std::string& ref) = 0;
  virtual Result<void> unpause(const std::string& ref) = 0;
  // on_ready runs once the waiter is registered (the route sends its headers then).
  virtual Result<WaitResult> wait(const std::string& ref, WaitCondition condition,
                                  const std::function<void()>& on_ready) = 0;
  virtual Result<void> remove(const std::string& ref, bool force, bool volumes) = 0;
  virtual Result<void> rename(const std::string& ref, const std::string& new_name) = 0;
  // Warnings, as docker update reports them.
  virtual Result<std::vector<std::string>> update(const std::string& ref, const model::Resources& resources,
                                                  const std::optional<model::RestartPolicy>& restart) = 0;
  virtual Result<void> resize(const std::string& ref, unsigned rows, unsigned cols) = 0;
  virtual Result<model::PruneReport> prune(const model::Filters& filters) = 0;

  virtual Result<model::ContainerInfo> inspect(const std::string& ref, bool size) = 0;
  virtual Result<std::vector<model::ContainerInfo>> list(const model::ListOptions& options) = 0;
  virtual Result<model::ProcessTable> top(const std::string& ref, const std::string& ps_args) = 0;
  // docker stats, from the daemon's one shared sampler: the container's
  // latest sample and the one before it (the base of rates), at once. A
  // stopped container answers the zero form (running false).
  virtual Result<StatsSample> stats(const std::string& ref) = 0;
  // For a stream: while the hold lives the sampler samples every interval;
  // next_stats waits (at most two intervals) for a sample newer than after_seq.
  virtual std::shared_ptr<void> hold_stats() = 0;
  virtual Result<StatsSample> next_stats(const std::string& ref, uint64_t after_seq) = 0;
  virtual Result<std::vector<model::Change>> changes(const std::string& ref) = 0;

  // Streams: these block until done; the fds are the client's.
  virtual Result<void> attach(const std::string& ref, const AttachOptions& options, UniqueFd client,
                              std::string buffered) = 0;
  // Entries as Docker's frames (multiplexed unless the container has a TTY), or raw with one.
  virtual Result<void> logs(const std::string& ref, const LogsOptions& options, int client_fd, const Sink& sink) = 0;
  virtual Result<bool> has_tty(const std::string& ref) = 0;  // also: does it exist
  virtual Result<void> export_rootfs(const std::string& ref, int out_fd) = 0;
  // docker cp: the path's stat (Docker's base64 JSON header value), a tar of it, a tar into it.
  virtual Result<std::string> archive_stat(const std::string& ref, const std::string& path) = 0;
  // The first sink call carries the stat header's value, then the tar's bytes.
  virtual Result<void> archive_get(const std::string& ref, const std::string& path,
                                   const std::function<Result<void>(std::string_view)>& sink) = 0;
  virtual Result<void> archive_put(const std::string& ref, const std::string& path, bool no_overwrite_dir_non_dir,
                                   bool copy_uid_gid, const std::function<Result<size_t>(char*, size_t)>& source) = 0;
  virtual Result<std::string> commit(const CommitRequest& request) = 0;  // the new image's id
};

}  // namespace berth::backend
