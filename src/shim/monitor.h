// The shim's event loop once the process runs: output to the log writer and
// to every connection, stdin/resize/hello and requests from connections, and
// at the process's exit the exit status, the container's removal and Exited
// frames.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "logs/log_writer.h"
#include "shim/container_stdio.h"
#include "shim/options.h"
#include "shimproto/protocol.h"

namespace berth::shim {

using shimproto::ExitStatus;
using shimproto::Frame;
using shimproto::ShimState;
using shimproto::FrameDecoder;
using shimproto::kHeaderSize;
using shimproto::encode_header;

struct Conn;  // a connection from a daemon (monitor.cc)

class Monitor {
 public:
  // log: nullptr when nothing is logged (exec mode).
  Monitor(const Options& opts, ContainerStdio stdio, std::unique_ptr<logs::LogWriter> log, pid_t pid, int state_dirfd);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Set-up before run(): the epoll set, SIGCHLD through a signalfd, the
  // listening socket and the daemon's first connection.
  Result<void> init(UniqueFd listen, UniqueFd daemon_conn);
  // Until the process has exited, its output is drained, exit.json written
  // and every connection has its Exited frame (or is gone).
  Result<ExitStatus> run();

  enum class Tag : uint8_t { Signal, Listen, Stdout, Stderr, Stdin, Conn };
  struct Watch {
    Tag tag;
    Conn* conn = nullptr;
  };

 private:
  Result<void> watch(int fd, uint32_t events, Watch* w);
  void unwatch(int fd);
  void add_conn(UniqueFd fd);
  void update_conn_events(Conn& c);
  void send_to(Conn& c, Frame type, std::string_view payload);
  void broadcast(Frame type, std::string_view payload);
  void on_conn_readable(Conn& c);
  void on_conn_writable(Conn& c);
  void on_frame(Conn& c, Frame type, const std::string& payload);
  void on_request(Conn& c, const std::string& payload);
  void sweep_conns();
  // Reads up to `budget` bytes of the process's output (less once nothing is
  // left or the connections hold back too much) and sends them on: the bytes
  // read, or -1 at EOF.
  ssize_t on_output(Tag stream, size_t budget);
  // Output waits while a stdio connection holds more than it should take.
  size_t stream_backlog() const;
  void hold_output(bool held);
  void resume_output_if_taken();
  // The ms until the oldest stalled connection is due to be dropped (-1: none stalls).
  int stall_timeout_ms() const;
  void drop_stalled_conns(int stall_ms);
  // While output is held or queued at exit: handles the connections' events
  // until `progress_at_ms` + kExitFlushMs; false when none took anything by then.
  bool wait_for_conns(int64_t& progress_at_ms);
  void flush_stdin();
  Result<nlohmann::json> reopen_log();  // the reopen_log request
  void close_stdin();
  void set_stdin_paused(bool paused);
  void reap_children();
  void on_event(const Watch& w, uint32_t events);
  Result<ExitStatus> finish();

  const Options& opts_;
  ContainerStdio stdio_;
  std::unique_ptr<logs::LogWriter> log_;
  bool log_failed_ = false;
  pid_t pid_;
  int state_dirfd_;
  UniqueFd epoll_, signal_fd_, listen_;
  std::vector<std::unique_ptr<Conn>> conns_;
  bool out_open_ = false, err_open_ = false;
  bool output_held_ = false;
  std::string stdin_queue_;
  size_t stdin_off_ = 0;
  bool stdin_watched_ = false, stdin_close_requested_ = false, stdin_paused_ = false;
  std::optional<int> wait_status_;
  ShimState state_;
  Watch signal_watch_{Tag::Signal}, listen_watch_{Tag::Listen}, out_watch_{Tag::Stdout}, err_watch_{Tag::Stderr},
      stdin_watch_{Tag::Stdin};
};

}  // namespace berth::shim
