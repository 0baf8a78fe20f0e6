// The daemon's event bus (`GET /events`): every container, image and daemon
// action is published here; subscribers get the live stream, and a bounded
// in-memory history answers `since` (as dockerd keeps its last events).
// Docker's rendering and filters are the API edge's (dockerapi/events_json.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/system.h"
#include "model/event.h"

namespace berth::engine {

using model::Event;

class Events {
 public:
  void publish(Event e);

  class Subscription : public backend::EventSubscription {
   public:
    // Next event after the previous one; waits up to deadline_ns (0: for
    // ever) or until cancel(). nullopt on timeout/cancel.
    std::optional<Event> next(int64_t deadline_ns) override;
    void cancel() override;

    ~Subscription() override;

   private:
    friend class Events;
    Events* owner_ = nullptr;
    uint64_t next_seq_ = 0;
    bool cancelled_ = false;
  };
  // Replays the history from since_ns (when given), then follows live events.
  std::unique_ptr<backend::EventSubscription> subscribe(std::optional<int64_t> since_ns);
  int subscribers() const { return subscribers_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, Event>> history_;  // (seq, event), at most kHistory
  uint64_t seq_ = 0;
  std::atomic<int> subscribers_{0};
  static constexpr size_t kHistory = 1024;
};

}  // namespace berth::engine
