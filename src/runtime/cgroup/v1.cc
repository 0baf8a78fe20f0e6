// cgroup v1 controller files.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup/drivers.h"
#include "runtime/cgroup/fs.h"

namespace berth::runtime::cgroup::detail::v1 {
namespace {

constexpr int kEnotsupp = 524;  // the kernel's ENOTSUPP, seen by userspace as a raw number

std::string num(int64_t v) { return std::to_string(v); }

std::string dev(int64_t major, int64_t minor) { return num(major) + ":" + num(minor); }

// Kernel memory limits went away (5.16+ refuses them, later kernels drop the
// file): a spec that still sets them must not fail the container.
Result<void> set_kernel_memory(const std::string& dir, const std::string& file, int64_t value,
                               const std::string& id) {
  auto r = set(dir, file, num(value), id);
  if (!r && (r.error().sys_errno == ENOENT || r.error().sys_errno == EOPNOTSUPP ||
             r.error().sys_errno == kEnotsupp)) {
    log::warn("ignoring kernel memory limit {} for container {}: this kernel does not support {}", value,
              id, file);
    return {};
  }
  return r;
}

}  // namespace

Result<void> set_memory(const std::string& dir, const spec::Memory& m, const std::string& id) {
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  // "memory: -1" with no swap means both unlimited (runc), where swap accounting exists.
  if (limit == -1 && swap == 0 && exists(join_path(dir, "memory.memsw.limit_in_bytes"))) swap = -1;

  // memsw must stay >= limit at every step: raise swap first when the new swap
  // is above the current limit, else lower the limit first.
  bool swap_first = false;
  if (limit != 0 && swap != 0) {
    uint64_t current = TRY(get_uint(dir, "memory.limit_in_bytes"));
    swap_first = swap == -1 || current < static_cast<uint64_t>(swap);
  }
  if (swap_first) TRYV(set(dir, "memory.memsw.limit_in_bytes", num(swap), id));
  if (limit != 0) TRYV(set(dir, "memory.limit_in_bytes", num(limit), id));
  if (swap != 0 && !swap_first) TRYV(set(dir, "memory.memsw.limit_in_bytes", num(swap), id));

  if (m.reservation && *m.reservation != 0)
    TRYV(set(dir, "memory.soft_limit_in_bytes", num(*m.reservation), id));
  if (m.kernel && *m.kernel != 0) TRYV(set_kernel_memory(dir, "memory.kmem.limit_in_bytes", *m.kernel, id));
  if (m.kernel_tcp && *m.kernel_tcp != 0)
    TRYV(set_kernel_memory(dir, "memory.kmem.tcp.limit_in_bytes", *m.kernel_tcp, id));
  if (m.swappiness) {
    if (*m.swappiness > 100)
      return fail(Errc::InvalidArgument, "linux.resources.memory.swappiness: " + std::to_string(*m.swappiness) +
                                             " is out of range 0-100");
    TRYV(set(dir, "memory.swappiness", std::to_string(*m.swappiness), id));
  }
  if (m.disable_oom_killer.value_or(false)) TRYV(set(dir, "memory.oom_control", "1", id));
  return {};
}

Result<void> set_cpu(const std::string& dir, const spec::Cpu& c, const std::string& id) {
  if (c.shares && *c.shares != 0) {
    TRYV(set(dir, "cpu.shares", std::to_string(*c.shares), id));
    // The kernel clamps out-of-range shares silently: report it instead.
    uint64_t got = TRY(get_uint(dir, "cpu.shares"));
    if (got != *c.shares)
      return fail(Errc::InvalidArgument, "setting cpu.shares to " + std::to_string(*c.shares) +
                                             " for container " + id + ": the kernel clamped it to " +
                                             std::to_string(got));
  }
  int64_t quota = c.quota.value_or(0);
  // A smaller period (or larger burst) can be refused until the quota changes:
  // on EINVAL retry after writing the quota, as runc does.
  bool period_pending = false, burst_pending = false;
  if (c.period && *c.period != 0) {
    auto r = set(dir, "cpu.cfs_period_us", std::to_string(*c.period), id);
    if (!r) {
      if (r.error().sys_errno != EINVAL || quota == 0) return r;
      period_pending = true;
    }
  }
  if (c.burst) {
    auto r = set(dir, "cpu.cfs_burst_us", std::to_string(*c.burst), id);
    if (!r && r.error().sys_errno == ENOENT) {
      log::warn("ignoring cpu burst for container {}: cpu.cfs_burst_us is not available", id);
    } else if (!r) {
      if (r.error().sys_errno != EINVAL || quota == 0) return r;
      burst_pending = true;
    }
  }
  if (quota != 0) {
    TRYV(set(dir, "cpu.cfs_quota_us", num(quota), id));
    if (period_pending) TRYV(set(dir, "cpu.cfs_period_us", std::to_string(*c.period), id));
    if (burst_pending) TRYV(set(dir, "cpu.cfs_burst_us", std::to_string(*c.burst), id));
  }
  if (c.idle) TRYV(set(dir, "cpu.idle", num(*c.idle), id));
  // The period bounds the runtime: write it first.
  if (c.realtime_period && *c.realtime_period != 0)
    TRYV(set(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period), id));
  if (c.realtime_runtime && *c.realtime_runtime != 0)
    TRYV(set(dir, "cpu.rt_runtime_us", num(*c.realtime_runtime), id));
  return {};
}

Result<void> inherit_cpuset(const std::string& mountpoint, const std::string& dir, const std::string& id) {
  std::string parent = mountpoint;
  for (const auto& part : split(dir.substr(mountpoint.size()), '/', true)) {
    std::string cur = join_path(parent, part);
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto mine = TRY(get(cur, file));
      if (!mine.empty()) continue;
      auto theirs = TRY(get(parent, file));
      if (!theirs.empty()) TRYV(set(cur, file, theirs, id));
    }
    parent = cur;
  }
  return {};
}

Result<void> set_cpuset(const std::string& dir, const spec::Cpu& c, const std::string& id) {
  if (!c.cpus.empty()) TRYV(set(dir, "cpuset.cpus", c.cpus, id));
  if (!c.mems.empty()) TRYV(set(dir, "cpuset.mems", c.mems, id));
  return {};
}

Result<void> set_pids(const std::string& dir, const spec::Pids& p, const std::string& id) {
  return set(dir, "pids.max", p.limit > 0 ? num(p.limit) : "max", id);
}

Result<void> set_blkio(const std::string& dir, const spec::BlockIo& b, const std::string& id) {
  // Without CFQ only BFQ's files exist.
  bool cfq = exists(join_path(dir, "blkio.weight"));
  if (b.weight && *b.weight != 0)
    TRYV(set(dir, cfq ? "blkio.weight" : "blkio.bfq.weight", std::to_string(*b.weight), id));
  if (b.leaf_weight && *b.leaf_weight != 0)
    TRYV(set(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight), id));
  for (const auto& wd : b.weight_device) {
    if (wd.weight)
      TRYV(set(dir, cfq ? "blkio.weight_device" : "blkio.bfq.weight_device",
               dev(wd.major, wd.minor) + " " + std::to_string(*wd.weight), id));
    if (wd.leaf_weight)
      TRYV(set(dir, "blkio.leaf_weight_device", dev(wd.major, wd.minor) + " " + std::to_string(*wd.leaf_weight),
               id));
  }
  auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* file) -> Result<void> {
    for (const auto& t : list) TRYV(set(dir, file, dev(t.major, t.minor) + " " + std::to_string(t.rate), id));
    return {};
  };
  TRYV(throttle(b.throttle_read_bps, "blkio.throttle.read_bps_device"));
  TRYV(throttle(b.throttle_write_bps, "blkio.throttle.write_bps_device"));
  TRYV(throttle(b.throttle_read_iops, "blkio.throttle.read_iops_device"));
  TRYV(throttle(b.throttle_write_iops, "blkio.throttle.write_iops_device"));
  return {};
}

Result<void> set_hugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& limits,
                         const std::string& id) {
  for (const auto& h : limits)
    TRYV(set(dir, "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit), id));
  return {};
}

Result<void> set_net_cls(const std::string& dir, uint32_t class_id, const std::string& id) {
  return set(dir, "net_cls.classid", std::to_string(class_id), id);
}

Result<void> set_net_prio(const std::string& dir, const std::vector<spec::NetPriority>& prios,
                          const std::string& id) {
  for (const auto& p : prios) TRYV(set(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority), id));
  return {};
}

std::string device_rule_string(const spec::DeviceRule& rule) {
  if (rule.type == "a" || rule.type.empty()) return "a *:* " + rule.access;
  auto part = [](const std::optional<int64_t>& v) { return v && *v >= 0 ? std::to_string(*v) : std::string("*"); };
  return rule.type + " " + part(rule.major) + ":" + part(rule.minor) + " " + rule.access;
}

Result<void> set_devices(const std::string& dir, const std::vector<spec::DeviceRule>& rules,
                         const std::string& id) {
  // In order: each write edits the list the previous ones left. A rule that
  // repeats one of the same kind with no rule of the other kind between them
  // changes nothing (Docker's defaults list /dev/null and others twice): skip it.
  std::vector<std::string> run;  // the rules of the current run of allows (or denies)
  bool run_allows = false;
  for (const auto& rule : rules) {
    std::string text = device_rule_string(rule);
    if (rule.allow != run_allows) {
      run.clear();
      run_allows = rule.allow;
    }
    if (std::find(run.begin(), run.end(), text) != run.end()) continue;
    TRYV(set(dir, rule.allow ? "devices.allow" : "devices.deny", text, id));
    run.push_back(std::move(text));
  }
  return {};
}

Result<void> freeze(const std::string& dir, const std::string& id) {
  TRYV(set(dir, "freezer.state", "FROZEN", id));
  // FREEZING lasts until every task stops; bounded retries (about 1s), and a
  // thaw/refreeze now and then unsticks tasks that raced with the first write.
  for (int attempt = 1; attempt <= 1000; ++attempt) {
    auto state = TRY(get(dir, "freezer.state"));
    if (state == "FROZEN") return {};
    if (attempt % 50 == 0) {
      TRYV(set(dir, "freezer.state", "THAWED", id));
      TRYV(set(dir, "freezer.state", "FROZEN", id));
    }
    ::usleep(1000);
  }
  (void)set(dir, "freezer.state", "THAWED", id);
  return fail(Errc::Unavailable, "freezing container " + id + ": " + join_path(dir, "freezer.state") +
                                     " did not reach FROZEN");
}

Result<void> thaw(const std::string& dir, const std::string& id) {
  return set(dir, "freezer.state", "THAWED", id);
}

Result<bool> is_frozen(const std::string& dir) {
  auto state = TRY(get(dir, "freezer.state"));
  return state == "FROZEN";
}

}  // namespace berth::runtime::cgroup::detail::v1
