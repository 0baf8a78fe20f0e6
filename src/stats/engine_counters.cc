#include "stats/engine_counters.h"

namespace berth::stats {

void EngineCounters::api_request(std::string_view method, std::string_view route, int status, double seconds) {
  std::string r = route.empty() ? "unmatched" : std::string(route);
  std::lock_guard lk(mu_);
  ++requests_[{std::string(method), r, status}];
  auto& l = latency_[{std::string(method), r}];
  for (size_t i = 0; i < kLatencyBounds.size(); ++i)
    if (seconds <= kLatencyBounds[i]) {
      ++l.buckets[i];
      break;
    }
  ++l.count;
  l.sum += seconds;
}

void EngineCounters::pull(bool ok) {
  std::lock_guard lk(mu_);
  ++(ok ? pulls_ok_ : pulls_failed_);
}

void EngineCounters::build(bool ok) {
  std::lock_guard lk(mu_);
  ++(ok ? builds_ok_ : builds_failed_);
}

void EngineCounters::build_cache_hit() {
  std::lock_guard lk(mu_);
  ++cache_hits_;
}

void EngineCounters::build_cache_miss() {
  std::lock_guard lk(mu_);
  ++cache_misses_;
}

void EngineCounters::write(prom::TextWriter& w, const EngineGauges& gauges) const {
  using prom::Type;
  std::lock_guard lk(mu_);
  w.family("berth_api_requests_total", Type::Counter, "Docker API requests answered, by method, route template and HTTP status.");
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    w.sample("berth_api_requests_total", {{"method", method}, {"route", route}, {"status", std::to_string(status)}}, n);
  }
  w.family("berth_api_request_duration_seconds", Type::Histogram,
           "Time from a request's headers to its answer (streams: to their end), by method and route template.");
  for (const auto& [key, l] : latency_) {
    std::vector<uint64_t> cumulative(l.buckets.size());
    uint64_t run = 0;
    for (size_t i = 0; i < l.buckets.size(); ++i) cumulative[i] = run += l.buckets[i];
    w.histogram("berth_api_request_duration_seconds", {{"method", key.first}, {"route", key.second}}, kLatencyBounds,
                cumulative, l.sum, l.count);
  }
  w.family("berth_containers", Type::Gauge, "Containers by state.");
  for (const char* state : {"created", "running", "paused", "restarting", "removing", "exited", "dead"}) {
    auto it = gauges.containers_by_state.find(state);
    w.sample("berth_containers", {{"state", state}}, it == gauges.containers_by_state.end() ? uint64_t{0} : it->second);
  }
  w.family("berth_images", Type::Gauge, "Images in the image store.");
  w.sample("berth_images", {}, gauges.images);
  w.family("berth_image_pulls_total", Type::Counter, "Image pulls, by result.");
  w.sample("berth_image_pulls_total", {{"result", "success"}}, pulls_ok_);
  w.sample("berth_image_pulls_total", {{"result", "failure"}}, pulls_failed_);
  w.family("berth_builds_total", Type::Counter, "Image builds, by result.");
  w.sample("berth_builds_total", {{"result", "success"}}, builds_ok_);
  w.sample("berth_builds_total", {{"result", "failure"}}, builds_failed_);
  w.family("berth_build_cache_hits_total", Type::Counter, "Build steps answered from the build cache.");
  w.sample("berth_build_cache_hits_total", {}, cache_hits_);
  w.family("berth_build_cache_misses_total", Type::Counter, "Build steps that ran (no cached result).");
  w.sample("berth_build_cache_misses_total", {}, cache_misses_);
}

}  // namespace berth::stats
