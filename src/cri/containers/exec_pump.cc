#include "cri/containers/exec_pump.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

namespace berth::cri {
namespace {

// Splits Docker's stream frames ([stream, 0, 0, 0, size32be] + payload).
class Demux {
 public:
  explicit Demux(const std::function<void(OutStream, std::string_view)>& sink) : sink_(sink) {}
  void feed(std::string_view data) {
    buf_.append(data);
    size_t pos = 0;
    while (buf_.size() - pos >= 8) {
      auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
      size_t len = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | size_t{h[7]};
      if (buf_.size() - pos - 8 < len) break;
      if (sink_) sink_(h[0] == 2 ? OutStream::Stderr : OutStream::Stdout, std::string_view(buf_).substr(pos + 8, len));
      pos += 8 + len;
    }
    buf_.erase(0, pos);
  }

 private:
  const std::function<void(OutStream, std::string_view)>& sink_;
  std::string buf_;
};

}  // namespace

Result<bool> pump_exec(const std::function<Result<void>(UniqueFd server_end)>& start, const PumpOptions& o) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("creating an exec socket pair");
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  Result<void> started;
  std::thread server([&, fd = std::move(theirs)]() mutable { started = start(std::move(fd)); });

  Demux demux(o.on_output);
  bool stdin_open = o.stdin_fd >= 0;
  bool deadline_passed = false;
  char buf[64 * 1024];
  for (;;) {
    int timeout_ms = -1;
    if (o.deadline && !deadline_passed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*o.deadline - std::chrono::steady_clock::now());
      timeout_ms = left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
    }
    pollfd fds[2] = {{ours.get(), POLLIN, 0}, {stdin_open ? o.stdin_fd : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (n == 0) {
      deadline_passed = true;
      if (o.on_deadline) o.on_deadline();
      continue;
    }
    if (fds[1].revents) {
      ssize_t got = ::read(o.stdin_fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        stdin_open = false;
        ::shutdown(ours.get(), SHUT_WR);  // the engine closes the process's stdin
      } else {
        for (ssize_t off = 0; off < got;) {
          ssize_t w = ::send(ours.get(), buf + off, static_cast<size_t>(got - off), MSG_NOSIGNAL);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) break;
          off += w;
        }
      }
    }
    if (fds[0].revents) {
      ssize_t got = ::read(ours.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // the engine closed its end: the process ended
      std::string_view data(buf, static_cast<size_t>(got));
      if (o.tty) {
        if (o.on_output) o.on_output(OutStream::Stdout, data);
      } else {
        demux.feed(data);
      }
    }
  }
  ours.reset();
  server.join();
  if (!started) return std::unexpected(started.error());
  return deadline_passed;
}

}  // namespace berth::cri
