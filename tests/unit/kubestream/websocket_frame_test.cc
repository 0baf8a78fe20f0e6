#include "kubestream/websocket_frame.h"

#include <gtest/gtest.h>

namespace berth::kubestream::ws {
namespace {

TEST(WebSocket, AcceptKeyOfRfc6455Example) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, MaskedFramesRoundTripAtEveryLengthForm) {
  for (size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
    std::string payload(n, '\0');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 7);
    std::string bytes = encode_frame(Binary, payload, true, 0xa1b2c3d4);
    Frame f;
    auto used = decode_frame(bytes, f, true);
    ASSERT_TRUE(used) << used.error().str();
    EXPECT_EQ(*used, bytes.size());
    EXPECT_EQ(f.payload, payload) << n;
    EXPECT_TRUE(f.fin);
    EXPECT_EQ(f.opcode, Binary);
    // Every shorter prefix is incomplete.
    Frame g;
    EXPECT_EQ(*decode_frame(std::string_view(bytes).substr(0, bytes.size() - 1), g, true), 0u);
  }
}

TEST(WebSocket, ServerFramesAreUnmasked) {
  std::string bytes = encode_frame(Text, "abc");
  EXPECT_EQ(bytes, std::string("\x81\x03" "abc"));
  Frame f;
  EXPECT_FALSE(decode_frame(bytes, f, /*require_mask=*/true));  // a client must mask
  EXPECT_TRUE(decode_frame(bytes, f, false));
}

TEST(WebSocket, BadFramesAreErrors) {
  Frame f;
  EXPECT_FALSE(decode_frame(encode_frame(Ping, std::string(126, 'x'), true, 1), f, true));  // control > 125
  EXPECT_FALSE(decode_frame(encode_frame(Close, "", false, 1), f, true));                   // fragmented control
  std::string rsv = encode_frame(Binary, "x", true, 1);
  rsv[0] |= 0x40;
  EXPECT_FALSE(decode_frame(rsv, f, true));
  EXPECT_FALSE(decode_frame(encode_frame(Binary, std::string(100, 'x'), true, 1), f, true, 99));  // over the limit
}

TEST(WebSocket, ChannelFraming) {
  EXPECT_EQ(encode_channel(false, 1, "out"), std::string("\x01out"));
  EXPECT_EQ(encode_channel(true, 2, "hi"), "2aGk=");
  auto m = decode_channel(false, std::string("\x00in", 3));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, 0);
  EXPECT_EQ(m->data, "in");
  auto b = decode_channel(true, "4eyJXaWR0aCI6MX0=");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->channel, 4);
  EXPECT_EQ(b->data, "{\"Width\":1}");
  auto close = decode_channel(false, std::string("\xff\x00", 2));
  ASSERT_TRUE(close);
  EXPECT_EQ(close->channel, 255);
  EXPECT_FALSE(decode_channel(false, ""));
  EXPECT_FALSE(decode_channel(true, "x!!"));
  EXPECT_FALSE(decode_channel(true, "1***"));
}

}  // namespace
}  // namespace berth::kubestream::ws
