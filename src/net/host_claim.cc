#include "net/host_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::net {
namespace {

const char* kind_tag(ClaimKind kind) { return kind == ClaimKind::Bridge ? "bridge" : "nftables-ip"; }

// The directory, made if missing, and refused unless it is ours and nobody
// else may write in it: whoever could would swap the lock files under us.
Result<UniqueFd> open_claim_dir(const std::string& dir) {
  std::error_code ec;
  if (auto parent = std::filesystem::path(dir).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  if (ec) return fail(errc_from_errno(ec.value()), "creating the lock directory " + dir, ec.value());
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating the lock directory " + dir);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno("opening the lock directory " + dir);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("reading the lock directory " + dir);
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return fail(Errc::PermissionDenied, "refusing the lock directory " + dir +
                                            ": it must belong to this user and be writable by nobody else");
  return fd;
}

// This thread's network namespace (bridges and tables live in one).
Result<ino_t> netns_id() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) return fail_errno("reading /proc/thread-self/ns/net");
  return st.st_ino;
}

std::string read_all(int fd) {
  std::string text;
  char buf[512];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || text.size() > 4096) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return text;
}

}  // namespace

std::string format_claim_holder(const ClaimHolder& holder) {
  return fmt::format("pid={}\ndata-root={}\n", holder.pid, holder.data_root);
}

std::optional<ClaimHolder> parse_claim_holder(std::string_view text) {
  ClaimHolder h;
  for (const auto& line : split(text, '\n', true)) {
    std::string_view l = line;
    if (l.starts_with("pid=")) {
      auto pid = parse_uint(l.substr(4));
      if (pid && *pid > 0 && *pid <= 0x7fffffff) h.pid = static_cast<pid_t>(*pid);
    } else if (l.starts_with("data-root=")) {
      h.data_root = std::string(l.substr(10));
    }
  }
  if (h.pid == 0) return std::nullopt;
  return h;
}

std::string claim_object(ClaimKind kind, const std::string& name) {
  return (kind == ClaimKind::Bridge ? "bridge " : "nftables table ip ") + name;
}

HostClaim& HostClaim::operator=(HostClaim&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
  }
  return *this;
}

void HostClaim::release() {
  if (!fd_) return;
  // Unlink while still locked: a claimer that opened the old file sees it
  // gone after its flock and starts over on a new one.
  ::unlink(path_.c_str());
  fd_.reset();
}

Result<HostClaim> HostClaim::take(const std::string& dir, ClaimKind kind, const std::string& name,
                                  const std::string& data_root) {
  const std::string object = claim_object(kind, name);
  if (name.empty() || name.size() > 64 || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    return fail(Errc::InvalidArgument, "invalid name for a claim on " + object);
  UniqueFd dirfd = TRY_CTX(open_claim_dir(dir), "claiming " + object);
  ino_t ns = TRY_CTX(netns_id(), "claiming " + object);
  const std::string file = fmt::format("{}-{}-{}.lock", ns, kind_tag(kind), name);
  const std::string path = dir + "/" + file;
  // A few rounds at most: each retry means a holder released in between.
  for (int attempt = 0; attempt < 16; ++attempt) {
    UniqueFd fd(::openat(dirfd.get(), file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) return fail_errno("claiming " + object + ": opening " + path);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) return fail_errno("claiming " + object + ": locking " + path);
      auto holder = parse_claim_holder(read_all(fd.get()));
      std::string who = holder ? fmt::format("pid {}, data root {}", holder->pid,
                                             holder->data_root.empty() ? "unknown" : holder->data_root)
                               : "it has not recorded its pid yet";
      return fail(Errc::Conflict, fmt::format("{} is in use by another berthd ({})", object, who));
    }
    struct stat mine {}, named {};
    if (::fstat(fd.get(), &mine) != 0) return fail_errno("claiming " + object + ": reading " + path);
    if (::fstatat(dirfd.get(), file.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // released and removed between our open and our lock
      return fail_errno("claiming " + object + ": reading " + path);
    }
    if (mine.st_ino != named.st_ino || mine.st_dev != named.st_dev) continue;
    // Truncated only when a dead holder left a longer text: on ext4 a
    // truncated inode costs milliseconds when it is later freed.
    std::string text = format_claim_holder({::getpid(), data_root});
    if (::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
        (mine.st_size > static_cast<off_t>(text.size()) && ::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0))
      return fail_errno("claiming " + object + ": writing " + path);
    return HostClaim(std::move(fd), path);
  }
  return fail(Errc::Unavailable, "claiming " + object + ": " + path + " keeps being replaced");
}

}  // namespace berth::net
