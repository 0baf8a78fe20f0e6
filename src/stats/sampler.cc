#include "stats/sampler.h"

#include <time.h>

#include "base/go_time.h"

namespace berth::stats {
namespace {

class SystemClock : public Clock {
 public:
  int64_t monotonic_ns() override { return now(CLOCK_MONOTONIC); }
  int64_t wall_ns() override { return now(CLOCK_REALTIME); }

 private:
  static int64_t now(clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

std::string rfc3339(int64_t wall_ns) { return go::format_rfc3339_nano_fixed(go::UnixTime::from_ns(wall_ns)); }

// The base of a container's first rate: nothing used, at its start. The
// host's CPU time then is now's minus the wall time since, on every CPU.
model::ContainerStats start_base(const model::ContainerStats& now, const Target& t, int64_t wall_now) {
  model::ContainerStats base;
  base.running = true;
  base.id = now.id;
  base.name = now.name;
  int64_t since = t.started_wall_ns > 0 && t.started_wall_ns < wall_now ? wall_now - t.started_wall_ns : 0;
  uint64_t host_since = static_cast<uint64_t>(since) * static_cast<uint64_t>(now.cpu.online_cpus > 0 ? now.cpu.online_cpus : 1);
  base.cpu.system_ns = now.cpu.system_ns > host_since ? now.cpu.system_ns - host_since : 0;
  base.cpu.online_cpus = now.cpu.online_cpus;
  base.cpu.per_cpu_ns.assign(now.cpu.per_cpu_ns.size(), 0);
  base.read = rfc3339(t.started_wall_ns > 0 ? t.started_wall_ns : wall_now);
  return base;
}

}  // namespace

Clock& system_clock() {
  static SystemClock c;
  return c;
}

Sampler::Sampler(TargetSource& source, Clock& clock, std::chrono::milliseconds interval)
    : source_(source), clock_(clock), interval_(interval) {}

Sampler::~Sampler() { stop(); }

void Sampler::stop() {
  std::unique_lock lk(mu_);
  stopping_ = true;
  cv_.notify_all();
  std::thread t = std::move(thread_);
  lk.unlock();
  if (t.joinable()) t.join();
}

std::shared_ptr<Snapshot> Sampler::take(const std::shared_ptr<const Snapshot>& before) {
  auto snap = std::make_shared<Snapshot>();
  HostFacts host = source_.host();
  int64_t wall = clock_.wall_ns();
  std::string read = rfc3339(wall);
  for (auto& t : source_.running()) {
    if (!t.read) continue;
    auto s = t.read(host);
    if (!s) continue;
    s->id = t.id;
    s->name = t.name;
    s->read = read;
    s->running = true;
    Entry e;
    auto old = before->containers.find(t.id);
    // A restarted container's counters began again: its old sample is no base.
    if (old != before->containers.end() && old->second.current.cpu.total_ns <= s->cpu.total_ns &&
        t.started_wall_ns <= before->taken_wall_ns)
      e.previous = old->second.current;
    else
      e.previous = start_base(*s, t, wall);
    e.current = std::move(*s);
    snap->containers.emplace(t.id, std::move(e));
  }
  snap->taken_ns = clock_.monotonic_ns();
  snap->taken_wall_ns = wall;
  snap->seq = before->seq + 1;
  return snap;
}

std::shared_ptr<const Snapshot> Sampler::sample_locked(std::unique_lock<std::mutex>& lk) {
  if (sampling_) {
    // Someone is sampling: theirs is fresh enough.
    uint64_t seq = latest_->seq;
    cv_.wait(lk, [&] { return !sampling_ || latest_->seq != seq; });
    return latest_;
  }
  sampling_ = true;
  auto before = latest_;
  lk.unlock();
  std::shared_ptr<Snapshot> snap;
  try {
    snap = take(before);
  } catch (...) {
    lk.lock();
    sampling_ = false;
    cv_.notify_all();
    throw;
  }
  lk.lock();
  latest_ = std::move(snap);
  ++passes_;
  sampling_ = false;
  cv_.notify_all();
  return latest_;
}

std::shared_ptr<const Snapshot> Sampler::latest(const std::string& must_have) {
  std::unique_lock lk(mu_);
  int64_t age = clock_.monotonic_ns() - latest_->taken_ns;
  bool fresh = latest_->seq > 0 && age >= 0 && age < std::chrono::nanoseconds(interval_).count();
  if (fresh && (must_have.empty() || latest_->containers.count(must_have))) return latest_;
  return sample_locked(lk);
}

std::shared_ptr<const Snapshot> Sampler::wait_newer(uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return latest_->seq > seq || stopping_; });
  return latest_;
}

std::unique_ptr<Sampler::Watch> Sampler::watch() {
  std::lock_guard lk(mu_);
  if (++watchers_ == 1 && !stopping_) {
    // A new loop of its own generation: one still ending (its last watcher
    // just left) is being joined by that watcher and stops at its next check.
    uint64_t gen = ++loop_gen_;
    ++loops_running_;
    thread_ = std::thread([this, gen] { loop(gen); });
  }
  return std::make_unique<Watch>(this);
}

Sampler::Watch::~Watch() { s_->unwatch(); }

void Sampler::unwatch() {
  std::unique_lock lk(mu_);
  if (--watchers_ > 0) return;
  ++loop_gen_;  // the running loop's end
  cv_.notify_all();
  std::thread t = std::move(thread_);
  lk.unlock();
  // Joined here, so the thread is gone when the last watcher is.
  if (t.joinable()) t.join();
}

void Sampler::loop(uint64_t gen) {
  std::unique_lock lk(mu_);
  const int64_t interval_ns = std::chrono::nanoseconds(interval_).count();
  while (loop_gen_ == gen && !stopping_) {
    int64_t age = clock_.monotonic_ns() - latest_->taken_ns;
    if (latest_->seq == 0 || age < 0 || age >= interval_ns) {
      sample_locked(lk);
      continue;
    }
    auto wait = std::chrono::nanoseconds(interval_ns - age);
    cv_.wait_for(lk, wait, [&] { return loop_gen_ != gen || stopping_; });
  }
  --loops_running_;
}

bool Sampler::thread_running() const {
  std::lock_guard lk(mu_);
  return loops_running_ > 0;
}

uint64_t Sampler::passes() const {
  std::lock_guard lk(mu_);
  return passes_;
}

}  // namespace berth::stats
