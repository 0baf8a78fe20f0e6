// A StreamRuntime without containers, for the streaming server's tests (the
// unit tests and tests/tools/kubestream-test-server). The command names what
// the fake does:
//   echo-stdin N   copy stdin to stdout until end of file, then "err:<bytes>\n" on stderr, exit N
//   line N         copy one line of stdin to stdout, "err\n" on stderr, exit N
//   exit N         exit N at once
//   fail           a runtime error (NotFound)
//   wait-gone      wait until the client has gone (StreamIo::client_gone), then exit 0
// With a tty, every terminal size becomes "resize ROWSxCOLS\n" on stdout.
// Port forward: port 1000 echoes each chunk at once, port 2000 answers
// "2000:" + the upper-cased input after the client's end of input, port 9
// is refused. Each connection is one end of a socketpair served by a thread.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kubestream/stream_server.h"

namespace berth::kubestream::testing {

inline bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    // send() on the sockets (no SIGPIPE when the server has hung up), write() on pipes.
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class FakeRuntime : public StreamRuntime {
 public:
  ~FakeRuntime() override {
    std::lock_guard lock(mu_);
    for (auto& t : peers_) t.join();
  }

  Result<int> exec(const std::string& container_id, const std::vector<std::string>& cmd, bool tty, StreamIo io,
                   SetResize set_resize) override {
    execs_++;
    last_container_ = container_id;
    if (cmd.empty()) return fail(Errc::InvalidArgument, "no command");
    int code = cmd.size() > 1 ? std::atoi(cmd[1].c_str()) : 0;
    if (cmd[0] == "fail") return fail(Errc::NotFound, "container " + container_id + " not found");
    if (cmd[0] == "wait-gone") {
      pollfd p{io.client_gone.get(), POLLIN, 0};
      while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
      std::lock_guard lock(mu_);
      saw_client_gone_ = true;
      gone_cv_.notify_all();
      return 0;
    }
    std::mutex out_mu;  // resize lines and copied input share stdout
    int out = io.stdout_fd.get();
    if (tty) {
      set_resize([&, out](unsigned rows, unsigned cols) {
        std::lock_guard lock(out_mu);
        if (out >= 0) write_all(out, "resize " + std::to_string(rows) + "x" + std::to_string(cols) + "\n");
      });
    }
    if (cmd[0] == "exit") {
      if (tty) set_resize(nullptr);
      return code;
    }
    size_t total = 0;
    char buf[4096];
    int in = io.stdin_fd.get();
    bool line = cmd[0] == "line";
    while (in >= 0) {
      ssize_t n = ::read(in, buf, line ? 1 : sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      total += static_cast<size_t>(n);
      std::lock_guard lock(out_mu);
      if (out >= 0) write_all(out, std::string_view(buf, static_cast<size_t>(n)));
      if (line && buf[0] == '\n') break;
    }
    if (io.stderr_fd) write_all(io.stderr_fd.get(), line ? "err\n" : "err:" + std::to_string(total) + "\n");
    // No resize after exec returns: the handler captured locals.
    if (tty) set_resize(nullptr);
    return code;
  }

  Result<int> attach(const std::string& container_id, bool tty, StreamIo io, SetResize set_resize) override {
    return exec(container_id, {"echo-stdin", "0"}, tty, std::move(io), std::move(set_resize));
  }

  Result<UniqueFd> port_forward(const std::string& pod_sandbox_id, uint16_t port) override {
    if (port == 9) return fail(Errc::Unavailable, "connection refused");
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return fail_errno("socketpair");
    std::lock_guard lock(mu_);
    peers_.emplace_back([peer = sv[1], port] {
      char buf[4096];
      std::string got;
      for (;;) {
        ssize_t n = ::read(peer, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (port == 1000) {
          write_all(peer, std::string_view(buf, static_cast<size_t>(n)));
        } else {
          got.append(buf, static_cast<size_t>(n));
        }
      }
      if (port != 1000) {
        std::transform(got.begin(), got.end(), got.begin(), [](unsigned char c) { return std::toupper(c); });
        write_all(peer, std::to_string(port) + ":" + got);
      }
      ::close(peer);
    });
    return UniqueFd(sv[0]);
  }

  // Waits until a wait-gone command saw its client leave (bounded, for a failing test).
  bool wait_client_gone() {
    std::unique_lock lock(mu_);
    return gone_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return saw_client_gone_; });
  }

  std::atomic<int> execs_{0};
  std::string last_container_;

 private:
  std::condition_variable gone_cv_;
  bool saw_client_gone_ = false;
  std::mutex mu_;
  std::vector<std::thread> peers_;
};

}  // namespace berth::kubestream::testing
