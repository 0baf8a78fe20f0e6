// (internal) The daemon's side of one berth-shim, shared by the Task or
// Process the engine holds and the thread that follows the shim (which may
// outlive it: the engine can drop its Task from inside on_exit).
//
//   stdio connection  the launcher's socketpair (or, after a restart, a
//                     connection to shim.sock that said Hello): output and
//                     Exited read by the thread; stdin, close, resize written
//                     by callers
//   control connection  made at the first request (a connection to shim.sock
//                     that says Control): Request out, Reply back, one call
//                     at a time. Apart from the stdio connection so that an
//                     answer never waits behind output the listener is slow
//                     to take, nor behind stdin the process does not read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "shimproto/protocol.h"
#include "task/task.h"

namespace berth::task::detail {

class ShimChannel {
 public:
  struct Params {
    std::string what;       // "container ID", "exec E of container ID": for messages
    std::string state_dir;  // the shim's
    pid_t shim_pid = 0;     // our child, reaped here; 0 when it is not ours
    pid_t pid = 0;          // the process (0: unknown until the shim's State says)
    UniqueFd conn;          // the stdio connection
    std::shared_ptr<ProcessListener> listener;
    // An exec's shim leaves nothing worth keeping: after the exit it is
    // reaped and its state dir removed, before on_exit.
    bool remove_state_dir_at_exit = false;
  };
  // Starts the thread that follows the shim.
  static std::shared_ptr<ShimChannel> start(Params params);

  ~ShimChannel();
  ShimChannel(const ShimChannel&) = delete;
  ShimChannel& operator=(const ShimChannel&) = delete;

  pid_t pid() const { return pid_.load(); }
  const std::string& state_dir() const { return state_dir_; }
  const std::string& what() const { return what_; }
  // Once the exit was seen (Exited, or the shim gone).
  bool exited() const { return exited_.load(); }

  // Stdio frames (Stdin payloads of any size are split).
  Result<void> send(shimproto::Frame type, std::string_view payload);
  // A request and its reply (shimproto/request.h). Conflict once the process
  // has exited; Unavailable when the shim is gone or does not answer.
  Result<nlohmann::json> call(std::string_view op, nlohmann::json args = nlohmann::json::object());

  // Stops following: no on_exit and no on_output start after it returns
  // (unless the exit was being delivered already). The shim carries on.
  void disconnect();
  // Waits for our child shim to end, once (no-op when it is not ours).
  void reap_shim();

 private:
  explicit ShimChannel(Params& p);
  static void follow(std::shared_ptr<ShimChannel> self, std::shared_ptr<ProcessListener> listener);
  void finish(std::optional<shimproto::ExitStatus> exited, ProcessListener& listener);
  Error gone(const std::string& doing) const;
  Result<nlohmann::json> call_locked(std::string_view op, nlohmann::json& args);

  const std::string what_, state_dir_;
  const bool remove_state_dir_at_exit_;
  UniqueFd conn_;  // closed only with the channel: the thread may be reading it
  std::atomic<pid_t> pid_;
  std::atomic<bool> exited_{false}, disconnected_{false};
  std::mutex exit_mu_;  // orders the delivery of the exit against disconnect()
  bool exit_delivered_ = false;
  std::mutex write_mu_;  // stdio frames are written whole
  std::mutex control_mu_;  // one request at a time
  UniqueFd control_;
  shimproto::FrameDecoder control_decoder_;
  uint64_t next_id_ = 0;
  std::mutex reap_mu_;
  pid_t shim_pid_;
};

}  // namespace berth::task::detail
