// The daemon's event bus (`GET /events`): every container, image and daemon
// action is published here; subscribers get the live stream, and a bounded
// in-memory history answers `since` (as dockerd keeps its last events).
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

#include <nlohmann/json.hpp>

namespace berth::engine {

struct Event {
  std::string type;    // "container", "image", "daemon"
  std::string action;  // "create", "start", "die", "tag", "delete", "exec_start: sh", ...
  std::string id;      // Actor.ID: container ID, image ID or reference
  std::map<std::string, std::string> attributes;  // Actor.Attributes (name, image, exitCode, labels...)
  int64_t time_nano = 0;                           // set by publish()

  // Docker's wire form: {"status","id","from","Type","Action","Actor":{"ID","Attributes"},
  // "scope":"local","time","timeNano"} ("status"/"id"/"from" only for containers and images).
  nlohmann::json to_json() const;
};

// Docker's /events filters: type, event (action), container, image, label,
// daemon; values of one key are OR'ed, keys AND'ed.
struct EventFilter {
  std::map<std::string, std::vector<std::string>> by_key;
  bool matches(const Event& e) const;
  // From the `filters` query parameter (JSON {"key":["v",...]} or the old {"key":{"v":true}}).
  static std::optional<EventFilter> parse(const std::string& json);
};

class Events {
 public:
  void publish(Event e);

  class Subscription {
   public:
    // Next event after the previous one; waits up to deadline_ns (0: for
    // ever) or until cancel(). nullopt on timeout/cancel.
    std::optional<Event> next(int64_t deadline_ns);
    void cancel();

    ~Subscription();

   private:
    friend class Events;
    Events* owner_ = nullptr;
    uint64_t next_seq_ = 0;
    bool cancelled_ = false;
  };
  // Replays the history from since_ns (when given), then follows live events.
  std::unique_ptr<Subscription> subscribe(std::optional<int64_t> since_ns);
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
