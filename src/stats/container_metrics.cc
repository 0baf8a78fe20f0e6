#include "stats/container_metrics.h"

#include <functional>

namespace berth::stats {
namespace {

using prom::Labels;
using prom::Type;

struct Row {
  const ContainerMeta* meta;
  Labels labels;
  const model::ContainerStats* s;  // null when not running or not sampled
};

constexpr double kNs = 1e9;

uint64_t blkio_sum(const std::vector<model::BlkioEntry>& list, const char* op, uint64_t major, uint64_t minor) {
  uint64_t v = 0;
  for (const auto& e : list)
    if (e.major == major && e.minor == minor && (e.op == op || (op[0] == 'R' && e.op == "read") || (op[0] == 'W' && e.op == "write")))
      v += e.value;
  return v;
}

// "major:minor" of every device in the list, once each.
std::vector<std::pair<uint64_t, uint64_t>> devices(const model::ContainerStats& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto* list : {&s.io_service_bytes, &s.io_serviced})
    for (const auto& e : *list) {
      std::pair d{e.major, e.minor};
      bool seen = false;
      for (const auto& o : out) seen = seen || o == d;
      if (!seen) out.push_back(d);
    }
  return out;
}

Labels with(Labels l, std::string k, std::string v) {
  l.emplace_back(std::move(k), std::move(v));
  return l;
}

}  // namespace

prom::Labels metric_labels(const ContainerMeta& c) {
  Labels l{{"id", c.id}, {"name", c.name}, {"image", c.image}};
  static const std::pair<const char*, const char*> kFromLabels[] = {
      {"com.docker.compose.project", "compose_project"},
      {"com.docker.compose.service", "compose_service"},
      {"io.kubernetes.pod.name", "pod"},
      {"io.kubernetes.pod.namespace", "namespace"},
      {"io.kubernetes.container.name", "container"},
  };
  for (const auto& [from, to] : kFromLabels)
    if (auto it = c.labels.find(from); it != c.labels.end()) l.emplace_back(to, it->second);
  return l;
}

void write_container_metrics(prom::TextWriter& w, const std::vector<ContainerMeta>& containers, const Snapshot& snap) {
  std::vector<Row> rows;
  rows.reserve(containers.size());
  for (const auto& c : containers) {
    const model::ContainerStats* s = nullptr;
    if (c.running)
      if (auto it = snap.containers.find(c.id); it != snap.containers.end()) s = &it->second.current;
    rows.push_back({&c, metric_labels(c), s});
  }
  // One family: its samples for every sampled container.
  auto gauge_or_counter = [&](const char* name, Type type, const char* help,
                              const std::function<double(const model::ContainerStats&)>& value) {
    w.family(name, type, help);
    for (const auto& r : rows)
      if (r.s) w.sample(name, r.labels, value(*r.s));
  };
  auto integer = [&](const char* name, Type type, const char* help,
                     const std::function<uint64_t(const model::ContainerStats&)>& value) {
    w.family(name, type, help);
    for (const auto& r : rows)
      if (r.s) w.sample(name, r.labels, value(*r.s));
  };

  gauge_or_counter("container_cpu_usage_seconds_total", Type::Counter, "Cumulative CPU time consumed, in seconds.",
                   [](const auto& s) { return s.cpu.total_ns / kNs; });
  gauge_or_counter("container_cpu_user_seconds_total", Type::Counter, "Cumulative CPU time in user mode, in seconds.",
                   [](const auto& s) { return s.cpu.user_ns / kNs; });
  gauge_or_counter("container_cpu_system_seconds_total", Type::Counter, "Cumulative CPU time in kernel mode, in seconds.",
                   [](const auto& s) { return s.cpu.kernel_ns / kNs; });
  integer("container_cpu_cfs_periods_total", Type::Counter, "Elapsed CFS enforcement periods.",
          [](const auto& s) { return s.cpu.periods; });
  integer("container_cpu_cfs_throttled_periods_total", Type::Counter, "CFS periods in which the container was throttled.",
          [](const auto& s) { return s.cpu.throttled_periods; });
  gauge_or_counter("container_cpu_cfs_throttled_seconds_total", Type::Counter, "Total time the container was throttled, in seconds.",
                   [](const auto& s) { return s.cpu.throttled_ns / kNs; });
  integer("container_memory_usage_bytes", Type::Gauge, "Memory usage, page cache included (memory.usage_in_bytes / memory.current).",
          [](const auto& s) { return s.memory.usage; });
  integer("container_memory_working_set_bytes", Type::Gauge, "Working set: memory usage minus inactive file pages.",
          [](const auto& s) { return working_set_bytes(s.memory); });
  integer("container_memory_max_usage_bytes", Type::Gauge, "Highest memory usage recorded (0 where the kernel keeps none).",
          [](const auto& s) { return s.memory.max_usage; });
  integer("container_spec_memory_limit_bytes", Type::Gauge, "Memory limit (the host's memory when the container has none).",
          [](const auto& s) { return s.memory.limit; });
  integer("container_memory_cache", Type::Gauge, "Page cache memory, in bytes.", [](const auto& s) {
    auto it = s.memory.raw.find("total_cache");
    if (it == s.memory.raw.end()) it = s.memory.raw.find("file");
    return it == s.memory.raw.end() ? uint64_t{0} : it->second;
  });
  integer("container_memory_rss", Type::Gauge, "Anonymous memory, in bytes.", [](const auto& s) {
    auto it = s.memory.raw.find("total_rss");
    if (it == s.memory.raw.end()) it = s.memory.raw.find("anon");
    return it == s.memory.raw.end() ? uint64_t{0} : it->second;
  });
  integer("container_memory_failcnt_total", Type::Counter, "Times memory usage hit the limit.",
          [](const auto& s) { return s.memory.failcnt; });
  integer("container_oom_events_total", Type::Counter, "Processes killed by the kernel's OOM killer in the container.",
          [](const auto& s) { return s.oom_kills; });
  integer("container_threads", Type::Gauge, "Tasks (processes and threads) in the container: pids.current, docker stats' PIDS.",
          [](const auto& s) { return s.pids; });
  w.family("container_threads_max", Type::Gauge, "The container's task limit (pids.max); absent when unlimited.");
  for (const auto& r : rows)
    if (r.s && r.s->pids_limit) w.sample("container_threads_max", r.labels, *r.s->pids_limit);

  struct Io {
    const char* name;
    const char* help;
    bool bytes;
    const char* op;
  };
  for (const Io& io : {Io{"container_fs_reads_bytes_total", "Bytes read from block devices.", true, "Read"},
                       Io{"container_fs_writes_bytes_total", "Bytes written to block devices.", true, "Write"},
                       Io{"container_fs_reads_total", "Completed block device reads.", false, "Read"},
                       Io{"container_fs_writes_total", "Completed block device writes.", false, "Write"}}) {
    w.family(io.name, Type::Counter, io.help);
    for (const auto& r : rows) {
      if (!r.s) continue;
      for (const auto& [major, minor] : devices(*r.s))
        w.sample(io.name, with(r.labels, "device", std::to_string(major) + ":" + std::to_string(minor)),
                 blkio_sum(io.bytes ? r.s->io_service_bytes : r.s->io_serviced, io.op, major, minor));
    }
  }

  struct Net {
    const char* name;
    const char* help;
    uint64_t model::NetworkStats::*field;
  };
  for (const Net& n : {Net{"container_network_receive_bytes_total", "Bytes received.", &model::NetworkStats::rx_bytes},
                       Net{"container_network_receive_packets_total", "Packets received.", &model::NetworkStats::rx_packets},
                       Net{"container_network_receive_errors_total", "Receive errors.", &model::NetworkStats::rx_errors},
                       Net{"container_network_receive_packets_dropped_total", "Received packets dropped.",
                           &model::NetworkStats::rx_dropped},
                       Net{"container_network_transmit_bytes_total", "Bytes sent.", &model::NetworkStats::tx_bytes},
                       Net{"container_network_transmit_packets_total", "Packets sent.", &model::NetworkStats::tx_packets},
                       Net{"container_network_transmit_errors_total", "Transmit errors.", &model::NetworkStats::tx_errors},
                       Net{"container_network_transmit_packets_dropped_total", "Sent packets dropped.",
                           &model::NetworkStats::tx_dropped}}) {
    w.family(n.name, Type::Counter, n.help);
    for (const auto& r : rows) {
      if (!r.s) continue;
      for (const auto& iface : r.s->networks) w.sample(n.name, with(r.labels, "interface", iface.name), iface.*n.field);
    }
  }

  w.family("container_start_time_seconds", Type::Gauge, "Start time of the container's current run, in seconds since the epoch.");
  for (const auto& r : rows)
    if (r.meta->running && r.meta->started_wall_ns > 0)
      w.sample("container_start_time_seconds", r.labels, static_cast<double>(r.meta->started_wall_ns) / kNs);
  w.family("berth_container_restarts_total", Type::Counter, "Restarts by the container's restart policy (Docker's RestartCount).");
  for (const auto& r : rows) w.sample("berth_container_restarts_total", r.labels, r.meta->restarts);
  w.family("berth_container_running", Type::Gauge, "1 while the container runs, else 0.");
  for (const auto& r : rows) w.sample("berth_container_running", r.labels, uint64_t{r.meta->running ? 1u : 0u});
  w.family("berth_container_health_status", Type::Gauge,
           "1 for the container's current health status, 0 for the others (containers with a healthcheck).");
  for (const auto& r : rows) {
    if (!r.meta->health) continue;
    for (const char* st : {"starting", "healthy", "unhealthy"})
      w.sample("berth_container_health_status", with(r.labels, "status", st), uint64_t{*r.meta->health == st ? 1u : 0u});
  }
}

}  // namespace berth::stats
