#include "base/fd_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace berth {

Result<size_t> read_full(int fd, char* p, size_t len, const std::string& what) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

Result<void> write_all_iov(int fd, const iovec* iov, int count, const std::string& what) {
  constexpr int kMax = 8;
  if (count < 0 || count > kMax) return fail(Errc::InvalidArgument, what + ": too many buffers");
  size_t total = 0, done = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  bool socket = true;
  while (done < total) {
    // Skip what was written already, across the buffers.
    size_t skip = done;
    iovec cur[kMax];
    int n = 0;
    for (int i = 0; i < count; ++i) {
      if (skip >= iov[i].iov_len) {
        skip -= iov[i].iov_len;
        continue;
      }
      cur[n++] = {static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip};
      skip = 0;
    }
    ssize_t w;
    if (socket) {
      msghdr msg{};
      msg.msg_iov = cur;
      msg.msg_iovlen = static_cast<size_t>(n);
      w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (w < 0 && errno == ENOTSOCK) {
        socket = false;
        continue;
      }
    } else {
      w = ::writev(fd, cur, n);
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what);
    }
    done += static_cast<size_t>(w);
  }
  return {};
}

}  // namespace berth
