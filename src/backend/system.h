// What the system routes (/info, /events) may ask of the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/event.h"

namespace berth::backend {

struct EngineInfo {
  int containers = 0, running = 0, paused = 0, stopped = 0;
  int images = 0;
  std::vector<std::string> runtimes;  // Task implementations by name
  std::string default_runtime;
  std::string logging_driver;  // the daemon's default
  int event_listeners = 0;
  bool swap_limit = false;  // swap accounting in the memory cgroup
  bool cgroup2 = false;     // a pure cgroup v2 host
};

class EventSubscription {
 public:
  virtual ~EventSubscription() = default;
  // The next event; waits until deadline_ns (0: for ever) or cancel(). nullopt then.
  virtual std::optional<model::Event> next(int64_t deadline_ns) = 0;
  virtual void cancel() = 0;  // from any thread
};

class SystemBackend {
 public:
  virtual ~SystemBackend() = default;
  virtual EngineInfo info() = 0;
  // Past events from since_ns (when given), then live ones.
  virtual std::unique_ptr<EventSubscription> subscribe(std::optional<int64_t> since_ns) = 0;
};

}  // namespace berth::backend
