#include "task/stats.h"

namespace berth::task {
namespace {

const nlohmann::json& child(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

uint64_t u64(const nlohmann::json& j, const char* key) {
  const auto& v = child(j, key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() > 0) return static_cast<uint64_t>(v.get<int64_t>());
  return 0;
}

std::vector<model::BlkioEntry> blkio(const nlohmann::json& list) {
  std::vector<model::BlkioEntry> out;
  if (!list.is_array()) return out;
  for (const auto& e : list) {
    model::BlkioEntry b;
    b.major = u64(e, "major");
    b.minor = u64(e, "minor");
    if (const auto& op = child(e, "op"); op.is_string()) b.op = op.get<std::string>();
    b.value = u64(e, "value");
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

model::ContainerStats stats_from_cgroup_json(const nlohmann::json& s, const stats::HostFacts& host) {
  model::ContainerStats out;
  out.running = true;
  const auto& cpu = child(s, "cpu");
  const auto& usage = child(cpu, "usage");
  out.cpu.total_ns = u64(usage, "total");
  out.cpu.kernel_ns = u64(usage, "kernel");
  out.cpu.user_ns = u64(usage, "user");
  if (const auto& per = child(usage, "percpu"); per.is_array())
    for (const auto& v : per) out.cpu.per_cpu_ns.push_back(v.is_number_unsigned() ? v.get<uint64_t>() : 0);
  const auto& thr = child(cpu, "throttling");
  out.cpu.periods = u64(thr, "periods");
  out.cpu.throttled_periods = u64(thr, "throttledPeriods");
  out.cpu.throttled_ns = u64(thr, "throttledTime");
  out.cpu.system_ns = host.system_cpu_ns;
  out.cpu.online_cpus = host.online_cpus;

  const auto& mem = child(s, "memory");
  const auto& mu = child(mem, "usage");
  out.memory.usage = u64(mu, "usage");
  out.memory.max_usage = u64(mu, "max");
  out.memory.failcnt = u64(mu, "failcnt");
  out.memory.limit = u64(mu, "limit");
  if (out.memory.limit == 0 || out.memory.limit > (1ull << 62)) out.memory.limit = host.memory_bytes;
  if (const auto& raw = child(mem, "raw"); raw.is_object())
    for (const auto& [k, v] : raw.items())
      if (v.is_number_unsigned()) out.memory.raw[k] = v.get<uint64_t>();

  const auto& pids = child(s, "pids");
  out.pids = u64(pids, "current");
  if (uint64_t limit = u64(pids, "limit"); limit > 0) out.pids_limit = limit;

  const auto& io = child(s, "blkio");
  out.io_service_bytes = blkio(child(io, "ioServiceBytesRecursive"));
  out.io_serviced = blkio(child(io, "ioServicedRecursive"));
  return out;
}

}  // namespace berth::task
