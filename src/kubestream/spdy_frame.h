// SPDY/3.1 framing, as far as Kubernetes' streaming needs it (the peer is
// moby/spdystream in the kubelet's proxy, crictl and kubectl): the frame
// layout, the header blocks and their zlib compression with the SPDY/3
// dictionary. One Framer per connection: SPDY compresses all header blocks
// of one direction as a single zlib stream, so the codec keeps state.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::kubestream::spdy {

extern const unsigned char kHeaderDictionary[];
extern const size_t kHeaderDictionarySize;

constexpr uint16_t kVersion = 3;

enum class FrameType : uint16_t {
  Data = 0,  // not a control frame type on the wire; marks DATA frames here
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
  Unknown = 0xffff,  // a control frame type this code does not handle (skipped, as SPDY says)
};

constexpr uint8_t kFlagFin = 0x01;
constexpr uint8_t kFlagUnidirectional = 0x02;

// RST_STREAM status codes.
constexpr uint32_t kProtocolError = 1;
constexpr uint32_t kInvalidStream = 2;
constexpr uint32_t kRefusedStream = 3;
constexpr uint32_t kCancel = 5;
constexpr uint32_t kInternalError = 6;

// Header names are lower case; a name may repeat (one entry per value).
using Headers = std::vector<std::pair<std::string, std::string>>;
// The first value of name, "" when absent.
std::string header_value(const Headers& headers, std::string_view name);

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;
  uint32_t value = 0;
};

struct Frame {
  FrameType type = FrameType::Data;
  uint8_t flags = 0;
  uint32_t stream_id = 0;       // DATA, SYN_*, RST_STREAM, HEADERS, WINDOW_UPDATE; GOAWAY's last good id
  uint32_t associated_id = 0;   // SYN_STREAM
  uint8_t priority = 0;         // SYN_STREAM, 0 (highest) to 7
  Headers headers;              // SYN_STREAM, SYN_REPLY, HEADERS
  uint32_t status = 0;          // RST_STREAM, GOAWAY
  uint32_t ping_id = 0;         // PING
  uint32_t delta_window = 0;    // WINDOW_UPDATE
  std::vector<Setting> settings;  // SETTINGS
  std::string data;             // DATA
  uint16_t version = kVersion;  // control frames as read; frames of other versions are answered with an error
};

// The uncompressed header block: count, then length-prefixed names and
// values (repeated names joined with NUL, as SPDY/3 says).
std::string encode_header_block(const Headers& headers);
Result<Headers> decode_header_block(std::string_view block);

// One direction's zlib stream (level 9, the SPDY dictionary), each block
// ended with a sync flush so the peer can decode it from this frame alone.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  Result<std::string> compress(std::string_view block);

 private:
  z_stream z_{};
  bool ok_ = false;
};

class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  Result<std::string> decompress(std::string_view compressed);

 private:
  z_stream z_{};
  bool ok_ = false;
};

// Encodes frames (compressing header blocks) and decodes them from a byte
// buffer (decompressing). Not thread-safe: the connection serialises writes.
class Framer {
 public:
  static constexpr size_t kMaxHeaderBlock = 256 * 1024;  // decompressed, per frame
  static constexpr size_t kMaxDataLength = (1u << 24) - 1;

  Result<std::string> encode(const Frame& frame);
  // Decodes the frame at the front of buf into out and returns the bytes it
  // used; 0 when buf holds no complete frame yet. A malformed frame is an error.
  Result<size_t> decode(std::string_view buf, Frame& out);

 private:
  HeaderCompressor compressor_;
  HeaderDecompressor decompressor_;
};

}  // namespace berth::kubestream::spdy
