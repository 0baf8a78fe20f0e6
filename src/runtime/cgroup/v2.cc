// cgroup v2 controller files.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/drivers.h"
#include "runtime/cgroup/fs.h"

namespace berth::runtime::cgroup::detail::v2 {
namespace {

std::string num(int64_t v) { return std::to_string(v); }
std::string dev(int64_t major, int64_t minor) { return num(major) + ":" + num(minor); }
// -1 is "max"; others as they are.
std::string limit_str(int64_t v) { return v == -1 ? "max" : num(v); }

}  // namespace

// runc 1.3's mapping: keeps v1's min (2), default (1024) and max (262144) on
// v2's min (1), default (100) and max (10000), along a quadratic in log2.
uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10, exponent)));
}

Result<int64_t> swap_to_v2(int64_t swap, int64_t limit) {
  // v1 compatibility: unlimited memory with unset swap means both unlimited.
  if (limit == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (limit == 0 || limit == -1)
    return fail(Errc::InvalidArgument, "linux.resources.memory.swap: cannot set a swap limit without a memory limit");
  if (limit < 0) return fail(Errc::InvalidArgument, "linux.resources.memory.limit: invalid value " + num(limit));
  if (swap < limit)
    return fail(Errc::InvalidArgument, "linux.resources.memory.swap: memory+swap " + num(swap) +
                                           " is below the memory limit " + num(limit));
  return swap - limit;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;  // [10, 1000] -> [1, 10000]
}

void enable_controllers(const std::string& mountpoint, const std::string& dir,
                        const std::vector<std::string>& wanted) {
  if (wanted.empty()) return;
  auto parts = split(dir.substr(mountpoint.size()), '/', true);
  std::string level = mountpoint;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto avail_text = get(level, "cgroup.controllers");
    std::vector<std::string> avail = avail_text ? split(*avail_text, ' ', true) : std::vector<std::string>{};
    std::vector<std::string> enable;
    for (const auto& c : wanted)
      if (std::find(avail.begin(), avail.end(), c) != avail.end()) enable.push_back("+" + c);
    std::string file = join_path(level, "cgroup.subtree_control");
    // All at once; if the kernel refuses one, enable the others one by one. A
    // controller left off shows up later as a missing file naming the limit.
    if (!enable.empty() && ops().write(file, join(enable, " ")) != 0) {
      for (const auto& e : enable)
        if (ops().write(file, e) != 0) log::debug("cannot enable {} in {}: {}", e, file, std::strerror(errno));
    }
    level = join_path(level, parts[i]);
  }
}

Result<void> set_memory(const std::string& dir, const spec::Memory& m, const std::string& id) {
  int64_t limit = m.limit.value_or(0);
  int64_t swap = TRY(swap_to_v2(m.swap.value_or(0), limit));
  if (m.kernel || m.kernel_tcp)
    log::warn("ignoring kernel memory limits for container {}: cgroup v2 has none", id);
  if (m.swappiness) log::warn("ignoring memory swappiness for container {}: cgroup v2 has none", id);
  if (m.disable_oom_killer.value_or(false))
    log::warn("ignoring disableOOMKiller for container {}: cgroup v2 cannot disable the OOM killer", id);

  if (limit > 0 && m.check_before_update.value_or(false)) {
    if (auto current = get_uint(dir, "memory.current"); current && *current > static_cast<uint64_t>(limit))
      return fail(Errc::InvalidArgument, "setting memory.max to " + num(limit) + " for container " + id +
                                             ": below current usage " + std::to_string(*current));
  }
  // Swap equal to the limit means "no swap": write 0, which swap_to_v2 reports as unset.
  bool write_swap = swap != 0 || (m.swap.value_or(0) > 0);
  if (write_swap) {
    auto r = set(dir, "memory.swap.max", limit_str(swap), id);
    // No swap accounting: nothing to limit when unlimited was asked.
    if (!r && !(r.error().sys_errno == ENOENT && swap == -1)) return r;
  }
  if (limit != 0) TRYV(set(dir, "memory.max", limit_str(limit), id));
  if (m.reservation && *m.reservation != 0) TRYV(set(dir, "memory.low", limit_str(*m.reservation), id));
  return {};
}

Result<void> set_cpu(const std::string& dir, const spec::Cpu& c, const std::string& id) {
  if ((c.realtime_runtime && *c.realtime_runtime != 0) || (c.realtime_period && *c.realtime_period != 0))
    return fail(Errc::Unsupported,
                "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no realtime scheduling limits");
  if (c.idle) TRYV(set(dir, "cpu.idle", num(*c.idle), id));
  if (c.shares && *c.shares != 0)
    TRYV(set(dir, "cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares)), id));
  int64_t quota = c.quota.value_or(0);
  uint64_t period = c.period.value_or(0);
  if (quota != 0 || period != 0) {
    std::string value = quota > 0 ? num(quota) : "max";
    if (period != 0) value += " " + std::to_string(period);
    TRYV(set(dir, "cpu.max", value, id));
  }
  // After cpu.max: the burst may not exceed the quota.
  if (c.burst) TRYV(set(dir, "cpu.max.burst", std::to_string(*c.burst), id));
  return {};
}

Result<void> set_io(const std::string& dir, const spec::BlockIo& b, const std::string& id) {
  // With BFQ, io.bfq.weight takes v1's weight range as is; io.weight needs conversion.
  bool bfq = exists(join_path(dir, "io.bfq.weight"));
  if (b.weight && *b.weight != 0) {
    if (bfq)
      TRYV(set(dir, "io.bfq.weight", std::to_string(*b.weight), id));
    else
      TRYV(set(dir, "io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight)), id));
  }
  if (b.leaf_weight) log::warn("ignoring blkio leafWeight for container {}: cgroup v2 has none", id);
  for (const auto& wd : b.weight_device) {
    if (!wd.weight) continue;
    if (bfq)
      TRYV(set(dir, "io.bfq.weight", dev(wd.major, wd.minor) + " " + std::to_string(*wd.weight), id));
    else
      TRYV(set(dir, "io.weight",
               dev(wd.major, wd.minor) + " " + std::to_string(blkio_weight_to_io_weight(*wd.weight)), id));
  }
  auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* key) -> Result<void> {
    // v1 uses 0 to lift a limit; v2 spells it "max".
    for (const auto& t : list)
      TRYV(set(dir, "io.max",
               dev(t.major, t.minor) + " " + key + "=" + (t.rate == 0 ? "max" : std::to_string(t.rate)), id));
    return {};
  };
  TRYV(throttle(b.throttle_read_bps, "rbps"));
  TRYV(throttle(b.throttle_write_bps, "wbps"));
  TRYV(throttle(b.throttle_read_iops, "riops"));
  TRYV(throttle(b.throttle_write_iops, "wiops"));
  return {};
}

Result<void> set_hugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& limits,
                         const std::string& id) {
  for (const auto& h : limits) {
    TRYV(set(dir, "hugetlb." + h.page_size + ".max", std::to_string(h.limit), id));
    // Reservations are charged separately where the kernel has them: limit both.
    std::string rsvd = "hugetlb." + h.page_size + ".rsvd.max";
    if (exists(join_path(dir, rsvd))) TRYV(set(dir, rsvd, std::to_string(h.limit), id));
  }
  return {};
}

Result<void> set_unified(const std::string& dir, const std::map<std::string, std::string>& files,
                         const std::string& id) {
  for (const auto& [file, value] : files) {
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      return fail(Errc::InvalidArgument, "linux.resources.unified: '" + file + "' is not a cgroup file name");
    TRYV_CTX(set(dir, file, value, id), "linux.resources.unified");
  }
  return {};
}

Result<void> set_frozen(const std::string& dir, bool frozen, const std::string& id) {
  // Open cgroup.events before writing so no change is missed: kernfs flags
  // POLLPRI for every change after our last read.
  std::string events = join_path(dir, "cgroup.events");
  UniqueFd fd(::open(events.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + events);
  TRYV(set(dir, "cgroup.freeze", frozen ? "1" : "0", id));

  const uint64_t want = frozen ? 1 : 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    char buf[512];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return fail_errno("reading " + events);
    if (keyed_value(std::string_view(buf, static_cast<size_t>(n)), "frozen") == want) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fail(Errc::Unavailable, std::string(frozen ? "freezing" : "thawing") + " container " + id + ": " +
                                         events + " did not report frozen " + std::to_string(want) +
                                         " within 10s");
    pollfd p{fd.get(), POLLPRI, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return fail_errno("polling " + events);
  }
}

Result<bool> is_frozen(const std::string& dir) {
  auto events = TRY(read_file(join_path(dir, "cgroup.events")));
  return keyed_value(events, "frozen") == 1u;
}

}  // namespace berth::runtime::cgroup::detail::v2
