#include "runtime/launch/sync.h"

#include <sys/socket.h>

#include "sys/fdpass.h"

#include <cstdio>
#include <cstring>

namespace berth::runtime {

int sync_send(int fd, SyncType type) {
  SyncMsg msg;
  msg.type = type;
  ssize_t n;
  do {
    n = ::send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof msg) ? 0 : -1;
}

void sync_send_error(int fd, int err, const char* fmt, ...) {
  SyncMsg msg;
  msg.type = SyncType::Error;
  msg.err = err;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg.text, sizeof msg.text, fmt, ap);
  va_end(ap);
  ssize_t n;
  do {
    n = ::send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
}

int sync_recv(int fd, SyncMsg* msg) {
  ssize_t n;
  do {
    n = ::recv(fd, msg, sizeof *msg, 0);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof *msg) ? 0 : -1;
}

int sync_send_fd(int fd, SyncType type, int passfd) {
  SyncMsg msg;
  msg.type = type;
  return sys::send_fd_raw(fd, passfd, &msg, sizeof msg);
}

int sync_recv_with_fd(int fd, SyncMsg* msg, int* passed_fd) {
  return sys::recv_with_fd(fd, msg, sizeof *msg, passed_fd) == static_cast<ssize_t>(sizeof *msg) ? 0 : -1;
}

Result<void> sync_expect(int fd, SyncType expected, const std::string& what) {
  SyncMsg msg;
  if (sync_recv(fd, &msg) != 0)
    return fail(Errc::Internal, what + ": the container process exited during set-up");
  if (msg.type == SyncType::Error) {
    msg.text[sizeof msg.text - 1] = 0;
    Error e{msg.err ? errc_from_errno(msg.err) : Errc::Internal, msg.err, msg.text};
    return std::unexpected(e);
  }
  if (msg.type != expected)
    return fail(Errc::Internal, what + ": unexpected message " + std::to_string(static_cast<int>(msg.type)) +
                                    " from the container process");
  return {};
}

}  // namespace berth::runtime
