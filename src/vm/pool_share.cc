#include "vm/pool_share.h"

#include "base/file.h"
#include "base/strings.h"

#include <ftw.h>
#include <sys/mount.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace berth::vm {

Result<void> make_shared_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) return fail_errno("bind-mounting " + dir + " on itself");
  // A peer group of its own: mounts below it reach virtiofsd's namespace and
  // nowhere else.
  if (::mount(nullptr, dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    int err = errno;
    ::umount2(dir.c_str(), MNT_DETACH);
    return fail_errno("making " + dir + " a shared mount", err);
  }
  return {};
}

Result<void> bind_into(const std::string& dir, const std::string& name, const std::string& source, bool readonly) {
  std::string target = dir + "/" + name;
  if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + target);
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_errno("bind-mounting " + source + " into the pooled VM's share");
  if (readonly && ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return fail_errno("making " + target + " read-only", err);
  }
  return {};
}

void detach_tree(const std::string& dir) { ::umount2(dir.c_str(), MNT_DETACH); }

namespace {
int remove_entry(const char* path, const struct stat*, int type, FTW*) {
  if (type == FTW_DP) ::rmdir(path);
  else ::unlink(path);
  return 0;
}

// mountinfo's escaping of a mount point (octal for space, tab, newline, backslash).
std::string mountinfo_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

bool has_mounts_under(const std::string& dir) {
  auto text = read_file("/proc/self/mountinfo");
  if (!text) return true;  // cannot tell: do not remove
  std::string want = mountinfo_escape(dir);
  for (auto line : split(*text, '\n')) {
    auto fields = split(line, ' ');
    if (fields.size() < 5) continue;
    std::string_view mp = fields[4];
    if (mp == want || (mp.size() > want.size() && mp.substr(0, want.size()) == want && mp[want.size()] == '/')) return true;
  }
  return false;
}

}  // namespace

void remove_dir_same_fs(const std::string& dir) {
  // A bind of a volume on the same filesystem would look like our own files:
  // with anything still mounted below, nothing is removed.
  if (has_mounts_under(dir)) return;
  ::nftw(dir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

Result<void> send_fds(int sock, const std::vector<int>& fds, const std::string& payload) {
  if (fds.empty() || fds.size() > 8) return fail(Errc::InvalidArgument, "send_fds: 1-8 fds");
  msghdr msg{};
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)]{};
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("sending fds");
  if (static_cast<size_t>(n) != payload.size()) return fail(Errc::Internal, "sending fds: a short write");
  return {};
}

Result<std::pair<std::string, std::vector<UniqueFd>>> recv_fds(int sock, size_t max_fds) {
  if (max_fds == 0 || max_fds > 8) return fail(Errc::InvalidArgument, "recv_fds: 1-8 fds");
  std::string buf(65536, '\0');
  msghdr msg{};
  iovec iov{buf.data(), buf.size()};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)]{};
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * max_fds);
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("receiving fds");
  std::vector<UniqueFd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (n == 0) return fail(Errc::Unavailable, "the peer closed the connection");
  if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) return fail(Errc::Internal, "receiving fds: the message was cut short");
  buf.resize(static_cast<size_t>(n));
  return std::make_pair(std::move(buf), std::move(fds));
}

}  // namespace berth::vm
