// runc's `events --stats` data, read from v1 or v2 files. A file that is
// missing (controller absent, older kernel) leaves its fields at zero.
#include <dirent.h>
#include <unistd.h>

#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/drivers.h"
#include "runtime/cgroup/fs.h"

namespace berth::runtime::cgroup::detail::stats {
namespace {

uint64_t uint_or0(const std::string& dir, const std::string& file) {
  auto v = get_uint(dir, file);
  return v ? *v : 0;
}

std::string text_or_empty(const std::string& dir, const std::string& file) {
  auto t = read_file(join_path(dir, file));
  return t ? *t : std::string();
}

std::vector<uint64_t> uint_list(const std::string& text) {
  std::vector<uint64_t> out;
  for (const auto& w : split(trim(text), ' ', true))
    if (auto v = parse_uint(w)) out.push_back(*v);
  return out;
}

nlohmann::json memory_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
  return {{"limit", limit}, {"usage", usage}, {"max", max}, {"failcnt", failcnt}};
}

nlohmann::json raw_map(const std::string& text) {
  nlohmann::json raw = nlohmann::json::object();
  for (auto& [k, v] : parse_flat_keyed(text)) raw[k] = v;
  return raw;
}

// Page sizes with a hugetlb.<size>.<suffix> file in dir.
std::vector<std::string> hugetlb_sizes(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> sizes;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return sizes;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("hugetlb.", 0) != 0 || name.size() <= 8 + suffix.size()) continue;
    if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string size = name.substr(8, name.size() - 8 - suffix.size());
    if (size.find('.') == std::string::npos) sizes.push_back(size);
  }
  ::closedir(d);
  return sizes;
}

// v1 blkio "maj:min Op value" lines (the trailing "Total" line has no device).
nlohmann::json blkio_entries(const std::string& text) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& line : split(text, '\n', true)) {
    auto f = split(line, ' ', true);
    if (f.size() != 3) continue;
    auto mm = split(f[0], ':');
    auto value = parse_uint(f[2]);
    if (mm.size() != 2 || !value) continue;
    out.push_back({{"major", parse_uint(mm[0]).value_or(0)}, {"minor", parse_uint(mm[1]).value_or(0)},
                   {"op", f[1]}, {"value", *value}});
  }
  return out;
}

}  // namespace

void cpu_v1(const std::string* cpu_dir, const std::string* cpuacct_dir, nlohmann::json& out) {
  auto& usage = out["cpu"]["usage"];
  if (cpuacct_dir) {
    usage["total"] = uint_or0(*cpuacct_dir, "cpuacct.usage");
    usage["percpu"] = uint_list(text_or_empty(*cpuacct_dir, "cpuacct.usage_percpu"));
    // cpuacct.stat counts USER_HZ ticks.
    auto st = text_or_empty(*cpuacct_dir, "cpuacct.stat");
    long hz = ::sysconf(_SC_CLK_TCK);
    uint64_t ns_per_tick = hz > 0 ? 1000000000ull / static_cast<uint64_t>(hz) : 10000000ull;
    usage["user"] = keyed_value(st, "user").value_or(0) * ns_per_tick;
    usage["kernel"] = keyed_value(st, "system").value_or(0) * ns_per_tick;
  }
  if (cpu_dir) {
    auto st = text_or_empty(*cpu_dir, "cpu.stat");
    out["cpu"]["throttling"] = {{"periods", keyed_value(st, "nr_periods").value_or(0)},
                                {"throttledPeriods", keyed_value(st, "nr_throttled").value_or(0)},
                                {"throttledTime", keyed_value(st, "throttled_time").value_or(0)}};
  }
}

void memory_v1(const std::string& dir, nlohmann::json& out) {
  auto entry = [&](const std::string& prefix) {
    return memory_entry(uint_or0(dir, prefix + "limit_in_bytes"), uint_or0(dir, prefix + "usage_in_bytes"),
                        uint_or0(dir, prefix + "max_usage_in_bytes"), uint_or0(dir, prefix + "failcnt"));
  };
  auto& mem = out["memory"];
  mem["usage"] = entry("memory.");
  mem["swap"] = entry("memory.memsw.");
  mem["kernel"] = entry("memory.kmem.");
  mem["kernelTCP"] = entry("memory.kmem.tcp.");
  mem["raw"] = raw_map(text_or_empty(dir, "memory.stat"));
  mem["cache"] = mem["raw"].value("cache", uint64_t{0});
}

void blkio_v1(const std::string& dir, nlohmann::json& out) {
  auto& b = out["blkio"];
  b = nlohmann::json::object();
  // CFQ's files when present, else the throttle layer's (always there).
  auto pick = [&](const char* cfq, const char* fallback) {
    auto t = text_or_empty(dir, cfq);
    return t.empty() && fallback ? text_or_empty(dir, fallback) : t;
  };
  b["ioServiceBytesRecursive"] =
      blkio_entries(pick("blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive"));
  b["ioServicedRecursive"] = blkio_entries(pick("blkio.io_serviced_recursive", "blkio.throttle.io_serviced_recursive"));
  b["ioQueueRecursive"] = blkio_entries(pick("blkio.io_queued_recursive", nullptr));
  b["ioServiceTimeRecursive"] = blkio_entries(pick("blkio.io_service_time_recursive", nullptr));
  b["ioWaitTimeRecursive"] = blkio_entries(pick("blkio.io_wait_time_recursive", nullptr));
  b["ioMergedRecursive"] = blkio_entries(pick("blkio.io_merged_recursive", nullptr));
  b["ioTimeRecursive"] = blkio_entries(pick("blkio.time_recursive", nullptr));
  b["sectorsRecursive"] = blkio_entries(pick("blkio.sectors_recursive", nullptr));
}

void cpu_v2(const std::string& dir, nlohmann::json& out) {
  auto st = text_or_empty(dir, "cpu.stat");
  auto us = [&](const char* key) { return keyed_value(st, key).value_or(0) * 1000; };
  auto& usage = out["cpu"]["usage"];
  usage["total"] = us("usage_usec");
  usage["user"] = us("user_usec");
  usage["kernel"] = us("system_usec");
  usage["percpu"] = nlohmann::json::array();
  out["cpu"]["throttling"] = {{"periods", keyed_value(st, "nr_periods").value_or(0)},
                              {"throttledPeriods", keyed_value(st, "nr_throttled").value_or(0)},
                              {"throttledTime", us("throttled_usec")}};
}

void memory_v2(const std::string& dir, nlohmann::json& out) {
  auto& mem = out["memory"];
  uint64_t current = uint_or0(dir, "memory.current");
  uint64_t limit = uint_or0(dir, "memory.max");
  auto events = text_or_empty(dir, "memory.events");
  mem["usage"] = memory_entry(limit, current, uint_or0(dir, "memory.peak"),
                              keyed_value(events, "max").value_or(0));
  // v1 semantics: swap is memory+swap.
  uint64_t swap_limit = uint_or0(dir, "memory.swap.max");
  uint64_t swap_total_limit = (swap_limit == UINT64_MAX || limit == UINT64_MAX) ? UINT64_MAX : swap_limit + limit;
  mem["swap"] = memory_entry(swap_total_limit, uint_or0(dir, "memory.swap.current") + current, 0,
                             keyed_value(text_or_empty(dir, "memory.swap.events"), "fail").value_or(0));
  mem["raw"] = raw_map(text_or_empty(dir, "memory.stat"));
  mem["cache"] = mem["raw"].value("file", uint64_t{0});
}

void io_v2(const std::string& dir, nlohmann::json& out) {
  nlohmann::json bytes = nlohmann::json::array(), ios = nlohmann::json::array();
  // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
  for (const auto& line : split(text_or_empty(dir, "io.stat"), '\n', true)) {
    auto f = split(line, ' ', true);
    if (f.empty()) continue;
    auto mm = split(f[0], ':');
    if (mm.size() != 2) continue;
    uint64_t major = parse_uint(mm[0]).value_or(0), minor = parse_uint(mm[1]).value_or(0);
    for (size_t i = 1; i < f.size(); ++i) {
      auto kv = split(f[i], '=');
      if (kv.size() != 2) continue;
      uint64_t v = parse_uint(kv[1]).value_or(0);
      auto entry = [&](const char* op) {
        return nlohmann::json{{"major", major}, {"minor", minor}, {"op", op}, {"value", v}};
      };
      if (kv[0] == "rbytes") bytes.push_back(entry("Read"));
      if (kv[0] == "wbytes") bytes.push_back(entry("Write"));
      if (kv[0] == "rios") ios.push_back(entry("Read"));
      if (kv[0] == "wios") ios.push_back(entry("Write"));
    }
  }
  out["blkio"] = {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
}

void pids(const std::string& dir, nlohmann::json& out) {
  uint64_t limit = uint_or0(dir, "pids.max");
  out["pids"] = {{"current", uint_or0(dir, "pids.current")}, {"limit", limit == UINT64_MAX ? 0 : limit}};
}

void hugetlb(const std::string& dir, bool v2, nlohmann::json& out) {
  auto& h = out["hugetlb"];
  h = nlohmann::json::object();
  for (const auto& size : hugetlb_sizes(dir, v2 ? ".max" : ".limit_in_bytes")) {
    std::string p = "hugetlb." + size + ".";
    if (v2) {
      h[size] = {{"usage", uint_or0(dir, p + "current")},
                 {"max", 0},
                 {"failcnt", keyed_value(text_or_empty(dir, p + "events"), "max").value_or(0)}};
    } else {
      h[size] = {{"usage", uint_or0(dir, p + "usage_in_bytes")},
                 {"max", uint_or0(dir, p + "max_usage_in_bytes")},
                 {"failcnt", uint_or0(dir, p + "failcnt")}};
    }
  }
}

}  // namespace berth::runtime::cgroup::detail::stats
