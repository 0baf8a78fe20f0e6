#include "vmproto/frame.h"
#include "vmproto/messages.h"

namespace berth::vmproto {
namespace {

Result<Hello> read_hello(int fd) {
  auto f = TRY(read_frame(fd));
  if (f.type != Frame::Hello || f.stream != kControlStream)
    return fail(Errc::InvalidArgument, std::string("vm agent protocol: expected a Hello frame first, got ") +
                                           (known_frame(static_cast<uint8_t>(f.type)) ? frame_name(f.type) : "an unknown frame") +
                                           " on stream " + std::to_string(f.stream));
  return Hello::from_json(TRY(parse_json(f.payload, "vm agent hello")));
}

}  // namespace

Result<Handshake> host_handshake(int fd, const Hello& mine) {
  TRYV(write_frame(fd, Frame::Hello, kControlStream, dump_json(mine.to_json())));
  Handshake h;
  h.peer = TRY(read_hello(fd));
  h.version = TRY(negotiate(mine, h.peer));
  return h;
}

Result<Handshake> guest_handshake(int fd, const Hello& mine) {
  Handshake h;
  h.peer = TRY(read_hello(fd));
  // Answer even when the versions do not overlap, so the host can say why.
  TRYV(write_frame(fd, Frame::Hello, kControlStream, dump_json(mine.to_json())));
  h.version = TRY(negotiate(mine, h.peer));
  return h;
}

}  // namespace berth::vmproto
