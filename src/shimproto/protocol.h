// The wire between berthd and a berth-shim: a UNIX stream socket carrying
// frames. Header: 1 byte type, 3 zero bytes, 4 bytes big-endian payload length
// (the same shape as Docker's multiplexed stream, so output frames can be
// forwarded to non-TTY attach clients unchanged for types 1 and 2).
//
// A shim accepts any number of connections: the socketpair end it inherits as
// fd 3 from the daemon that spawned it, and connections to
// <state-dir>/shim.sock (a restarted daemon, or a second daemon thread).
// Every connection receives every output frame from the moment it connects,
// and the Exited frame; any connection may send stdin, resize and close.
//
// Requests (kill, pause, update, stats...) go over a connection of their
// own: a daemon connects to shim.sock and sends Control first, and the shim
// sends that connection no output, only the Reply to each Request. So an
// answer never waits behind output the daemon is slow to take, nor behind
// stdin the process does not read (see request.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/errc_code.h"
#include "base/error.h"

namespace berth::shimproto {

enum class Frame : uint8_t {
  // shim -> daemon
  Stdout = 1,      // raw bytes (with a TTY, all output is Stdout)
  Stderr = 2,      // raw bytes
  Started = 10,    // JSON {"pid": N}: the process runs (sent once, first)
  Exited = 11,     // JSON ExitStatus: the process is gone and its output drained
  Failed = 12,     // JSON {"message": "...", "code": "NotFound|..."}: it could not start
  State = 13,      // JSON ShimState: reply to Hello
  Reply = 14,      // JSON Reply: the answer to a Request, on its connection only
  // daemon -> shim
  Stdin = 20,      // raw bytes for the process's stdin (ignored when stdin is not open)
  CloseStdin = 21, // empty: close the process's stdin (EOF)
  Resize = 22,     // JSON {"h": rows, "w": cols}: the pty's window size
  Hello = 23,      // empty: asks for a State frame (used after reconnecting)
  Request = 24,    // JSON Request (request.h): answered by one Reply frame
  Control = 25,    // empty, first on a connection: it carries requests only (no output, no Exited)
  Launch = 26,     // JSON Assignment (assignment.h): a standby shim's work; first and only on its fd 3
};

inline constexpr size_t kHeaderSize = 8;
inline constexpr uint32_t kMaxPayload = 1u << 20;  // larger output is split into several frames

struct ExitStatus {
  int exit_code = 0;         // 128+N when killed by signal N
  bool oom_killed = false;
  std::string finished_at;   // RFC 3339 with nanoseconds
  nlohmann::json to_json() const;
  static Result<ExitStatus> from_json(const nlohmann::json& j);
};

struct ShimState {
  pid_t pid = 0;                       // the process in the host's pid namespace
  std::optional<ExitStatus> exited;    // set once the process has exited
  nlohmann::json to_json() const;
  static Result<ShimState> from_json(const nlohmann::json& j);
};

// Encodes one frame (header + payload).
std::string encode_frame(Frame type, std::string_view payload);
// Just the header, for writev of a payload held elsewhere.
void encode_header(Frame type, uint32_t length, char out[kHeaderSize]);

// Incremental decoder for a byte stream: feed() what was read, then take
// frames with next() until it returns nullopt. A payload over kMaxPayload or a
// non-zero padding byte is a protocol error (InvalidArgument).
class FrameDecoder {
 public:
  void feed(std::string_view bytes);
  Result<std::optional<std::pair<Frame, std::string>>> next();

 private:
  std::string buf_;
  size_t pos_ = 0;
};

// Blocking helpers on a socket fd (EINTR retried, partial writes completed).
Result<void> write_frame(int fd, Frame type, std::string_view payload);
// Reads exactly one frame: Unavailable on EOF (before or inside a frame).
Result<std::pair<Frame, std::string>> read_frame(int fd);

}  // namespace berth::shimproto
