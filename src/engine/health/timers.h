// One thread of timers for the whole daemon's healthchecks: a deadline heap
// and a condition variable, so N healthchecked containers cost one thread
// and no polling. Callbacks run on that thread, one at a time, with no lock
// of the queue held; they must be short (a probe's exec start is the longest).
// The interface is the seam the health monitor's unit tests fake with a
// manual clock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace berth::engine::health {

class Timers {
 public:
  using TimerId = uint64_t;
  virtual ~Timers() = default;
  // Monotonic now, in ns.
  virtual int64_t now_ns() = 0;
  // Runs fn once, delay_ns from now (0: as soon as possible). Never 0.
  virtual TimerId after(int64_t delay_ns, std::function<void()> fn) = 0;
  // A timer not yet run does not run. A callback already running finishes.
  virtual void cancel(TimerId id) = 0;
};

class ThreadTimers final : public Timers {
 public:
  ThreadTimers();
  ~ThreadTimers() override;  // stops the thread; timers not yet due never run
  int64_t now_ns() override;
  TimerId after(int64_t delay_ns, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<int64_t, TimerId> due_;                   // deadline -> id
  std::map<TimerId, std::pair<int64_t, std::function<void()>>> timers_;  // id -> (deadline, fn)
  TimerId next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::engine::health
