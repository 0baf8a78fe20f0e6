// A scripted HTTP/1.1 server on 127.0.0.1 for the registry client's unit
// tests: each request is recorded and answered by a handler, one connection
// at a time ("Connection: close"). Loopback only.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace berth::testing {

class FakeRegistry {
 public:
  struct Request {
    std::string method, target;                  // "GET", "/v2/a/manifests/t?ns=x"
    std::map<std::string, std::string> headers;  // names lowercased
    std::string header(const std::string& lower) const {
      auto it = headers.find(lower);
      return it == headers.end() ? "" : it->second;
    }
  };
  struct Reply {
    int status = 200;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
  };
  using Handler = std::function<Reply(const Request&)>;

  explicit FakeRegistry(Handler handler) : handler_(std::move(handler)) {
    listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_.get(), 16) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("fake registry: cannot listen on 127.0.0.1");
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    stop_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRegistry() {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;

  const std::string& address() const { return address_; }
  std::vector<Request> requests() const {
    std::lock_guard lk(mu_);
    return requests_;
  }

  // A loopback port nothing listens on (bound, then closed): connection refused.
  static std::string refused_address() {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }

 private:
  void serve() {
    while (true) {
      pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c) handle(c.get());
    }
  }

  void handle(int fd) {
    std::string in;
    char buf[4096];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    Request req;
    size_t line_end = in.find("\r\n");
    std::string first = in.substr(0, line_end);
    auto sp1 = first.find(' '), sp2 = first.rfind(' ');
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    for (size_t at = line_end + 2; at < head_end;) {
      size_t end = in.find("\r\n", at);
      std::string line = in.substr(at, end - at);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = line.find_first_not_of(' ', colon + 1);
        req.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      at = end + 2;
    }
    size_t want = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
    while (in.size() - (head_end + 4) < want) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard lk(mu_);
      requests_.push_back(req);
    }
    Reply r = handler_(req);
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(r.body.size()) + "\r\n";
    for (const auto& h : r.headers) out += h + "\r\n";
    out += "\r\n";
    if (req.method != "HEAD") out += r.body;
    for (size_t sent = 0; sent < out.size();) {
      ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  UniqueFd listener_, stop_;
  std::string address_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
};

}  // namespace berth::testing
