// Interactive I/O for run, start -a, attach and exec: the hijacked
// connection pumped from/to the terminal in one thread (poll), the terminal
// in raw mode, SIGWINCH -> resize, proxied signals -> kill, detach keys.
#pragma once

#include <termios.h>

#include <memory>
#include <optional>
#include <string>

#include "api/client.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "cli/cli.h"

namespace berth::cli {

// A request sent now whose answer is read later: `run` sends
// wait?condition=next-exit before start so the exit cannot be missed, and
// reads it when the output ends (no thread, no polling). send() returns once
// the daemon answered the headers, i.e. once the wait is registered (as
// docker's client does), so a start that follows cannot overtake it.
class PendingRequest {
 public:
  static Result<PendingRequest> send(const std::string& host, int api_minor, std::string_view method,
                                     std::string_view path);
  // The answer's status, available since send().
  int status() const;
  // Reads the rest of the answer.
  Result<api::Response> finish();

  PendingRequest(PendingRequest&&) noexcept;
  PendingRequest& operator=(PendingRequest&&) noexcept;
  ~PendingRequest();

 private:
  PendingRequest();
  struct Reply;
  UniqueFd fd_;
  std::unique_ptr<Reply> reply_;
};

// Raw mode on stdin (moby/term MakeRaw), restored by the destructor.
class RawTerminal {
 public:
  RawTerminal() = default;
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() { restore(); }
  Result<void> enable(int fd);
  void restore();

 private:
  int fd_ = -1;
  struct termios saved_ {};
};

// "ctrl-p,ctrl-q" -> "\x10\x11"; docker's rules (ctrl-@..ctrl-_, letters, single chars).
Result<std::string> parse_detach_keys(const std::string& spec);

// The terminal size of stdout (or stdin): rows, columns.
std::optional<std::pair<int, int>> terminal_size();
bool is_terminal(int fd);

struct PumpOptions {
  bool tty = false;
  bool attach_stdin = false;
  std::string detach_keys = {};  // bytes; empty = default ctrl-p ctrl-q
  std::string resize_path = {};  // "/containers/ID/resize" or "/exec/ID/resize"; "" = none
  std::string kill_path = {};    // "/containers/ID/kill" when proxying signals; "" = none
};

enum class PumpEnd { OutputClosed, Detached };

// Runs until the daemon closes the output (or the user detaches).
Result<PumpEnd> pump_streams(Cli& cli, api::Client::Hijacked& conn, const PumpOptions& opts);

// Sends the current terminal size to resize_path.
void send_resize(Cli& cli, const std::string& resize_path);

}  // namespace berth::cli
