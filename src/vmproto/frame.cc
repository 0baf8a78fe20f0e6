#include "vmproto/frame.h"

#include <sys/uio.h>

#include "base/fd_io.h"

namespace berth::vmproto {
namespace {

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void put_be32(uint32_t v, char* out) {
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
}

// Checks a header; the payload length when it is valid.
Result<uint32_t> check_header(const unsigned char* h) {
  if (h[1] != 0 || h[2] != 0 || h[3] != 0)
    return fail(Errc::InvalidArgument,
                "vm agent protocol: non-zero padding in a frame header (type " + std::to_string(h[0]) + ")");
  uint32_t len = be32(h + 8);
  if (len > kMaxPayload)
    return fail(Errc::InvalidArgument, "vm agent protocol: frame payload of " + std::to_string(len) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxPayload));
  return len;
}

}  // namespace

bool known_frame(uint8_t type) {
  switch (static_cast<Frame>(type)) {
    case Frame::Hello: case Frame::Request: case Frame::Reply: case Frame::Stdin: case Frame::StdinEof:
    case Frame::Resize: case Frame::Stdout: case Frame::Stderr: case Frame::StdoutEof: case Frame::StderrEof:
    case Frame::Exited:
      return true;
  }
  return false;
}

const char* frame_name(Frame type) {
  switch (type) {
    case Frame::Hello: return "Hello";
    case Frame::Request: return "Request";
    case Frame::Reply: return "Reply";
    case Frame::Stdin: return "Stdin";
    case Frame::StdinEof: return "StdinEof";
    case Frame::Resize: return "Resize";
    case Frame::Stdout: return "Stdout";
    case Frame::Stderr: return "Stderr";
    case Frame::StdoutEof: return "StdoutEof";
    case Frame::StderrEof: return "StderrEof";
    case Frame::Exited: return "Exited";
  }
  return "unknown";
}

void encode_header(Frame type, uint32_t stream, uint32_t length, char out[kHeaderSize]) {
  out[0] = static_cast<char>(type);
  out[1] = out[2] = out[3] = 0;
  put_be32(stream, out + 4);
  put_be32(length, out + 8);
}

std::string encode_frame(Frame type, uint32_t stream, std::string_view payload) {
  std::string out(kHeaderSize, '\0');
  encode_header(type, stream, static_cast<uint32_t>(payload.size()), out.data());
  out.append(payload);
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed_) return;
  // Drop what was consumed before growing, so the buffer stays about one frame big.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<std::optional<FrameData>> FrameDecoder::next() {
  if (failed_) return std::unexpected(*failed_);
  if (buf_.size() - pos_ < kHeaderSize) return std::nullopt;
  const auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  auto len = check_header(h);
  if (!len) {
    failed_ = len.error();
    return std::unexpected(len.error());
  }
  if (buf_.size() - pos_ - kHeaderSize < *len) return std::nullopt;
  FrameData f;
  f.type = static_cast<Frame>(h[0]);
  f.stream = be32(h + 4);
  f.payload = buf_.substr(pos_ + kHeaderSize, *len);
  pos_ += kHeaderSize + *len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return f;
}

Result<void> write_frame(int fd, Frame type, uint32_t stream, std::string_view payload) {
  if (payload.size() > kMaxPayload)
    return fail(Errc::InvalidArgument,
                "vm agent protocol: payload of " + std::to_string(payload.size()) + " bytes is too large");
  char header[kHeaderSize];
  encode_header(type, stream, static_cast<uint32_t>(payload.size()), header);
  iovec iov[2] = {{header, kHeaderSize}, {const_cast<char*>(payload.data()), payload.size()}};
  return write_all_iov(fd, iov, 2, std::string("writing a vm agent ") + frame_name(type) + " frame");
}

Result<FrameData> read_frame(int fd) {
  auto read_exact = [fd](char* p, size_t len, bool first) -> Result<void> {
    size_t got = TRY(read_full(fd, p, len, "reading a vm agent frame"));
    if (got < len)
      return fail(Errc::Unavailable, first && got == 0 ? "vm agent connection closed"
                                                        : "vm agent connection closed inside a frame");
    return {};
  };
  char header[kHeaderSize];
  TRYV(read_exact(header, kHeaderSize, true));
  const auto* h = reinterpret_cast<const unsigned char*>(header);
  uint32_t len = TRY(check_header(h));
  FrameData f;
  f.type = static_cast<Frame>(h[0]);
  f.stream = be32(h + 4);
  f.payload.resize(len);
  TRYV(read_exact(f.payload.data(), len, false));
  return f;
}

}  // namespace berth::vmproto
