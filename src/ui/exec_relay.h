// The dashboard's terminal: a browser's WebSocket relayed to an exec's raw
// TTY stream (the hijacked connection of POST /exec/{id}/start).
//
// The browser's messages: binary = keystrokes (the exec's stdin); text = a
// JSON control message, {"resize":[cols,rows]}. The server's: binary = the
// terminal's output; once the exec's stream ends, the caller sends a text
// {"exit":CODE} and a close frame.
#pragma once

#include <functional>
#include <string>

namespace berth::ui {

struct ExecRelayIo {
  int ws_fd = -1;             // the upgraded browser connection (not owned)
  std::string ws_buffered;    // bytes the browser sent after its request
  int exec_fd = -1;           // the exec's stream (not owned)
  std::string exec_buffered;  // output that came with the start answer
  std::function<void(unsigned cols, unsigned rows)> resize;
  // Called once, on the output thread, before the exec's first output is
  // relayed: the process is running by then (a resize before that may have
  // been refused).
  std::function<void()> first_output;
};

enum class RelayEnd { ExecEnded, BrowserLeft };

// Relays until the exec's stream ends (its output is all sent first) or the
// browser closes or leaves (the exec's stream is then shut down, which ends
// its stdin). Pings are answered.
RelayEnd relay_exec(ExecRelayIo io);

// Sends the exit message and a close frame (normal closure).
void finish_exec_socket(int ws_fd, int exit_code);
// Sends an error text {"error":MSG} and a close frame (internal error).
void fail_exec_socket(int ws_fd, const std::string& message);

}  // namespace berth::ui
