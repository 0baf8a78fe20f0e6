// The progress messages of a pull or push, from several transfer threads:
// one at a time to the sink (which writes them to the client).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "registry/progress.h"

namespace berth::registry {

// Called from several threads, one message at a time (the Reporter serializes).
using ProgressSink = std::function<void(const ProgressMessage&)>;

class Reporter {
 public:
  explicit Reporter(const ProgressSink& sink) : sink_(sink) {}
  // A status line; layer statuses carry an empty progressDetail, as dockerd's.
  void status(const std::string& status, const std::string& id = {}, bool empty_detail = false) {
    ProgressMessage m;
    m.status = status;
    m.id = id;
    m.empty_detail = empty_detail;
    send(m);
  }
  // "Downloading" / "Pushing" with its bar.
  void bytes(const std::string& status, const std::string& id, uint64_t current, uint64_t total) {
    ProgressMessage m;
    m.status = status;
    m.id = id;
    m.current = current;
    m.total = total;
    send(m);
  }
  // A result for the client (a push's tag, digest and size), as dockerd's progress.Aux.
  void aux(const std::string& json_object) {
    ProgressMessage m;
    m.aux_json = json_object;
    send(m);
  }

 private:
  void send(const ProgressMessage& m) {
    std::lock_guard lk(mu_);
    if (sink_) sink_(m);
  }
  const ProgressSink& sink_;
  std::mutex mu_;
};

}  // namespace berth::registry
