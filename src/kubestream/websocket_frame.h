// WebSocket (RFC 6455) framing for the streaming server, and the channel
// framing of Kubernetes' channel.k8s.io protocols on top of it: each message
// starts with its channel number (one byte; with the base64 variants, an
// ASCII digit and the rest base64 in a text message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::kubestream::ws {

enum Opcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

struct Frame {
  bool fin = true;
  uint8_t opcode = Binary;
  std::string payload;  // unmasked
};

// One frame; the server's are unmasked, a client's carry a mask (tests act as clients).
std::string encode_frame(uint8_t opcode, std::string_view payload, bool fin = true,
                         std::optional<uint32_t> mask = std::nullopt);
// Decodes the frame at the front of buf; returns the bytes used, 0 when
// incomplete. require_mask: a server must reject unmasked client frames.
Result<size_t> decode_frame(std::string_view buf, Frame& out, bool require_mask, size_t max_payload = 16 << 20);

// The close frame's payload: a status code and a reason.
std::string close_payload(uint16_t code, std::string_view reason);

// Channel framing of a message payload.
std::string encode_channel(bool base64, uint8_t channel, std::string_view data);
struct ChannelMessage {
  uint8_t channel = 0;
  std::string data;
};
Result<ChannelMessage> decode_channel(bool base64, std::string_view payload);

}  // namespace berth::kubestream::ws
