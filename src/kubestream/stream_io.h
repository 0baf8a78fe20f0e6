// What the protocol code (remote command, port forward) sees of a transport
// (SPDY streams, WebSocket channels): streams it writes to, sinks it is fed
// from; and the two pumps between those and the runtime's file descriptors.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::kubestream {

// Bytes towards the client on one stream/channel. Thread-safe.
class OutStream {
 public:
  virtual ~OutStream() = default;
  virtual Result<void> write(std::string_view data) = 0;
  // No more data: SPDY sends FIN; a WebSocket channel has nothing to send.
  virtual void close() = 0;
};

// Bytes from the client on one stream/channel, delivered in order on the
// connection's reader thread; eof() once (half-close, reset or connection end).
class InSink {
 public:
  virtual ~InSink() = default;
  virtual void data(std::string_view bytes) = 0;
  virtual void eof() = 0;
};

// Writes what arrives into an fd on its own thread, so that a process that
// does not read its stdin (or a slow pod socket) never stalls the reader of
// the connection (and with it resize, ping and other streams). Data before
// start() is queued; past kMaxQueued bytes data() waits (back-pressure).
class FdWriter : public InSink {
 public:
  static constexpr size_t kMaxQueued = 4 << 20;
  FdWriter() = default;
  ~FdWriter() override;
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;

  // Writes into fd (not owned) from now on; at_eof runs on the writer thread
  // after the last byte (closes a pipe, half-closes a socket).
  void start(int fd, std::function<void()> at_eof);
  void data(std::string_view bytes) override;
  void eof() override;
  // Drops what is queued and ends the thread (without running at_eof).
  void stop();

 private:
  void loop(int fd, std::function<void()> at_eof);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  bool eof_ = false, stopped_ = false, started_ = false;
  std::mutex join_mu_;
  std::thread thread_;
};

// A one-shot wake-up that poll() can wait on (an eventfd).
class Wakeup {
 public:
  Wakeup();
  void fire();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

enum class PumpEnd { Eof, Stopped, WriteFailed, ReadFailed };
// Copies fd -> out until end of file, a failed write, or `stop` fires; after
// `stop` it still copies what is already buffered in fd (without waiting).
PumpEnd pump(int fd, OutStream& out, const Wakeup* stop);

}  // namespace berth::kubestream
