// Per-controller writers for cgroup v1 and v2 files. Each takes the
// container's directory in the hierarchy that drives the controller and the
// container id (for error messages), and only touches the files it needs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime::cgroup::detail {

namespace v1 {
Result<void> set_memory(const std::string& dir, const spec::Memory& m, const std::string& id);
Result<void> set_cpu(const std::string& dir, const spec::Cpu& c, const std::string& id);
// A new v1 cpuset cgroup has empty cpus/mems and refuses tasks until they are
// set: copy them down, level by level, from the first ancestor that has them.
Result<void> inherit_cpuset(const std::string& mountpoint, const std::string& dir, const std::string& id);
Result<void> set_cpuset(const std::string& dir, const spec::Cpu& c, const std::string& id);
Result<void> set_pids(const std::string& dir, const spec::Pids& p, const std::string& id);
Result<void> set_blkio(const std::string& dir, const spec::BlockIo& b, const std::string& id);
Result<void> set_hugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& limits,
                         const std::string& id);
Result<void> set_net_cls(const std::string& dir, uint32_t class_id, const std::string& id);
Result<void> set_net_prio(const std::string& dir, const std::vector<spec::NetPriority>& prios,
                          const std::string& id);
// "c 1:3 rwm", "a *:* rwm".
std::string device_rule_string(const spec::DeviceRule& rule);
Result<void> set_devices(const std::string& dir, const std::vector<spec::DeviceRule>& rules,
                         const std::string& id);
Result<void> freeze(const std::string& dir, const std::string& id);
Result<void> thaw(const std::string& dir, const std::string& id);
Result<bool> is_frozen(const std::string& dir);
}  // namespace v1

namespace v2 {
// runc's conversions between v1-style spec values and v2 files.
uint64_t cpu_shares_to_weight(uint64_t shares);
// OCI swap is memory+swap; v2 memory.swap.max is swap alone. 0: leave unset, -1: max.
Result<int64_t> swap_to_v2(int64_t swap, int64_t limit);
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// Writes "+ctrl ..." into cgroup.subtree_control of every level from the mount
// down to dir's parent, for the wanted controllers each level has available.
void enable_controllers(const std::string& mountpoint, const std::string& dir,
                        const std::vector<std::string>& wanted);
Result<void> set_memory(const std::string& dir, const spec::Memory& m, const std::string& id);
Result<void> set_cpu(const std::string& dir, const spec::Cpu& c, const std::string& id);
// cpuset.cpus/mems and pids.max have the same names and values in v1 and v2.
using v1::set_cpuset;
using v1::set_pids;
Result<void> set_io(const std::string& dir, const spec::BlockIo& b, const std::string& id);
Result<void> set_hugetlb(const std::string& dir, const std::vector<spec::HugepageLimit>& limits,
                         const std::string& id);
Result<void> set_unified(const std::string& dir, const std::map<std::string, std::string>& files,
                         const std::string& id);
// Writes cgroup.freeze and waits (poll on cgroup.events) until the kernel reports it done.
Result<void> set_frozen(const std::string& dir, bool frozen, const std::string& id);
Result<bool> is_frozen(const std::string& dir);
}  // namespace v2

namespace stats {
// Fill parts of runc's `events --stats` data object.
void cpu_v1(const std::string* cpu_dir, const std::string* cpuacct_dir, nlohmann::json& out);
void memory_v1(const std::string& dir, nlohmann::json& out);
void blkio_v1(const std::string& dir, nlohmann::json& out);
void cpu_v2(const std::string& dir, nlohmann::json& out);
void memory_v2(const std::string& dir, nlohmann::json& out);
void io_v2(const std::string& dir, nlohmann::json& out);
void pids(const std::string& dir, nlohmann::json& out);
void hugetlb(const std::string& dir, bool v2, nlohmann::json& out);
}  // namespace stats

}  // namespace berth::runtime::cgroup::detail
