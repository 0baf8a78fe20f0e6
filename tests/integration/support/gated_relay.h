// A TCP relay on 127.0.0.1 in front of a server (the test registry) that can
// hold a response mid-way: once a connection has sent the client more than
// `hold_after` bytes, it stops relaying until release(). Tests use it to see
// what a client does while a download is still in flight (a pull unpacking a
// layer before its last byte), without timing anything.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::testing {

class GatedRelay {
 public:
  // upstream: "127.0.0.1:PORT". Throws std::runtime_error if it cannot listen.
  GatedRelay(const std::string& upstream, uint64_t hold_after);
  ~GatedRelay();  // releases, closes every connection, joins
  GatedRelay(const GatedRelay&) = delete;
  GatedRelay& operator=(const GatedRelay&) = delete;

  std::string address() const;  // "127.0.0.1:PORT"
  // Blocks until a connection is held (false after timeout_ms).
  bool wait_held(int timeout_ms);
  void release();

 private:
  void accept_loop();
  void relay(int client);
  bool pass(uint64_t sent_before, size_t n);  // waits at the gate

  int listen_fd_ = -1;
  int upstream_port_ = 0, port_ = 0;
  uint64_t hold_after_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false, stopping_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace berth::testing
