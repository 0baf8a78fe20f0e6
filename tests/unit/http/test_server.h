// A Server on a socket in a fresh temp dir, run on a thread; used by the
// http and api unit tests.
#pragma once

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "server/http/server.h"

namespace berth::testing {

class TestServer {
 public:
  explicit TestServer(server::Router router, server::ServerOptions opts = {}) {
    char tmpl[] = "/tmp/berth-http-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    socket_ = dir_ + "/berth.sock";
    server_ = std::make_unique<server::Server>(std::move(router), std::move(opts));
    auto r = server_->listen("unix://" + socket_, 0600, "");
    EXPECT_TRUE(r) << r.error().str();
    thread_ = std::thread([this] { run_result_ = server_->run(); });
  }
  ~TestServer() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  void stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
    EXPECT_TRUE(run_result_) << run_result_.error().str();
  }
  const std::string& socket_path() const { return socket_; }
  std::string address() const { return "unix://" + socket_; }
  std::string dir() const { return dir_; }
  server::Server& server() { return *server_; }

 private:
  std::string dir_, socket_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  Result<void> run_result_;
};

inline UniqueFd connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

inline std::string read_to_eof(int fd) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Reads until `needle` has arrived (or EOF); returns everything read.
inline std::string read_until(int fd, std::string_view needle) {
  std::string out;
  char buf[4096];
  while (out.find(needle) == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace berth::testing
