// The cgroupfs manager: one class for V1, Hybrid and V2. It sends each
// resource to the directory whose hierarchy drives that controller (plan.h).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/defer.h"
#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/drivers.h"
#include "runtime/cgroup/fs.h"
#include "runtime/cgroup/manager.h"
#include "runtime/cgroup/plan.h"
#include "sys/userns.h"

namespace berth::runtime::cgroup {
namespace {

using detail::CgroupDir;
using detail::Plan;

constexpr int kStateVersion = 1;

bool memory_set(const spec::Memory& m) {
  return m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp || m.swappiness ||
         m.disable_oom_killer.value_or(false);
}
bool cpu_set(const spec::Cpu& c) {
  return (c.shares && *c.shares) || c.quota || c.burst || c.period || c.realtime_runtime ||
         c.realtime_period || c.idle;
}
bool blkio_set(const spec::BlockIo& b) {
  return b.weight || b.leaf_weight || !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
         !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() || !b.throttle_write_iops.empty();
}

std::unexpected<Error> not_available(const std::string& field, const std::string& controller) {
  return fail(Errc::Unsupported, "linux.resources." + field + ": the " + controller +
                                     " cgroup controller is not available on this host");
}

Result<std::vector<pid_t>> read_procs_recursive(const std::string& dir) {
  std::vector<pid_t> out;
  auto text = read_file(detail::join_path(dir, "cgroup.procs"));
  if (!text) {
    if (text.error().sys_errno == ENOENT) return out;  // removed while we walked
    return std::unexpected(std::move(text).error());
  }
  for (const auto& line : split(*text, '\n', true))
    if (auto pid = parse_int(trim(line))) out.push_back(static_cast<pid_t>(*pid));
  std::vector<std::string> children;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (e->d_type == DT_DIR && name != "." && name != "..") children.push_back(detail::join_path(dir, name));
    }
    ::closedir(d);
  }
  for (const auto& child : children) {
    auto more = TRY(read_procs_recursive(child));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

nlohmann::json dir_to_json(const CgroupDir& d) {
  return {{"mountpoint", d.mountpoint}, {"controllers", d.controllers}, {"dir", d.dir}, {"created", d.created}};
}

CgroupDir dir_from_json(const nlohmann::json& j) {
  return CgroupDir{j.at("mountpoint").get<std::string>(), j.at("controllers").get<std::vector<std::string>>(),
                   j.at("dir").get<std::string>(), j.at("created").get<std::vector<std::string>>()};
}

class FsManager final : public Manager {
 public:
  FsManager(std::string id, std::string cgroup_path, Plan plan)
      : id_(std::move(id)), cgroup_path_(std::move(cgroup_path)), plan_(std::move(plan)) {}

  Result<void> create(const spec::Resources* resources) override {
    Defer undo([this] { remove_created(); });
    for (auto& d : plan_.v1) {
      TRYV(detail::mkdir_below(d.mountpoint, d.dir, &d.created));
      if (d.has("cpuset")) TRYV(detail::v1::inherit_cpuset(d.mountpoint, d.dir, id_));
    }
    if (plan_.unified) {
      auto& u = *plan_.unified;
      TRYV(detail::mkdir_below(u.mountpoint, u.dir, &u.created));
      detail::v2::enable_controllers(u.mountpoint, u.dir, u.controllers);
      TRYV(open_unified());
    }
    if (resources) TRYV(apply(*resources));
    undo.dismiss();
    return {};
  }

  int clone_into_fd() const override { return plan_.mode == Mode::V2 ? v2_fd_.get() : -1; }

  Result<void> add_process(pid_t pid) override {
    auto add = [&](const CgroupDir& d) -> Result<void> {
      if (detail::ops().write(detail::join_path(d.dir, "cgroup.procs"), std::to_string(pid)) != 0) {
        int err = errno;
        return fail_errno("adding process " + std::to_string(pid) + " of container " + id_ + " to cgroup " + d.dir,
                          err);
      }
      return {};
    };
    for (const auto& d : plan_.v1) TRYV(add(d));
    if (plan_.unified) TRYV(add(*plan_.unified));
    return {};
  }

  Result<void> update(const spec::Resources& resources) override {
    TRYV_CTX(apply(resources), "updating container " + id_);
    return {};
  }

  Result<void> freeze() override {
    if (auto d = v1_with("freezer")) return detail::v1::freeze(d->dir, id_);
    if (plan_.unified) return detail::v2::set_frozen(plan_.unified->dir, true, id_);
    return fail(Errc::Unsupported, "freezing container " + id_ + ": no freezer cgroup is mounted");
  }

  Result<void> thaw() override {
    if (auto d = v1_with("freezer")) return detail::v1::thaw(d->dir, id_);
    if (plan_.unified) return detail::v2::set_frozen(plan_.unified->dir, false, id_);
    return fail(Errc::Unsupported, "thawing container " + id_ + ": no freezer cgroup is mounted");
  }

  Result<bool> is_frozen() override {
    if (auto d = v1_with("freezer")) return detail::v1::is_frozen(d->dir);
    if (plan_.unified) return detail::v2::is_frozen(plan_.unified->dir);
    return false;
  }

  Result<std::vector<pid_t>> pids() override {
    const CgroupDir* d = nullptr;
    if (plan_.mode == Mode::V2 && plan_.unified) d = &*plan_.unified;
    if (!d) d = v1_with("pids");
    if (!d) d = v1_with("freezer");
    if (!d && !plan_.v1.empty()) d = &plan_.v1.front();
    if (!d && plan_.unified) d = &*plan_.unified;
    if (!d) return std::vector<pid_t>{};
    auto pids = TRY_CTX(read_procs_recursive(d->dir), "listing processes of container " + id_);
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    return pids;
  }

  Result<nlohmann::json> stats() override {
    nlohmann::json zero_entry = {{"limit", 0}, {"usage", 0}, {"max", 0}, {"failcnt", 0}};
    nlohmann::json out = {
        {"cpu",
         {{"usage", {{"total", 0}, {"percpu", nlohmann::json::array()}, {"kernel", 0}, {"user", 0}}},
          {"throttling", {{"periods", 0}, {"throttledPeriods", 0}, {"throttledTime", 0}}}}},
        {"memory", {{"usage", zero_entry}, {"swap", zero_entry}, {"raw", nlohmann::json::object()}}},
        {"pids", {{"current", 0}, {"limit", 0}}},
        {"blkio", nlohmann::json::object()},
        {"hugetlb", nlohmann::json::object()},
    };
    namespace st = detail::stats;
    const CgroupDir* cpu = v1_with("cpu");
    const CgroupDir* cpuacct = v1_with("cpuacct");
    if (cpu || cpuacct) {
      st::cpu_v1(cpu ? &cpu->dir : nullptr, cpuacct ? &cpuacct->dir : nullptr, out);
    } else if (plan_.unified) {
      st::cpu_v2(plan_.unified->dir, out);  // cpu.stat is there even without the cpu controller
    }
    if (auto d = v1_with("memory")) st::memory_v1(d->dir, out);
    else if (auto d = v2_with("memory")) st::memory_v2(d->dir, out);
    if (auto d = v1_with("pids")) st::pids(d->dir, out);
    else if (auto d = v2_with("pids")) st::pids(d->dir, out);
    if (auto d = v1_with("blkio")) st::blkio_v1(d->dir, out);
    else if (auto d = v2_with("io")) st::io_v2(d->dir, out);
    if (auto d = v1_with("hugetlb")) st::hugetlb(d->dir, false, out);
    else if (auto d = v2_with("hugetlb")) st::hugetlb(d->dir, true, out);
    return out;
  }

  Result<bool> oom_killed() override {
    if (auto d = v1_with("memory")) {
      auto text = TRY(read_file(detail::join_path(d->dir, "memory.oom_control")));
      return detail::keyed_value(text, "oom_kill").value_or(0) > 0;
    }
    if (auto d = v2_with("memory")) {
      auto text = TRY(read_file(detail::join_path(d->dir, "memory.events")));
      return detail::keyed_value(text, "oom_kill").value_or(0) > 0;
    }
    return false;
  }

  Result<void> destroy() override {
    v2_fd_.reset();
    std::optional<Error> first;
    auto destroy_one = [&](CgroupDir& d) {
      if (d.dir == d.mountpoint) return;  // never the hierarchy's root
      if (auto r = detail::remove_cgroup_tree(d.dir); !r) {
        if (!first) first = std::move(r).error();
        return;
      }
      // Parents we made, deepest first; one that now holds another container stays.
      for (auto it = d.created.rbegin(); it != d.created.rend(); ++it) {
        if (*it == d.dir) continue;
        if (detail::ops().rmdir(*it) != 0 && errno != ENOENT) break;
      }
      d.created.clear();
    };
    for (auto& d : plan_.v1) destroy_one(d);
    if (plan_.unified) destroy_one(*plan_.unified);
    if (first) return std::unexpected(std::move(*first).wrap("destroying the cgroups of container " + id_));
    return {};
  }

  std::map<std::string, std::string> paths() const override {
    std::map<std::string, std::string> out;
    for (const auto& d : plan_.v1) out[d.mountpoint] = d.dir;
    if (plan_.unified) out[plan_.unified->mountpoint] = plan_.unified->dir;
    return out;
  }

  Mode mode() const override { return plan_.mode; }

  nlohmann::json to_json() const override {
    nlohmann::json v1 = nlohmann::json::array();
    for (const auto& d : plan_.v1) v1.push_back(dir_to_json(d));
    return {{"version", kStateVersion},
            {"mode", mode_name(plan_.mode)},
            {"id", id_},
            {"path", cgroup_path_},
            {"v1", v1},
            {"unified", plan_.unified ? dir_to_json(*plan_.unified) : nlohmann::json()}};
  }

  // Opens the cgroup2 leaf (for clone3 and the device filter); missing is fine
  // when rebuilding a manager whose cgroup is gone.
  Result<void> open_unified() {
    if (!plan_.unified || v2_fd_) return {};
    UniqueFd fd(::open(plan_.unified->dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("opening cgroup " + plan_.unified->dir);
    v2_fd_ = std::move(fd);
    return {};
  }

 private:
  const CgroupDir* v1_with(const std::string& controller) const {
    for (const auto& d : plan_.v1)
      if (d.has(controller)) return &d;
    return nullptr;
  }
  const CgroupDir* v2_with(const std::string& controller) const {
    return plan_.unified && plan_.unified->has(controller) ? &*plan_.unified : nullptr;
  }

  // Best effort, after a failed create(): everything we made, deepest first.
  void remove_created() {
    v2_fd_.reset();
    auto undo = [](CgroupDir& d) {
      for (auto it = d.created.rbegin(); it != d.created.rend(); ++it) {
        if (auto r = detail::remove_cgroup_tree(*it); !r) log::warn("cleaning up: {}", r.error().str());
      }
      d.created.clear();
    };
    for (auto& d : plan_.v1) undo(d);
    if (plan_.unified) undo(*plan_.unified);
  }

  Result<void> apply(const spec::Resources& r) {
    namespace v1 = detail::v1;
    namespace v2 = detail::v2;
    if (r.memory && memory_set(*r.memory)) {
      if (auto d = v1_with("memory")) TRYV(v1::set_memory(d->dir, *r.memory, id_));
      else if (auto d = v2_with("memory")) TRYV(v2::set_memory(d->dir, *r.memory, id_));
      else return not_available("memory", "memory");
    }
    if (r.cpu && cpu_set(*r.cpu)) {
      if (auto d = v1_with("cpu")) TRYV(v1::set_cpu(d->dir, *r.cpu, id_));
      else if (auto d = v2_with("cpu")) TRYV(v2::set_cpu(d->dir, *r.cpu, id_));
      else return not_available("cpu", "cpu");
    }
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) {
      if (auto d = v1_with("cpuset")) TRYV(v1::set_cpuset(d->dir, *r.cpu, id_));
      else if (auto d = v2_with("cpuset")) TRYV(v2::set_cpuset(d->dir, *r.cpu, id_));
      else return not_available("cpu.cpus", "cpuset");
    }
    if (r.pids) {
      if (auto d = v1_with("pids")) TRYV(v1::set_pids(d->dir, *r.pids, id_));
      else if (auto d = v2_with("pids")) TRYV(v2::set_pids(d->dir, *r.pids, id_));
      else return not_available("pids", "pids");
    }
    if (r.block_io && blkio_set(*r.block_io)) {
      if (auto d = v1_with("blkio")) TRYV(v1::set_blkio(d->dir, *r.block_io, id_));
      else if (auto d = v2_with("io")) TRYV(v2::set_io(d->dir, *r.block_io, id_));
      else return not_available("blockIO", "blkio/io");
    }
    if (!r.hugepage_limits.empty()) {
      if (auto d = v1_with("hugetlb")) TRYV(v1::set_hugetlb(d->dir, r.hugepage_limits, id_));
      else if (auto d = v2_with("hugetlb")) TRYV(v2::set_hugetlb(d->dir, r.hugepage_limits, id_));
      else return not_available("hugepageLimits", "hugetlb");
    }
    if (r.network) {
      // net_cls / net_prio exist only on v1.
      if (r.network->class_id) {
        auto d = v1_with("net_cls");
        if (!d) return not_available("network.classID", "net_cls (v1)");
        TRYV(v1::set_net_cls(d->dir, *r.network->class_id, id_));
      }
      if (!r.network->priorities.empty()) {
        auto d = v1_with("net_prio");
        if (!d) return not_available("network.priorities", "net_prio (v1)");
        TRYV(v1::set_net_prio(d->dir, r.network->priorities, id_));
      }
    }
    if (!r.unified.empty()) TRYV(apply_unified(r.unified));
    if (!r.devices.empty()) TRYV(apply_devices(r.devices));
    return {};
  }

  Result<void> apply_unified(const std::map<std::string, std::string>& files) {
    if (!plan_.unified)
      return fail(Errc::Unsupported, "linux.resources.unified: this host has no cgroup v2 hierarchy (cgroup v1 only)");
    if (plan_.mode == Mode::Hybrid) {
      // Only files of controllers the cgroup2 drives (and cgroup.* core files).
      for (const auto& [file, value] : files) {
        std::string controller = file.substr(0, file.find('.'));
        if (controller != "cgroup" && !plan_.unified->has(controller))
          return fail(Errc::Unsupported, "linux.resources.unified[\"" + file + "\"]: the " + controller +
                                             " controller is not in the cgroup v2 hierarchy on this hybrid host");
      }
    }
    return detail::v2::set_unified(plan_.unified->dir, files, id_);
  }

  Result<void> apply_devices(const std::vector<spec::DeviceRule>& rules) {
    if (auto d = v1_with("devices")) return detail::v1::set_devices(d->dir, rules, id_);
    // No v1 devices controller: the cgroup2 device filter (BPF) does the job.
    if (plan_.unified) {
      TRYV(open_unified());
      return detail::bpf::apply_device_rules(v2_fd_.get(), rules, id_);
    }
    return not_available("devices", "devices");
  }

  std::string id_;
  std::string cgroup_path_;
  Plan plan_;
  UniqueFd v2_fd_;
};

}  // namespace

namespace {
// The nearest existing directory on the way to `dir` is ours to write in.
bool delegated_to_us(std::string dir) {
  while (!dir.empty()) {
    if (::access(dir.c_str(), F_OK) == 0) return ::access(dir.c_str(), W_OK) == 0;
    auto slash = dir.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return false;
    dir.resize(slash);
  }
  return false;
}
}  // namespace

Result<std::unique_ptr<Manager>> make_manager(const Layout& layout, const std::string& cgroups_path,
                                              const std::string& container_id) {
  auto path = TRY(cgroup_path_for(cgroups_path, container_id));
  if (path == "/") return fail(Errc::InvalidArgument, "cgroupsPath '" + cgroups_path + "' names the root cgroup");
  if (layout.mode == Mode::V2 && !layout.unified)
    return fail(Errc::InvalidArgument, "cgroup layout is v2 but has no cgroup2 mount");
  detail::Plan plan = detail::make_plan(layout, path);
  // A runtime in a user namespace (rootless) uses only the hierarchies
  // delegated to it, as runc's rootless mode does; with none (cgroup v1, no
  // delegation) the container runs without cgroups of its own.
  if (sys::in_user_namespace()) {
    std::erase_if(plan.v1, [](const detail::CgroupDir& d) { return !delegated_to_us(d.dir); });
    if (plan.unified && !delegated_to_us(plan.unified->dir)) plan.unified.reset();
  }
  return std::make_unique<FsManager>(container_id, path, std::move(plan));
}

Result<std::unique_ptr<Manager>> manager_from_json(const nlohmann::json& state) {
  try {
    if (state.at("version").get<int>() != kStateVersion)
      return fail(Errc::InvalidArgument, "cgroup state: unsupported version " + state.at("version").dump());
    Plan plan;
    std::string mode = state.at("mode").get<std::string>();
    if (mode == "v1") plan.mode = Mode::V1;
    else if (mode == "hybrid") plan.mode = Mode::Hybrid;
    else if (mode == "v2") plan.mode = Mode::V2;
    else return fail(Errc::InvalidArgument, "cgroup state: unknown mode '" + mode + "'");
    for (const auto& d : state.at("v1")) plan.v1.push_back(dir_from_json(d));
    if (!state.at("unified").is_null()) plan.unified = dir_from_json(state.at("unified"));
    auto m = std::make_unique<FsManager>(state.at("id").get<std::string>(), state.at("path").get<std::string>(),
                                         std::move(plan));
    // For clone3/BPF in this process; a cgroup already removed is not an error here.
    (void)m->open_unified();
    return std::unique_ptr<Manager>(std::move(m));
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::InvalidArgument, std::string("cgroup state: ") + e.what());
  }
}

}  // namespace berth::runtime::cgroup
