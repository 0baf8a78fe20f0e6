// The daemon's one stats sampler: every running container's counters read
// once per interval and shared by every consumer (docker stats streams and
// one-shots, the Prometheus scrape, berth stats).
//
// It costs nothing while nobody watches: no thread runs until a stream asks
// for one (watch()), and it stops with the last watcher. A one-shot request
// or a scrape takes the latest sample when it is younger than the interval,
// else it samples at once (one pass for all callers arriving meanwhile).
// Every container's entry carries its previous sample, so a CPU rate never
// waits: after a pause the previous one is older (the rate is the average
// since then), and a container never sampled before gets its start as the
// base (zero CPU at its start time: the average since it started, as ps
// shows %CPU).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "model/stats.h"
#include "stats/cgroup_reader.h"

namespace berth::stats {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t monotonic_ns() = 0;
  virtual int64_t wall_ns() = 0;  // since the Unix epoch
};

// CLOCK_MONOTONIC and CLOCK_REALTIME.
Clock& system_clock();

// A running container as the sampler sees it.
struct Target {
  std::string id, name;
  int64_t started_wall_ns = 0;  // its current run's start, for the first rate's base
  // One reading (id, name, read filled by the sampler); nullopt when the
  // container ended meanwhile.
  std::function<std::optional<model::ContainerStats>(const HostFacts&)> read;
};

class TargetSource {
 public:
  virtual ~TargetSource() = default;
  virtual std::vector<Target> running() = 0;
  virtual HostFacts host() = 0;
};

struct Entry {
  model::ContainerStats current;
  model::ContainerStats previous;  // the sample before, or the container's start as base
};

struct Snapshot {
  uint64_t seq = 0;  // 0: nothing sampled yet
  int64_t taken_ns = 0;  // monotonic
  int64_t taken_wall_ns = 0;
  std::map<std::string, Entry> containers;  // running ones, by id
};

class Sampler {
 public:
  Sampler(TargetSource& source, Clock& clock, std::chrono::milliseconds interval);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // The latest sample when younger than the interval and holding
  // `must_have` (a container that started since is sampled at once); else a
  // new one.
  std::shared_ptr<const Snapshot> latest(const std::string& must_have = "");
  // Blocks until a sample newer than seq exists (at most `timeout`); the latest.
  std::shared_ptr<const Snapshot> wait_newer(uint64_t seq, std::chrono::milliseconds timeout);

  // While one exists the sampler's thread samples every interval.
  class Watch {
   public:
    explicit Watch(Sampler* s) : s_(s) {}
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    Sampler* s_;
  };
  std::unique_ptr<Watch> watch();

  // Daemon shutdown: the thread ends, waiters wake, no new thread starts
  // (latest() still samples in its caller).
  void stop();

  bool thread_running() const;  // for tests and the docs' "costs nothing" claim
  uint64_t passes() const;      // sampling passes so far
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::shared_ptr<const Snapshot> sample_locked(std::unique_lock<std::mutex>& lk);
  std::shared_ptr<Snapshot> take(const std::shared_ptr<const Snapshot>& before);
  void loop(uint64_t gen);
  void unwatch();

  TargetSource& source_;
  Clock& clock_;
  const std::chrono::milliseconds interval_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const Snapshot> latest_ = std::make_shared<Snapshot>();
  bool sampling_ = false;
  uint64_t passes_ = 0;
  int watchers_ = 0;
  uint64_t loop_gen_ = 0;  // a loop runs while this is its generation
  int loops_running_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::stats
