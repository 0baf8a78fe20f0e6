// The wire between the host (berthd's VM task, or a test driver) and the
// guest agent (berth-vm-agent, PID 1 in a microVM): one byte stream carrying
// frames, multiplexed by a stream number. The stream is a virtio-serial port
// (QEMU's chardev socket on the host, /dev/vportNpM named "berth.agent" in
// the guest) or, where the host has /dev/vhost-vsock, an AF_VSOCK connection;
// the frames do not care which.
//
// Header (12 bytes): 1 byte type, 3 zero bytes, 4 bytes big-endian stream,
// 4 bytes big-endian payload length. Stream 0 is the control stream (Hello,
// Request, Reply); a process's stdio, resize and exit travel on the stream
// number the host gave that process when it created or exec'd it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::vmproto {

enum class Frame : uint8_t {
  // both ways, stream 0
  Hello = 1,       // JSON Hello (messages.h): each side sends one first
  // host -> guest
  Request = 2,     // stream 0, JSON Request: answered by one Reply with the same id
  Stdin = 16,      // raw bytes for the process's stdin
  StdinEof = 17,   // empty: close the process's stdin
  Resize = 18,     // JSON {"h": rows, "w": cols}: the process's terminal size
  // guest -> host
  Reply = 3,       // stream 0, JSON Reply
  Stdout = 32,     // raw bytes (with a terminal, all output is Stdout)
  Stderr = 33,     // raw bytes
  StdoutEof = 34,  // empty: no more Stdout on this stream
  StderrEof = 35,  // empty: no more Stderr on this stream
  Exited = 36,     // JSON ExitStatus: the process is gone and its output drained (last frame of a stream)
};

// A frame type this version knows (a decoder hands on unknown types too: a
// newer peer's frame is skipped by the reader, not a protocol error).
bool known_frame(uint8_t type);
const char* frame_name(Frame type);

inline constexpr size_t kHeaderSize = 12;
inline constexpr uint32_t kControlStream = 0;
inline constexpr uint32_t kMaxPayload = 1u << 20;  // larger data is split into several frames
inline constexpr size_t kDataChunk = 64 * 1024;    // what a relay puts in one data frame

struct FrameData {
  Frame type{};
  uint32_t stream = 0;
  std::string payload;
};

// Encodes one frame (header + payload); the payload must be at most kMaxPayload.
std::string encode_frame(Frame type, uint32_t stream, std::string_view payload);
void encode_header(Frame type, uint32_t stream, uint32_t length, char out[kHeaderSize]);

// Incremental decoder for a byte stream: feed() what was read, then take
// frames with next() until it returns nullopt. A payload over kMaxPayload or a
// non-zero padding byte is a protocol error (InvalidArgument); after one, the
// decoder stays failed (the stream has lost its framing).
class FrameDecoder {
 public:
  void feed(std::string_view bytes);
  Result<std::optional<FrameData>> next();
  // Bytes fed and not yet returned as frames.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  std::optional<Error> failed_;
};

// Blocking helpers on a socket or a character device (EINTR retried, partial
// writes completed, no SIGPIPE on a socket whose peer left).
Result<void> write_frame(int fd, Frame type, uint32_t stream, std::string_view payload);
// Reads exactly one frame: Unavailable on EOF (before or inside a frame).
Result<FrameData> read_frame(int fd);

}  // namespace berth::vmproto
