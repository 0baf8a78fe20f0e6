// Fuzz target: the streaming server's parsers of client bytes (src/kubestream):
// the input is split in two; the first half is read as a stream of SPDY/3.1
// frames (one Framer, as a connection reads them, so the header decompressor
// carries state from frame to frame), the second as WebSocket frames (then
// their channel framing, binary and base64) and as terminal-size messages.
// Checks: no crash, leak or UB; a decoder never claims more bytes than it was
// given; every decoded SPDY frame encodes again and decodes (with a fresh
// pair of framers) to the same fields; a decoded WebSocket frame re-encodes
// to the same payload.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "kubestream/remote_command.h"
#include "kubestream/spdy_frame.h"
#include "kubestream/websocket_frame.h"

using namespace berth::kubestream;

namespace {

void spdy_stream(std::string_view in) {
  spdy::Framer reader;
  while (!in.empty()) {
    spdy::Frame f;
    auto used = reader.decode(in, f);
    if (!used || *used == 0) return;
    FUZZ_CHECK(*used <= in.size(), "SPDY decode used more bytes than it had");
    in.remove_prefix(*used);
    bool known = f.type == spdy::FrameType::Data || f.type == spdy::FrameType::SynStream ||
                 f.type == spdy::FrameType::SynReply || f.type == spdy::FrameType::RstStream ||
                 f.type == spdy::FrameType::Settings || f.type == spdy::FrameType::Ping ||
                 f.type == spdy::FrameType::GoAway || f.type == spdy::FrameType::Headers ||
                 f.type == spdy::FrameType::WindowUpdate;
    if (!known) continue;
    spdy::Framer w, r;
    auto bytes = w.encode(f);
    FUZZ_CHECK(bytes.has_value(), "a decoded SPDY frame does not encode: " + bytes.error().message);
    spdy::Frame back;
    auto again = r.decode(*bytes, back);
    FUZZ_CHECK(again.has_value() && *again == bytes->size(), "a re-encoded SPDY frame does not decode");
    FUZZ_CHECK(back.type == f.type && back.flags == f.flags && back.data == f.data && back.status == f.status &&
                   back.ping_id == f.ping_id && back.delta_window == f.delta_window,
               "SPDY frame fields changed in a round trip");
    if (f.type == spdy::FrameType::SynStream || f.type == spdy::FrameType::SynReply ||
        f.type == spdy::FrameType::Headers) {
      // Repeated names are merged on the wire: compare as the grouped block.
      FUZZ_CHECK(spdy::encode_header_block(back.headers) == spdy::encode_header_block(f.headers),
                 "SPDY headers changed in a round trip");
    }
  }
}

void websocket_stream(std::string_view in) {
  ResizeDecoder resize([](unsigned, unsigned) {});
  resize.data(in);
  while (!in.empty()) {
    ws::Frame f;
    auto used = ws::decode_frame(in, f, true, 1 << 20);
    if (!used || *used == 0) return;
    FUZZ_CHECK(*used <= in.size(), "WebSocket decode used more bytes than it had");
    in.remove_prefix(*used);
    std::string bytes = ws::encode_frame(f.opcode, f.payload, f.fin, 0x11223344);
    ws::Frame back;
    auto again = ws::decode_frame(bytes, back, true, 1 << 20);
    FUZZ_CHECK(again.has_value() && *again == bytes.size() && back.payload == f.payload && back.opcode == f.opcode,
               "WebSocket frame changed in a round trip");
    for (bool b64 : {false, true}) {
      auto m = ws::decode_channel(b64, f.payload);
      if (m && !b64) FUZZ_CHECK(ws::encode_channel(false, m->channel, m->data) == f.payload, "channel framing");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  size_t half = size / 2;
  spdy_stream(all.substr(0, half));
  websocket_stream(all.substr(half));
  return 0;
}
