// The daemon's healthcheck scheduler: every watched container's next probe
// is a timer on one Timers queue (one thread for all containers, no polling);
// a probe is started through the Prober (the container service runs it as an
// exec in the container), its timeout is another timer that kills it, and
// its end (on the exec's own thread) records the result by Docker's rules
// (rules.h), hands the new health to the HealthSink, then arms the next probe.
//
// Locking: the monitor's mutex guards its entries only; the Prober, the
// probes' handles and the sink are called without it, so the container
// service may call in here while holding its own lock, except unwatch/pause
// (they kill a running probe: a task call).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/health/rules.h"
#include "engine/health/timers.h"
#include "model/health.h"

namespace berth::engine::health {

// A probe that runs; kill() ends it early (its end is still reported).
class ProbeHandle {
 public:
  virtual ~ProbeHandle() = default;
  virtual void kill() = 0;
};

// exit code (128+N when killed by signal N) and the output kept.
using ProbeDone = std::function<void(int exit_code, std::string output)>;

class Prober {
 public:
  virtual ~Prober() = default;
  // Starts argv in the container; done is called once when it ended (maybe
  // before this returns, from any thread). An error: nothing was started and
  // done is never called.
  virtual Result<std::shared_ptr<ProbeHandle>> start_probe(const std::string& id, const std::vector<std::string>& argv,
                                                           ProbeDone done) = 0;
};

class HealthSink {
 public:
  virtual ~HealthSink() = default;
  // The container's health after a probe of its run `run` (the token given
  // to watch); changed: its status changed with this probe.
  virtual void on_health(const std::string& id, const std::string& run, const model::Health& health, bool changed) = 0;
};

class Monitor {
 public:
  // wall_now: the time stamps of results (RFC 3339 nano).
  Monitor(Timers& timers, Prober& prober, HealthSink& sink, std::function<std::string()> wall_now);
  ~Monitor();

  // Starts (or restarts) probing a running container: the first probe after
  // the delay its state calls for. since_start_ns: how long the container
  // has been running (0 at a start; more at a live restore).
  void watch(const std::string& id, const std::string& run, const Settings& settings, const model::Health& initial,
             int64_t since_start_ns);
  // Stops probing (a running probe is killed, its result dropped); resume
  // schedules the next probe an interval from now, keeping the health.
  void pause(const std::string& id);
  void resume(const std::string& id);
  void unwatch(const std::string& id);
  // unwatch of every container; later calls do nothing.
  void shutdown();

  // For tests and diagnostics.
  size_t watched();
  bool probing(const std::string& id);

 private:
  struct Entry {
    uint64_t gen = 0;      // changes at every watch/pause: older callbacks are dropped
    uint64_t probe_seq = 0;
    std::string run;
    Settings settings;
    model::Health health;
    int64_t started_mono = 0;  // the container's start on the timers' clock
    bool paused = false;
    bool probing = false;
    bool timed_out = false;
    std::string probe_start;  // wall time of the running probe's start
    int64_t probe_start_mono = 0;
    Timers::TimerId next = 0, deadline = 0;
    std::shared_ptr<ProbeHandle> probe;
  };

  void schedule(const std::string& id, Entry& e);  // mu_ held
  void fire(const std::string& id, uint64_t gen);
  void on_timeout(const std::string& id, uint64_t gen, uint64_t seq);
  void finished(const std::string& id, uint64_t gen, uint64_t seq, int exit_code, std::string output);
  // Cancels e's timers and takes its probe (to kill without mu_).
  std::shared_ptr<ProbeHandle> disarm(Entry& e);  // mu_ held

  Timers& timers_;
  Prober& prober_;
  HealthSink& sink_;
  std::function<std::string()> wall_now_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t next_gen_ = 1;
  bool shut_ = false;
};

}  // namespace berth::engine::health
