// Per-container families for /metrics, cAdvisor's names where it has one
// (container_cpu_usage_seconds_total, container_memory_working_set_bytes,
// ...), from the sampler's latest snapshot and the engine's records.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stats/prom_text.h"
#include "stats/sampler.h"

namespace berth::stats {

struct ContainerMeta {
  std::string id, name, image;
  std::map<std::string, std::string> labels;  // the container's labels (Compose's and the CRI's become metric labels)
  bool running = false;
  uint64_t restarts = 0;
  std::optional<std::string> health;  // "starting", "healthy", "unhealthy"; none without a healthcheck
  int64_t started_wall_ns = 0;        // current run's start (running ones)
};

// Metric labels of a container: id, name, image, then compose_project,
// compose_service, pod, namespace, container where its labels have them.
prom::Labels metric_labels(const ContainerMeta& c);

// Resource families for running containers found in the snapshot; restarts,
// health and start time from the records.
void write_container_metrics(prom::TextWriter& w, const std::vector<ContainerMeta>& containers, const Snapshot& snap);

}  // namespace berth::stats
