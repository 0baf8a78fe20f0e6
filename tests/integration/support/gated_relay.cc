#include "support/gated_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace berth::testing {
namespace {

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

GatedRelay::GatedRelay(const std::string& upstream, uint64_t hold_after) : hold_after_(hold_after) {
  upstream_port_ = std::stoi(upstream.substr(upstream.rfind(':') + 1));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("gated relay: cannot listen on 127.0.0.1");
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

GatedRelay::~GatedRelay() {
  {
    std::lock_guard lk(mu_);
    stopping_ = released_ = true;
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  for (auto& t : threads_) t.join();
  for (int fd : fds_) ::close(fd);
  ::close(listen_fd_);
}

std::string GatedRelay::address() const { return "127.0.0.1:" + std::to_string(port_); }

bool GatedRelay::wait_held(int timeout_ms) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return held_; });
}

void GatedRelay::release() {
  {
    std::lock_guard lk(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

void GatedRelay::accept_loop() {
  for (;;) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    std::lock_guard lk(mu_);
    if (stopping_) {
      ::close(c);
      return;
    }
    fds_.push_back(c);
    threads_.emplace_back([this, c] { relay(c); });
  }
}

bool GatedRelay::pass(uint64_t sent_before, size_t n) {
  if (sent_before + n <= hold_after_) return true;
  std::unique_lock lk(mu_);
  if (!released_ && !held_) {
    held_ = true;
    cv_.notify_all();
  }
  cv_.wait(lk, [&] { return released_; });
  return !stopping_;
}

// One connection, both directions in one thread (poll): requests go up as
// they come, responses come down through the gate.
void GatedRelay::relay(int client) {
  int up = connect_loopback(upstream_port_);
  if (up < 0) return;
  {
    std::lock_guard lk(mu_);
    fds_.push_back(up);
  }
  uint64_t sent_down = 0;
  char buf[16 << 10];
  pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, -1) < 0) return;
    if (p[0].revents) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0 || !write_all(up, buf, static_cast<size_t>(n))) return;
    }
    if (p[1].revents) {
      ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) return;
      // Up to the threshold, then wait at the gate with the rest.
      size_t first = sent_down < hold_after_ ? std::min<uint64_t>(static_cast<uint64_t>(n), hold_after_ - sent_down) : 0;
      if (first && !write_all(client, buf, first)) return;
      sent_down += first;
      if (first < static_cast<size_t>(n)) {
        if (!pass(sent_down, static_cast<size_t>(n) - first)) return;
        if (!write_all(client, buf + first, static_cast<size_t>(n) - first)) return;
        sent_down += static_cast<size_t>(n) - first;
      }
    }
  }
}

}  // namespace berth::testing
