#include "dockerapi/stats_json.h"

namespace berth::dockerapi {
namespace {

using nlohmann::json;

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

json cpu_json(const model::ContainerStats& s) {
  json usage = {{"total_usage", s.cpu.total_ns}, {"usage_in_kernelmode", s.cpu.kernel_ns},
                {"usage_in_usermode", s.cpu.user_ns}};
  json j = {{"cpu_usage", usage},
            {"throttling_data",
             {{"periods", s.cpu.periods}, {"throttled_periods", s.cpu.throttled_periods},
              {"throttled_time", s.cpu.throttled_ns}}}};
  if (s.running) {
    j["cpu_usage"]["percpu_usage"] = s.cpu.per_cpu_ns;
    j["system_cpu_usage"] = s.cpu.system_ns;
    j["online_cpus"] = s.cpu.online_cpus;
  }
  return j;
}

json blkio_list(const std::vector<model::BlkioEntry>& list, bool running) {
  if (!running) return nullptr;
  json a = json::array();
  for (const auto& e : list) a.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  return a;
}

}  // namespace

json render_stats(const model::ContainerStats& s, const model::ContainerStats* prev) {
  json memory = json::object();
  json pids = json::object();
  if (s.running) {
    memory = {{"usage", s.memory.usage}, {"max_usage", s.memory.max_usage}, {"failcnt", s.memory.failcnt},
              {"stats", s.memory.raw},   {"limit", s.memory.limit}};
    pids = {{"current", s.pids}};
    if (s.pids_limit) pids["limit"] = *s.pids_limit;
  }
  json blkio = {{"io_service_bytes_recursive", blkio_list(s.io_service_bytes, s.running)},
                {"io_serviced_recursive", blkio_list(s.io_serviced, s.running)},
                {"io_queue_recursive", nullptr},
                {"io_service_time_recursive", nullptr},
                {"io_wait_time_recursive", nullptr},
                {"io_merged_recursive", nullptr},
                {"io_time_recursive", nullptr},
                {"sectors_recursive", nullptr}};
  model::ContainerStats zero;
  json out = {{"read", s.read},
          {"preread", prev ? prev->read : kZeroTime},
          {"name", s.name},
          {"id", s.id},
          {"num_procs", 0},
          {"pids_stats", pids},
          {"blkio_stats", blkio},
          {"storage_stats", json::object()},
          {"cpu_stats", cpu_json(s)},
          {"precpu_stats", cpu_json(prev ? *prev : zero)},
          {"memory_stats", memory}};
  if (s.running && s.has_networks) {
    json nets = json::object();
    for (const auto& n : s.networks)
      nets[n.name] = {{"rx_bytes", n.rx_bytes}, {"rx_packets", n.rx_packets}, {"rx_errors", n.rx_errors},
                      {"rx_dropped", n.rx_dropped}, {"tx_bytes", n.tx_bytes}, {"tx_packets", n.tx_packets},
                      {"tx_errors", n.tx_errors}, {"tx_dropped", n.tx_dropped}};
    out["networks"] = std::move(nets);
  }
  return out;
}

}  // namespace berth::dockerapi
