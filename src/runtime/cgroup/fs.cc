#include "runtime/cgroup/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::runtime::cgroup::detail {
namespace {

int real_write(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return -1;
  // One write call: a cgroup file takes one value per write.
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

Ops real_ops() {
  return Ops{
      [](const std::string& p, mode_t m) { return ::mkdir(p.c_str(), m); },
      [](const std::string& p) { return ::rmdir(p.c_str()); },
      real_write,
  };
}

// Subdirectories of dir (child cgroups); empty when dir is gone.
std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR) out.push_back(join_path(dir, name));
  }
  ::closedir(d);
  return out;
}

}  // namespace

Ops& ops() {
  static Ops current = real_ops();
  return current;
}

ScopedOps::ScopedOps(Ops fake) : saved_(ops()) { ops() = std::move(fake); }
ScopedOps::~ScopedOps() { ops() = std::move(saved_); }

std::string join_path(const std::string& dir, const std::string& name) {
  if (name.empty()) return dir;
  if (dir.empty() || dir.back() == '/') return dir + (name.front() == '/' ? name.substr(1) : name);
  return dir + (name.front() == '/' ? "" : "/") + name;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<void> set(const std::string& dir, const std::string& file, const std::string& value,
                 const std::string& id) {
  if (ops().write(join_path(dir, file), value) != 0) {
    int err = errno;
    return fail_errno("setting " + file + " to " + value + " for container " + id, err);
  }
  return {};
}

Result<std::string> get(const std::string& dir, const std::string& file) {
  auto text = read_file(join_path(dir, file));
  if (!text) return std::unexpected(std::move(text).error());
  return std::string(trim(*text));
}

Result<uint64_t> get_uint(const std::string& dir, const std::string& file) {
  auto text = TRY(get(dir, file));
  if (text == "max") return UINT64_MAX;
  auto v = parse_uint(text);
  if (!v) return fail(Errc::Internal, "reading " + join_path(dir, file) + ": not a number: " + text);
  return *v;
}

std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& line : split(text, '\n', true)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string_view value = trim(std::string_view(line).substr(sp + 1));
    auto v = value == "max" ? std::optional<uint64_t>(UINT64_MAX) : parse_uint(value);
    if (v) out.emplace_back(line.substr(0, sp), *v);
  }
  return out;
}

std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key) {
  for (auto& [k, v] : parse_flat_keyed(text))
    if (k == key) return v;
  return std::nullopt;
}

Result<void> mkdir_below(const std::string& mountpoint, const std::string& dir,
                         std::vector<std::string>* created) {
  if (dir.compare(0, mountpoint.size(), mountpoint) != 0)
    return fail(Errc::Internal, "cgroup directory " + dir + " is not below " + mountpoint);
  std::string cur = mountpoint;
  for (const auto& part : split(dir.substr(mountpoint.size()), '/', true)) {
    cur = join_path(cur, part);
    if (ops().mkdir(cur, 0755) == 0) {
      created->push_back(cur);
    } else if (int err = errno; err != EEXIST) {
      return fail_errno("creating cgroup directory " + cur, err);
    }
  }
  return {};
}

Result<void> remove_cgroup_tree(const std::string& dir) {
  // A container's cgroup rarely has children: try it alone first (listing
  // every hierarchy's directory cost four syscalls each on every delete).
  if (ops().rmdir(dir) == 0 || errno == ENOENT) return {};
  if (errno != EBUSY && errno != ENOTEMPTY) return fail_errno("removing cgroup " + dir);
  for (const auto& child : subdirs(dir)) TRYV(remove_cgroup_tree(child));
  // EBUSY: the last tasks are still leaving; the kernel frees the cgroup shortly.
  int delay_us = 10000;
  for (int attempt = 0;; ++attempt) {
    if (ops().rmdir(dir) == 0) return {};
    int err = errno;
    if (err == ENOENT) return {};
    if (err != EBUSY || attempt == 5) return fail_errno("removing cgroup " + dir, err);
    ::usleep(delay_us);
    delay_us *= 2;
  }
}

}  // namespace berth::runtime::cgroup::detail
