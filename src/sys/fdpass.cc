#include "sys/fdpass.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth::sys {

int send_fd_raw(int sock, int fd, const void* data, size_t len) {
  struct iovec iov = {const_cast<void*>(data), len};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  std::memset(control, 0, sizeof control);
  struct msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

Result<void> send_fd(int sock, int fd, std::string_view payload) {
  if (send_fd_raw(sock, fd, payload.data(), payload.size()) != 0)
    return fail_errno("sending a file descriptor over a socket");
  return {};
}

ssize_t recv_with_fd(int sock, void* buf, size_t len, int* fd) {
  *fd = -1;
  struct iovec iov = {buf, len};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(fd, CMSG_DATA(c), sizeof(int));
  return n;
}

Result<UniqueFd> recv_fd(int sock) {
  char data[256];
  int fd = -1;
  if (recv_with_fd(sock, data, sizeof data, &fd) < 0) return fail_errno("receiving a file descriptor");
  if (fd < 0) return fail(Errc::Internal, "no file descriptor in the message received");
  return UniqueFd(fd);
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

}  // namespace berth::sys
