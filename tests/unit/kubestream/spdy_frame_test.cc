#include "kubestream/spdy_frame.h"

#include <gtest/gtest.h>

namespace berth::kubestream::spdy {
namespace {

Frame syn(uint32_t id, Headers h, uint8_t flags = 0) {
  Frame f;
  f.type = FrameType::SynStream;
  f.stream_id = id;
  f.priority = 3;
  f.flags = flags;
  f.headers = std::move(h);
  return f;
}

Frame roundtrip(Framer& writer, Framer& reader, const Frame& in) {
  auto bytes = writer.encode(in);
  EXPECT_TRUE(bytes) << bytes.error().str();
  Frame out;
  auto used = reader.decode(*bytes, out);
  EXPECT_TRUE(used) << used.error().str();
  EXPECT_EQ(*used, bytes->size());
  return out;
}

TEST(SpdyFrame, ControlFrameLayoutIsVersionThreeBigEndian) {
  Framer f;
  Frame ping;
  ping.type = FrameType::Ping;
  ping.ping_id = 0x01020304;
  auto bytes = f.encode(ping);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, std::string("\x80\x03\x00\x06\x00\x00\x00\x04\x01\x02\x03\x04", 12));
}

TEST(SpdyFrame, DataFrameLayout) {
  Framer f;
  Frame d;
  d.stream_id = 5;
  d.flags = kFlagFin;
  d.data = "hi";
  auto bytes = f.encode(d);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, std::string("\x00\x00\x00\x05\x01\x00\x00\x02hi", 10));
}

TEST(SpdyFrame, EveryFrameTypeRoundTrips) {
  Framer client, server;
  Frame s = roundtrip(client, server, syn(1, {{"streamtype", "stdout"}, {"port", "80"}}, kFlagFin));
  EXPECT_EQ(s.type, FrameType::SynStream);
  EXPECT_EQ(s.stream_id, 1u);
  EXPECT_EQ(s.priority, 3);
  EXPECT_EQ(s.flags, kFlagFin);
  EXPECT_EQ(header_value(s.headers, "streamtype"), "stdout");
  EXPECT_EQ(header_value(s.headers, "port"), "80");

  Frame reply;
  reply.type = FrameType::SynReply;
  reply.stream_id = 1;
  reply.headers = {{"x", "y"}};
  Frame r = roundtrip(server, client, reply);
  EXPECT_EQ(r.type, FrameType::SynReply);
  EXPECT_EQ(header_value(r.headers, "x"), "y");

  Frame rst;
  rst.type = FrameType::RstStream;
  rst.stream_id = 7;
  rst.status = kCancel;
  Frame rr = roundtrip(client, server, rst);
  EXPECT_EQ(rr.stream_id, 7u);
  EXPECT_EQ(rr.status, kCancel);

  Frame settings;
  settings.type = FrameType::Settings;
  settings.settings = {{0, 7, 65536}, {1, 4, 100}};
  Frame st = roundtrip(client, server, settings);
  ASSERT_EQ(st.settings.size(), 2u);
  EXPECT_EQ(st.settings[0].id, 7u);
  EXPECT_EQ(st.settings[0].value, 65536u);
  EXPECT_EQ(st.settings[1].flags, 1);

  Frame away;
  away.type = FrameType::GoAway;
  away.stream_id = 9;
  away.status = 2;
  Frame ga = roundtrip(server, client, away);
  EXPECT_EQ(ga.stream_id, 9u);
  EXPECT_EQ(ga.status, 2u);

  Frame wu;
  wu.type = FrameType::WindowUpdate;
  wu.stream_id = 3;
  wu.delta_window = 1000;
  Frame w = roundtrip(client, server, wu);
  EXPECT_EQ(w.delta_window, 1000u);

  Frame data;
  data.stream_id = 3;
  data.data = std::string(70000, 'z');
  Frame dd = roundtrip(client, server, data);
  EXPECT_EQ(dd.type, FrameType::Data);
  EXPECT_EQ(dd.data, data.data);
}

TEST(SpdyFrame, HeaderCompressionIsOneStreamPerDirection) {
  Framer client, server;
  std::vector<std::string> frames;
  for (uint32_t id = 1; id <= 7; id += 2) {
    auto b = client.encode(syn(id, {{"streamtype", "stdin"}, {"requestid", std::to_string(id)}}));
    ASSERT_TRUE(b);
    frames.push_back(*b);
  }
  // The later blocks refer back to the earlier ones: smaller than the first.
  EXPECT_LT(frames[3].size(), frames[0].size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Frame out;
    auto used = server.decode(frames[i], out);
    ASSERT_TRUE(used) << used.error().str();
    EXPECT_EQ(header_value(out.headers, "requestid"), std::to_string(2 * i + 1));
  }
  // A reader that missed the first block cannot decode the second.
  Framer fresh;
  Frame out;
  EXPECT_FALSE(fresh.decode(frames[1], out));
}

TEST(SpdyFrame, IncompleteFramesWaitForMoreBytes) {
  Framer client, server;
  auto bytes = client.encode(syn(1, {{"streamtype", "error"}}));
  ASSERT_TRUE(bytes);
  for (size_t n = 0; n < bytes->size(); ++n) {
    Frame out;
    auto used = server.decode(std::string_view(*bytes).substr(0, n), out);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, 0u) << "prefix " << n;
  }
  Frame out;
  EXPECT_EQ(*server.decode(*bytes + "trailing", out), bytes->size());
}

TEST(SpdyFrame, HeaderBlockJoinsRepeatedNamesWithNul) {
  std::string block = encode_header_block({{"a", "1"}, {"b", "2"}, {"a", "3"}});
  EXPECT_EQ(block, std::string("\0\0\0\x02\0\0\0\x01" "a\0\0\0\x03" "1\0003\0\0\0\x01" "b\0\0\0\x01" "2", 26));
  auto back = decode_header_block(block);
  ASSERT_TRUE(back);
  Headers want = {{"a", "1"}, {"a", "3"}, {"b", "2"}};
  EXPECT_EQ(*back, want);
}

TEST(SpdyFrame, MalformedInputIsAnError) {
  EXPECT_FALSE(decode_header_block(std::string("\0\0\0\x01\0\0\0\x05" "ab", 10)));  // truncated name
  EXPECT_FALSE(decode_header_block(std::string("\0\0\0\x01\0\0\0\x01" "A\0\0\0\0", 13)));  // upper case
  Framer f;
  Frame out;
  // SYN_STREAM whose header block is not zlib data.
  std::string bad("\x80\x03\x00\x01\x00\x00\x00\x0e\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00garb", 22);
  auto r = f.decode(bad, out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("malformed SPDY frame"), std::string::npos);
  // DATA on stream 0.
  EXPECT_FALSE(Framer().decode(std::string("\0\0\0\0\0\0\0\0", 8), out));
}

TEST(SpdyFrame, UnknownControlFramesAreSkipped) {
  Framer f;
  Frame out;
  std::string unknown("\x80\x03\x00\x0a\x00\x00\x00\x02xy", 10);
  auto used = f.decode(unknown, out);
  ASSERT_TRUE(used);
  EXPECT_EQ(*used, 10u);
  EXPECT_EQ(out.type, FrameType::Unknown);
  // A control frame of type 0 is not a DATA frame.
  std::string zero("\x80\x03\x00\x00\x00\x00\x00\x01z", 9);
  ASSERT_TRUE(f.decode(zero, out));
  EXPECT_EQ(out.type, FrameType::Unknown);
}

}  // namespace
}  // namespace berth::kubestream::spdy
