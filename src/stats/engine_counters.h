// The engine's own counters for /metrics: API requests by route template and
// status with a latency histogram, image pulls, builds and build-cache hits.
// Thread-safe; counting is a short locked map update.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stats/prom_text.h"

namespace berth::stats {

// Latency buckets (seconds): sub-millisecond answers to long pulls and builds.
inline const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,   0.5,   1,      2.5,   5,    10,   30,    60};

// Gauges read from the engine at scrape time.
struct EngineGauges {
  std::map<std::string, uint64_t> containers_by_state;  // "running", "paused", "exited", ...
  uint64_t images = 0;
};

class EngineCounters {
 public:
  // route: the matched pattern ("/containers/{name}/json"), "" when none matched.
  void api_request(std::string_view method, std::string_view route, int status, double seconds);
  void pull(bool ok);
  void build(bool ok);
  void build_cache_hit();
  void build_cache_miss();

  void write(prom::TextWriter& w, const EngineGauges& gauges) const;

 private:
  struct Latency {
    std::vector<uint64_t> buckets = std::vector<uint64_t>(kLatencyBounds.size(), 0);  // per bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // method, route, status
  std::map<std::pair<std::string, std::string>, Latency> latency_;         // method, route
  uint64_t pulls_ok_ = 0, pulls_failed_ = 0, builds_ok_ = 0, builds_failed_ = 0;
  uint64_t cache_hits_ = 0, cache_misses_ = 0;
};

}  // namespace berth::stats
