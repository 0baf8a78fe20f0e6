// One berth-shim kept started ahead of need, so that starting a container
// (or an exec) does not wait for the shim's exec, dynamic loader and
// start-up: launch_shim() hands the idle one its work in a Launch frame
// (shimproto/assignment.h) and this starts the next one in the background.
// Measured on the start path of `run --rm`: see docs/performance.md.
//
// The idle shim holds nothing of any container: its only fd is its end of the
// socketpair (fd 3). When berthd stops or dies, that closes and the idle shim
// exits; a restarted berthd starts a new one.
//
// Threads: one filler thread, woken by take() (no polling). A start that
// fails is logged and retried at the next take(), not in a loop.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/error.h"
#include "task/spawn.h"

namespace berth::task {

class ShimStandby {
 public:
  using Idle = SpawnedShim;  // its pid is our child: whoever takes it reaps it

  // How the daemon's threads are scheduled: restored on the shim taken, so it
  // (and its container) run as a shim spawned for the start would.
  struct Scheduling {
    int policy = SCHED_OTHER;
    sched_param param{};
    int nice = 0;
  };

  // Starts the first idle shim in the background.
  explicit ShimStandby(std::string shim_binary);
  // Ends the idle shim (it holds nothing) and reaps it.
  ~ShimStandby();
  ShimStandby(const ShimStandby&) = delete;
  ShimStandby& operator=(const ShimStandby&) = delete;

  // The idle shim when one is ready (nullopt while the next one is still
  // being started, or when starting failed); the next one starts at once.
  std::optional<Idle> take();

  const std::string& binary() const { return binary_; }

  // For tests: true once an idle shim is ready, false after `limit`; and its pid.
  bool wait_ready(std::chrono::milliseconds limit);
  std::optional<pid_t> idle_pid();

 private:
  void fill();

  const std::string binary_;
  const Scheduling normal_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Idle> idle_;
  bool wanted_ = true;
  bool stopping_ = false;
  std::thread filler_;
};

}  // namespace berth::task
