#include "vmagent/guest_stats.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "base/file.h"
#include "base/strings.h"

namespace berth::vmagent {
namespace {

uint64_t num(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return 0;
    auto it = cur->find(k);
    if (it == cur->end()) return 0;
    cur = &*it;
  }
  return cur->is_number_unsigned() || (cur->is_number_integer() && cur->get<int64_t>() >= 0) ? cur->get<uint64_t>() : 0;
}

}  // namespace

std::string guest_kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return "";
  return u.release;
}

void parse_meminfo(const std::string& text, uint64_t& total, uint64_t& available) {
  total = available = 0;
  for (const auto& line : split(text, '\n', true)) {
    auto f = split(line, ' ', true);
    if (f.size() < 2) continue;
    uint64_t kib = parse_uint(f[1]).value_or(0);
    if (f[0] == "MemTotal:") total = kib * 1024;
    if (f[0] == "MemAvailable:") available = kib * 1024;
  }
}

uint64_t parse_proc_stat_cpu_ns(const std::string& text, long ticks_per_second) {
  auto lines = split(text, '\n', true);
  if (lines.empty() || ticks_per_second <= 0) return 0;
  auto f = split(lines[0], ' ', true);
  if (f.empty() || f[0] != "cpu") return 0;
  uint64_t ticks = 0;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  for (size_t i = 1; i < f.size() && i <= 8; ++i) ticks += parse_uint(f[i]).value_or(0);
  return ticks * (1000000000ull / static_cast<uint64_t>(ticks_per_second));
}

Result<vmproto::ContainerStats> container_stats_from(const nlohmann::json& raw) {
  vmproto::ContainerStats s;
  s.cpu_usage_ns = num(raw, {"cpu", "usage", "total"});
  s.cpu_user_ns = num(raw, {"cpu", "usage", "user"});
  s.cpu_system_ns = num(raw, {"cpu", "usage", "kernel"});
  s.memory_usage = num(raw, {"memory", "usage", "usage"});
  s.memory_limit = num(raw, {"memory", "usage", "limit"});
  s.memory_max_usage = num(raw, {"memory", "usage", "max"});
  if (auto it = raw.find("memory"); it != raw.end() && it->is_object()) {
    if (auto r = it->find("raw"); r != it->end() && r->is_object())
      for (const auto& [k, v] : r->items())
        if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) s.memory_stat[k] = v.get<uint64_t>();
  }
  s.pids_current = num(raw, {"pids", "current"});
  s.pids_limit = num(raw, {"pids", "limit"});
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  s.online_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  parse_meminfo(read_file("/proc/meminfo").value_or(""), s.guest_mem_total, s.guest_mem_available);
  // A cgroup without a memory limit is bounded by the guest's memory: that is the VM's size.
  if (s.memory_limit == 0 || s.memory_limit == UINT64_MAX || s.memory_limit > s.guest_mem_total)
    s.memory_limit = s.guest_mem_total;
  s.system_cpu_ns = parse_proc_stat_cpu_ns(read_file("/proc/stat").value_or(""), ::sysconf(_SC_CLK_TCK));
  return s;
}

}  // namespace berth::vmagent
