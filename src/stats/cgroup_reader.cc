#include "stats/cgroup_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

namespace berth::stats {
namespace {

// One small file into buf (truncated at its size); empty when unreadable.
std::string_view read_small_at(int dirfd, const char* path, char* buf, size_t cap) {
  int fd = ::openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  size_t len = 0;
  while (len < cap) {
    ssize_t n = ::read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  return {buf, len};
}

std::string_view read_small(const std::string& path, char* buf, size_t cap) {
  return read_small_at(AT_FDCWD, path.c_str(), buf, cap);
}

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A decimal number; "max" (v2's unlimited) is UINT64_MAX; anything else 0.
uint64_t to_u64(std::string_view s) {
  s = trim_ws(s);
  if (s == "max") return UINT64_MAX;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : 0;
}

// Files are opened relative to their directory's fd, opened once per
// reading: a path walk through /sys/fs/cgroup/<controller>/<parent>/<id> per
// file was most of a pass's (kernel) time.
struct Reader {
  char buf[16384];
  std::vector<std::pair<std::string, int>> dirs;  // at most one per controller

  ~Reader() {
    for (auto& [d, fd] : dirs)
      if (fd >= 0) ::close(fd);
  }
  int dir_fd(const std::string& dir) {
    for (auto& [d, fd] : dirs)
      if (d == dir) return fd;
    int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    dirs.emplace_back(dir, fd);
    return fd;
  }
  std::string_view text(const std::string& dir, const char* file) {
    int fd = dir_fd(dir);
    if (fd < 0) return {};
    return read_small_at(fd, file, buf, sizeof buf);
  }
  uint64_t number(const std::string& dir, const char* file) { return to_u64(text(dir, file)); }
};

// Calls fn(key, value) for each "key value" line.
template <typename Fn>
void each_keyed(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    fn(line.substr(0, sp), to_u64(line.substr(sp + 1)));
  }
}

uint64_t keyed(std::string_view text, std::string_view key) {
  uint64_t out = 0;
  each_keyed(text, [&](std::string_view k, uint64_t v) {
    if (k == key) out = v;
  });
  return out;
}

// v1 blkio "maj:min Op value" lines; the trailing "Total" line has no device.
void blkio_v1(std::string_view text, std::vector<model::BlkioEntry>& out) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t a = line.find(' '), b = line.rfind(' '), colon = line.find(':');
    if (a == std::string_view::npos || a == b || colon == std::string_view::npos || colon > a) continue;
    model::BlkioEntry e;
    e.major = to_u64(line.substr(0, colon));
    e.minor = to_u64(line.substr(colon + 1, a - colon - 1));
    e.op = std::string(line.substr(a + 1, b - a - 1));
    e.value = to_u64(line.substr(b + 1));
    out.push_back(std::move(e));
  }
}

// v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
void io_v2(std::string_view text, model::ContainerStats& s) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t sp = line.find(' '), colon = line.find(':');
    if (sp == std::string_view::npos || colon == std::string_view::npos || colon > sp) continue;
    uint64_t major = to_u64(line.substr(0, colon)), minor = to_u64(line.substr(colon + 1, sp - colon - 1));
    std::string_view rest = line.substr(sp + 1);
    while (!rest.empty()) {
      size_t next = rest.find(' ');
      std::string_view kv = rest.substr(0, next);
      rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 1);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = kv.substr(0, eq);
      uint64_t v = to_u64(kv.substr(eq + 1));
      if (k == "rbytes") s.io_service_bytes.push_back({major, minor, "Read", v});
      if (k == "wbytes") s.io_service_bytes.push_back({major, minor, "Write", v});
      if (k == "rios") s.io_serviced.push_back({major, minor, "Read", v});
      if (k == "wios") s.io_serviced.push_back({major, minor, "Write", v});
    }
  }
}

void read_v1(Reader& r, const model::CgroupDirs& dirs, const HostFacts& host, model::ContainerStats& s) {
  auto dir = [&](const char* controller) -> const std::string* {
    auto it = dirs.v1.find(controller);
    return it == dirs.v1.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const auto* d = dir("cpuacct")) {
    s.cpu.total_ns = r.number(*d, "cpuacct.usage");
    // No cpuacct.usage_percpu: Docker's CLI divides by online_cpus, and
    // dockerd on cgroup v2 sends no per-CPU list either. One file less a pass.
    // cpuacct.stat counts USER_HZ ticks.
    uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(host.clock_ticks > 0 ? host.clock_ticks : 100);
    auto st = r.text(*d, "cpuacct.stat");
    s.cpu.user_ns = keyed(st, "user") * ns_per_tick;
    s.cpu.kernel_ns = keyed(st, "system") * ns_per_tick;
  }
  if (const auto* d = dir("cpu")) {
    auto st = r.text(*d, "cpu.stat");
    each_keyed(st, [&](std::string_view k, uint64_t v) {
      if (k == "nr_periods") s.cpu.periods = v;
      if (k == "nr_throttled") s.cpu.throttled_periods = v;
      if (k == "throttled_time") s.cpu.throttled_ns = v;
    });
  }
  if (const auto* d = dir("memory")) {
    s.memory.usage = r.number(*d, "memory.usage_in_bytes");
    s.memory.max_usage = r.number(*d, "memory.max_usage_in_bytes");
    s.memory.failcnt = r.number(*d, "memory.failcnt");
    s.memory.limit = r.number(*d, "memory.limit_in_bytes");
    s.oom_kills = keyed(r.text(*d, "memory.oom_control"), "oom_kill");
    each_keyed(r.text(*d, "memory.stat"), [&](std::string_view k, uint64_t v) { s.memory.raw[std::string(k)] = v; });
  }
  if (const auto* d = dir("pids")) {
    s.pids = r.number(*d, "pids.current");
    uint64_t limit = r.number(*d, "pids.max");
    if (limit > 0 && limit != UINT64_MAX) s.pids_limit = limit;
  }
  if (const auto* d = dir("blkio")) {
    // The throttle layer's counters: every kernel has them and they count
    // all I/O (CFQ's own files are gone since blk-mq).
    blkio_v1(r.text(*d, "blkio.throttle.io_service_bytes_recursive"), s.io_service_bytes);
    blkio_v1(r.text(*d, "blkio.throttle.io_serviced_recursive"), s.io_serviced);
  }
}

void read_v2(Reader& r, const std::string& d, model::ContainerStats& s) {
  each_keyed(r.text(d, "cpu.stat"), [&](std::string_view k, uint64_t v) {
    if (k == "usage_usec") s.cpu.total_ns = v * 1000;
    if (k == "user_usec") s.cpu.user_ns = v * 1000;
    if (k == "system_usec") s.cpu.kernel_ns = v * 1000;
    if (k == "nr_periods") s.cpu.periods = v;
    if (k == "nr_throttled") s.cpu.throttled_periods = v;
    if (k == "throttled_usec") s.cpu.throttled_ns = v * 1000;
  });
  s.memory.usage = r.number(d, "memory.current");
  s.memory.max_usage = r.number(d, "memory.peak");
  s.memory.limit = r.number(d, "memory.max");
  each_keyed(r.text(d, "memory.events"), [&](std::string_view k, uint64_t v) {
    if (k == "max") s.memory.failcnt = v;
    if (k == "oom_kill") s.oom_kills = v;
  });
  each_keyed(r.text(d, "memory.stat"), [&](std::string_view k, uint64_t v) { s.memory.raw[std::string(k)] = v; });
  s.pids = r.number(d, "pids.current");
  uint64_t limit = r.number(d, "pids.max");
  if (limit > 0 && limit != UINT64_MAX) s.pids_limit = limit;
  io_v2(r.text(d, "io.stat"), s);
}

}  // namespace

HostFacts read_host_facts(const std::string& proc_root) {
  HostFacts h;
  h.clock_ticks = ::sysconf(_SC_CLK_TCK);
  if (h.clock_ticks <= 0) h.clock_ticks = 100;
  char buf[1024];
  std::string_view t = read_small(proc_root + "/stat", buf, sizeof buf);
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  t = t.substr(0, t.find('\n'));
  uint64_t ticks = 0;
  int field = 0;
  while (!t.empty() && field <= 8) {
    size_t sp = t.find(' ');
    std::string_view w = t.substr(0, sp);
    t.remove_prefix(sp == std::string_view::npos ? t.size() : sp + 1);
    if (w.empty()) continue;
    if (field > 0) ticks += to_u64(w);
    ++field;
  }
  h.system_cpu_ns = ticks * (1000000000ull / static_cast<uint64_t>(h.clock_ticks));
  h.online_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) h.memory_bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  return h;
}

std::vector<model::NetworkStats> parse_net_dev(std::string_view text, bool skip_loopback) {
  std::vector<model::NetworkStats> out;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line_no++ < 2) continue;  // the two header lines
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim_ws(line.substr(0, colon));
    if (name.empty() || (skip_loopback && name == "lo")) continue;
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
    uint64_t f[16] = {};
    int n = 0;
    std::string_view rest = line.substr(colon + 1);
    while (!rest.empty() && n < 16) {
      size_t sp = rest.find(' ');
      std::string_view w = rest.substr(0, sp);
      rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
      if (!w.empty()) f[n++] = to_u64(w);
    }
    if (n < 16) continue;
    model::NetworkStats s;
    s.name = std::string(name);
    s.rx_bytes = f[0], s.rx_packets = f[1], s.rx_errors = f[2], s.rx_dropped = f[3];
    s.tx_bytes = f[8], s.tx_packets = f[9], s.tx_errors = f[10], s.tx_dropped = f[11];
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<model::ContainerStats> read_container_stats(const model::CgroupDirs& dirs, pid_t pid,
                                                          const HostFacts& host, const std::string& proc_root) {
  Reader r;
  // The directory goes with the container: none means it ended meanwhile.
  const std::string* main_dir = dirs.v2 ? &dirs.unified : nullptr;
  if (!dirs.v2) {
    auto it = dirs.v1.find("cpuacct");
    if (it == dirs.v1.end()) it = dirs.v1.find("memory");
    if (it == dirs.v1.end() && !dirs.v1.empty()) it = dirs.v1.begin();
    if (it != dirs.v1.end()) main_dir = &it->second;
  }
  if (!main_dir || main_dir->empty() || r.dir_fd(*main_dir) < 0) return std::nullopt;
  model::ContainerStats s;
  s.running = true;
  if (dirs.v2)
    read_v2(r, dirs.unified, s);
  else
    read_v1(r, dirs, host, s);
  if (s.memory.limit == 0 || s.memory.limit > (1ull << 62)) s.memory.limit = host.memory_bytes;
  s.cpu.system_ns = host.system_cpu_ns;
  s.cpu.online_cpus = host.online_cpus;
  if (pid > 0) {
    char path[64];
    std::snprintf(path, sizeof path, "%d/net/dev", static_cast<int>(pid));
    auto text = read_small_at(r.dir_fd(proc_root), path, r.buf, sizeof r.buf);
    if (!text.empty()) {
      s.has_networks = true;
      s.networks = parse_net_dev(text);
    }
  }
  return s;
}

uint64_t working_set_bytes(const model::MemoryStats& memory) {
  auto it = memory.raw.find("total_inactive_file");
  if (it == memory.raw.end()) it = memory.raw.find("inactive_file");
  uint64_t inactive = it == memory.raw.end() ? 0 : it->second;
  return memory.usage > inactive ? memory.usage - inactive : 0;
}

}  // namespace berth::stats
