#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "shimproto/protocol.h"

using namespace berth;
using namespace berth::shimproto;

TEST(ShimProtocol, EncodesHeaderLikeDockersStream) {
  std::string f = encode_frame(Frame::Stderr, "hello");
  ASSERT_EQ(f.size(), kHeaderSize + 5);
  EXPECT_EQ(std::string(f.data(), 8), std::string("\x02\x00\x00\x00\x00\x00\x00\x05", 8));
  EXPECT_EQ(f.substr(8), "hello");
  std::string big(0x010203, 'x');
  f = encode_frame(Frame::Stdout, big);
  EXPECT_EQ(std::string(f.data(), 8), std::string("\x01\x00\x00\x00\x00\x01\x02\x03", 8));
}

TEST(ShimProtocol, DecodesFramesFedByteByByte) {
  std::string stream = encode_frame(Frame::Stdin, "abc") + encode_frame(Frame::Hello, "") +
                       encode_frame(Frame::Resize, R"({"h":24,"w":80})");
  FrameDecoder d;
  std::vector<std::pair<Frame, std::string>> got;
  for (char c : stream) {
    d.feed(std::string_view(&c, 1));
    while (true) {
      auto f = d.next();
      ASSERT_TRUE(f) << f.error().message;
      if (!*f) break;
      got.push_back(**f);
    }
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(Frame::Stdin, std::string("abc")));
  EXPECT_EQ(got[1], std::make_pair(Frame::Hello, std::string()));
  EXPECT_EQ(got[2].first, Frame::Resize);
  EXPECT_EQ(got[2].second, R"({"h":24,"w":80})");
}

TEST(ShimProtocol, DecodesSeveralFramesFromOneFeed) {
  FrameDecoder d;
  d.feed(encode_frame(Frame::Stdout, "1") + encode_frame(Frame::Stderr, "22") + std::string("\x01\x00", 2));
  auto a = d.next();
  auto b = d.next();
  auto c = d.next();
  ASSERT_TRUE(a && *a && b && *b && c);
  EXPECT_EQ((*a)->second, "1");
  EXPECT_EQ((*b)->second, "22");
  EXPECT_FALSE(*c);  // a partial header waits for more
  d.feed(std::string("\x00\x00\x00\x00\x00\x01z", 7));
  auto e = d.next();
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->first, Frame::Stdout);
  EXPECT_EQ((*e)->second, "z");
}

TEST(ShimProtocol, RejectsNonZeroPadding) {
  FrameDecoder d;
  d.feed(std::string("\x01\x00\x01\x00\x00\x00\x00\x01x", 9));
  auto f = d.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::InvalidArgument);
  EXPECT_NE(f.error().message.find("padding"), std::string::npos);
}

TEST(ShimProtocol, RejectsOversizedPayloadBeforeItArrives) {
  FrameDecoder d;
  uint32_t len = kMaxPayload + 1;
  std::string h = {'\x14', 0, 0, 0, static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                   static_cast<char>(len >> 8), static_cast<char>(len)};
  d.feed(h);
  auto f = d.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::InvalidArgument);
}

TEST(ShimProtocol, AcceptsPayloadAtTheLimit) {
  FrameDecoder d;
  d.feed(encode_frame(Frame::Stdout, std::string(kMaxPayload, 'a')));
  auto f = d.next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->second.size(), kMaxPayload);
}

TEST(ShimProtocol, WriteAndReadFrameOverASocket) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_TRUE(write_frame(a.get(), Frame::Started, R"({"pid":42})"));
  ASSERT_TRUE(write_frame(a.get(), Frame::CloseStdin, ""));
  auto f = read_frame(b.get());
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->first, Frame::Started);
  EXPECT_EQ(f->second, R"({"pid":42})");
  f = read_frame(b.get());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->first, Frame::CloseStdin);
  EXPECT_TRUE(f->second.empty());
  // A frame cut short by the peer closing is an error, as is plain EOF.
  ASSERT_EQ(::write(a.get(), "\x01\x00\x00\x00\x00\x00\x00\x09xy", 10), 10);
  a.reset();
  f = read_frame(b.get());
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::Unavailable);
  f = read_frame(b.get());
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::Unavailable);
}

TEST(ShimProtocol, ReadFrameRejectsBadHeader) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_EQ(::write(a.get(), "\x01\x07\x00\x00\x00\x00\x00\x00", 8), 8);
  auto f = read_frame(b.get());
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::InvalidArgument);
}

TEST(ShimProtocol, ExitStatusRoundTrip) {
  ExitStatus s{137, true, "2026-11-22T22:00:00.123456789Z"};
  auto back = ExitStatus::from_json(nlohmann::json::parse(s.to_json().dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_TRUE(back->oom_killed);
  EXPECT_EQ(back->finished_at, s.finished_at);
  EXPECT_FALSE(ExitStatus::from_json(nlohmann::json{{"exit_code", "x"}}));
  EXPECT_FALSE(ExitStatus::from_json(nlohmann::json::array()));
}

TEST(ShimProtocol, ShimStateRoundTrip) {
  ShimState s;
  s.pid = 1234;
  auto back = ShimState::from_json(s.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid, 1234);
  EXPECT_FALSE(back->exited);
  s.exited = ExitStatus{3, false, "2026-11-22T22:00:00Z"};
  back = ShimState::from_json(nlohmann::json::parse(s.to_json().dump()));
  ASSERT_TRUE(back && back->exited);
  EXPECT_EQ(back->exited->exit_code, 3);
  EXPECT_FALSE(ShimState::from_json(nlohmann::json{{"pid", "nope"}}));
}

TEST(ShimProtocol, ErrorCodesRoundTrip) {
  for (Errc e : {Errc::NotFound, Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict, Errc::PermissionDenied,
                 Errc::Unavailable, Errc::Unsupported, Errc::Internal})
    EXPECT_EQ(errc_from_code(errc_code(e)), e);
  EXPECT_STREQ(errc_code(Errc::NotFound), "NotFound");
  EXPECT_EQ(errc_from_code("Bogus"), Errc::Internal);
}
