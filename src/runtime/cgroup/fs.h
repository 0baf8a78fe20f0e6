// File-level helpers shared by the v1 and v2 drivers, and the syscall seam
// (mkdir / rmdir / write) that unit tests replace to simulate cgroupfs, which
// populates new directories with control files and lets rmdir remove them.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::runtime::cgroup::detail {

// Each returns 0 or -1 with errno set, like the syscalls they stand for.
struct Ops {
  std::function<int(const std::string& path, mode_t mode)> mkdir;
  std::function<int(const std::string& path)> rmdir;
  std::function<int(const std::string& path, std::string_view data)> write;
};

Ops& ops();
// Installs fake ops for the lifetime of the object (tests only).
class ScopedOps {
 public:
  explicit ScopedOps(Ops fake);
  ~ScopedOps();
  ScopedOps(const ScopedOps&) = delete;
  ScopedOps& operator=(const ScopedOps&) = delete;

 private:
  Ops saved_;
};

std::string join_path(const std::string& dir, const std::string& name);
bool exists(const std::string& path);

// Writes value to dir/file. On failure the message names the file, the value
// and the container: "setting memory.limit_in_bytes to 1000 for container x".
Result<void> set(const std::string& dir, const std::string& file, const std::string& value,
                 const std::string& id);
// Contents of dir/file without surrounding whitespace.
Result<std::string> get(const std::string& dir, const std::string& file);
Result<uint64_t> get_uint(const std::string& dir, const std::string& file);
// "key value" lines (memory.stat, cpu.stat, memory.events) as a map of numbers.
std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text);
std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key);

// mkdir -p of dir below mountpoint; appends each directory it made (top-down) to created.
Result<void> mkdir_below(const std::string& mountpoint, const std::string& dir,
                         std::vector<std::string>* created);
// Removes dir and the cgroups inside it, deepest first. ENOENT is success; EBUSY
// (tasks still exiting) is retried a bounded number of times.
Result<void> remove_cgroup_tree(const std::string& dir);

}  // namespace berth::runtime::cgroup::detail
