#include "kubestream/websocket_frame.h"

#include <openssl/sha.h>

#include "base/base64.h"

namespace berth::kubestream::ws {

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455's fixed GUID
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64::encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string encode_frame(uint8_t opcode, std::string_view payload, bool fin, std::optional<uint32_t> mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
  uint8_t mask_bit = mask ? 0x80 : 0;
  uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (n <= 0xffff) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  if (!mask) {
    out += payload;
    return out;
  }
  char key[4] = {static_cast<char>(*mask >> 24), static_cast<char>(*mask >> 16), static_cast<char>(*mask >> 8),
                 static_cast<char>(*mask)};
  out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ key[i % 4]);
  return out;
}

Result<size_t> decode_frame(std::string_view buf, Frame& out, bool require_mask, size_t max_payload) {
  if (buf.size() < 2) return 0;
  auto b = reinterpret_cast<const unsigned char*>(buf.data());
  if (b[0] & 0x70) return fail(Errc::InvalidArgument, "WebSocket frame with reserved bits set (no extension was negotiated)");
  bool masked = b[1] & 0x80;
  if (require_mask && !masked) return fail(Errc::InvalidArgument, "unmasked WebSocket frame from the client");
  uint64_t n = b[1] & 0x7f;
  size_t at = 2;
  if (n == 126) {
    if (buf.size() < 4) return 0;
    n = (uint64_t{b[2]} << 8) | b[3];
    at = 4;
  } else if (n == 127) {
    if (buf.size() < 10) return 0;
    n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | b[2 + i];
    at = 10;
  }
  uint8_t opcode = b[0] & 0x0f;
  if (opcode >= 8 && (n > 125 || !(b[0] & 0x80)))
    return fail(Errc::InvalidArgument, "WebSocket control frame fragmented or longer than 125 bytes");
  if (n > max_payload)
    return fail(Errc::InvalidArgument, "WebSocket frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                                           std::to_string(max_payload));
  char key[4] = {0, 0, 0, 0};
  if (masked) {
    if (buf.size() < at + 4) return 0;
    for (int i = 0; i < 4; ++i) key[i] = buf[at + i];
    at += 4;
  }
  if (buf.size() - at < n) return 0;
  out.fin = b[0] & 0x80;
  out.opcode = opcode;
  out.payload.assign(buf.substr(at, n));
  if (masked) {
    for (size_t i = 0; i < out.payload.size(); ++i) out.payload[i] ^= key[i % 4];
  }
  return at + n;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code);
  out += reason.substr(0, 123);
  return out;
}

std::string encode_channel(bool base64, uint8_t channel, std::string_view data) {
  std::string out;
  if (base64) {
    out += static_cast<char>('0' + channel);
    out += base64::encode(data);
  } else {
    out += static_cast<char>(channel);
    out += data;
  }
  return out;
}

Result<ChannelMessage> decode_channel(bool base64, std::string_view payload) {
  if (payload.empty()) return fail(Errc::InvalidArgument, "WebSocket message without a channel byte");
  ChannelMessage m;
  if (!base64) {
    m.channel = static_cast<uint8_t>(payload[0]);
    m.data.assign(payload.substr(1));
    return m;
  }
  char c = payload[0];
  if (c < '0' || c > '9') return fail(Errc::InvalidArgument, std::string("base64 channel message starts with '") + c + "', not a channel digit");
  m.channel = static_cast<uint8_t>(c - '0');
  auto decoded = base64::decode(payload.substr(1));
  if (!decoded) return fail(Errc::InvalidArgument, "base64 channel message is not valid base64");
  m.data = std::move(*decoded);
  return m;
}

}  // namespace berth::kubestream::ws
