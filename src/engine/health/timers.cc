#include "engine/health/timers.h"

#include <chrono>

namespace berth::engine::health {

ThreadTimers::ThreadTimers() : thread_([this] { run(); }) {}

ThreadTimers::~ThreadTimers() { stop(); }

void ThreadTimers::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    timers_.clear();
    due_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

int64_t ThreadTimers::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Timers::TimerId ThreadTimers::after(int64_t delay_ns, std::function<void()> fn) {
  int64_t deadline = now_ns() + (delay_ns < 0 ? 0 : delay_ns);
  std::lock_guard lk(mu_);
  TimerId id = next_id_++;
  if (stopping_) return id;
  timers_.emplace(id, std::make_pair(deadline, std::move(fn)));
  bool earliest = due_.empty() || deadline < due_.begin()->first;
  due_.emplace(deadline, id);
  if (earliest) cv_.notify_all();
  return id;
}

void ThreadTimers::cancel(TimerId id) {
  std::lock_guard lk(mu_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto [lo, hi] = due_.equal_range(it->second.first);
  for (auto d = lo; d != hi; ++d)
    if (d->second == id) {
      due_.erase(d);
      break;
    }
  timers_.erase(it);
}

void ThreadTimers::run() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lk);
      continue;
    }
    int64_t deadline = due_.begin()->first;
    int64_t now = now_ns();
    if (deadline > now) {
      cv_.wait_for(lk, std::chrono::nanoseconds(deadline - now));
      continue;
    }
    TimerId id = due_.begin()->second;
    due_.erase(due_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    auto fn = std::move(it->second.second);
    timers_.erase(it);
    lk.unlock();
    fn();
    lk.lock();
  }
}

}  // namespace berth::engine::health
