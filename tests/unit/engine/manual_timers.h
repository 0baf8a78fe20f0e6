// A health::Timers whose clock the test moves; due callbacks run on the
// test's thread, in deadline order.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "engine/health/timers.h"

namespace berth::engine::health::fakes {

// Timers on a clock the test moves; due callbacks run on the test's thread.
class ManualTimers : public Timers {
 public:
  int64_t now_ns() override {
    std::lock_guard lk(mu_);
    return now_;
  }
  TimerId after(int64_t delay_ns, std::function<void()> fn) override {
    std::lock_guard lk(mu_);
    TimerId id = next_++;
    timers_[id] = {now_ + std::max<int64_t>(delay_ns, 0), std::move(fn)};
    return id;
  }
  void cancel(TimerId id) override {
    std::lock_guard lk(mu_);
    timers_.erase(id);
  }
  // Runs what is due up to t (callbacks without the lock: they arm timers).
  void advance_to(int64_t t) {
    std::unique_lock lk(mu_);
    for (;;) {
      auto due = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it)
        if (it->second.first <= t && (due == timers_.end() || it->second.first < due->second.first)) due = it;
      if (due == timers_.end()) break;
      now_ = due->second.first;
      auto fn = std::move(due->second.second);
      timers_.erase(due);
      lk.unlock();
      fn();
      lk.lock();
    }
    now_ = t;
  }
  size_t pending() {
    std::lock_guard lk(mu_);
    return timers_.size();
  }

 private:
  std::mutex mu_;
  int64_t now_ = 0;
  TimerId next_ = 1;
  std::map<TimerId, std::pair<int64_t, std::function<void()>>> timers_;
};

}  // namespace berth::engine::health::fakes
