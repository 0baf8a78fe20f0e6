// The vm agent protocol's framing (src/vmproto/frame.h).
#include "vmproto/frame.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "base/unique_fd.h"

using namespace berth;
using namespace berth::vmproto;

namespace {

TEST(VmFrame, EncodesTypeStreamAndLengthBigEndian) {
  std::string f = encode_frame(Frame::Stderr, 0x01020304, "hello");
  ASSERT_EQ(f.size(), kHeaderSize + 5);
  EXPECT_EQ(f.substr(0, kHeaderSize), std::string("\x21\x00\x00\x00\x01\x02\x03\x04\x00\x00\x00\x05", 12));
  EXPECT_EQ(f.substr(kHeaderSize), "hello");
}

TEST(VmFrame, DecodesFramesFedByteByByte) {
  std::string wire = encode_frame(Frame::Stdin, 7, "abc") + encode_frame(Frame::Hello, 0, "") +
                     encode_frame(Frame::Resize, 7, R"({"h":24,"w":80})") + encode_frame(Frame::StdinEof, 7, "");
  FrameDecoder d;
  std::vector<FrameData> got;
  for (char c : wire) {
    d.feed(std::string_view(&c, 1));
    for (;;) {
      auto f = d.next();
      ASSERT_TRUE(f) << f.error().str();
      if (!*f) break;
      got.push_back(std::move(**f));
    }
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].type, Frame::Stdin);
  EXPECT_EQ(got[0].stream, 7u);
  EXPECT_EQ(got[0].payload, "abc");
  EXPECT_EQ(got[1].type, Frame::Hello);
  EXPECT_EQ(got[1].stream, 0u);
  EXPECT_EQ(got[1].payload, "");
  EXPECT_EQ(got[2].payload, R"({"h":24,"w":80})");
  EXPECT_EQ(got[3].type, Frame::StdinEof);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(VmFrame, DecodesManyFramesFromOneFeed) {
  std::string wire;
  for (uint32_t i = 1; i <= 100; ++i) wire += encode_frame(Frame::Stdout, i, std::string(i, 'x'));
  FrameDecoder d;
  d.feed(wire);
  for (uint32_t i = 1; i <= 100; ++i) {
    auto f = d.next();
    ASSERT_TRUE(f && *f);
    EXPECT_EQ((*f)->stream, i);
    EXPECT_EQ((*f)->payload.size(), i);
  }
  auto end = d.next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

TEST(VmFrame, UnknownTypesPassThroughForTheReaderToSkip) {
  FrameDecoder d;
  d.feed(encode_frame(static_cast<Frame>(200), 3, "future"));
  auto f = d.next();
  ASSERT_TRUE(f && *f);
  EXPECT_FALSE(known_frame(static_cast<uint8_t>((*f)->type)));
  EXPECT_TRUE(known_frame(static_cast<uint8_t>(Frame::Exited)));
}

TEST(VmFrame, RejectsNonZeroPaddingAndStaysFailed) {
  std::string f = encode_frame(Frame::Stdout, 1, "x");
  f[2] = 1;
  FrameDecoder d;
  d.feed(f);
  auto r = d.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("padding"), std::string::npos);
  d.feed(encode_frame(Frame::Stdout, 1, "y"));  // framing is lost: no recovery
  EXPECT_FALSE(d.next());
}

TEST(VmFrame, RejectsAnOversizedLengthBeforeItsPayloadArrives) {
  char h[kHeaderSize];
  encode_header(Frame::Stdout, 1, kMaxPayload + 1, h);
  FrameDecoder d;
  d.feed(std::string_view(h, kHeaderSize));
  auto r = d.next();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exceeds the limit"), std::string::npos) << r.error().message;
}

TEST(VmFrame, AcceptsExactlyTheLimit) {
  FrameDecoder d;
  d.feed(encode_frame(Frame::Stdout, 1, std::string(kMaxPayload, 'z')));
  auto r = d.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->payload.size(), kMaxPayload);
}

TEST(VmFrame, WriteAndReadOverASocketPair) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::string big(300 * 1024, 'q');  // larger than a socket buffer: partial writes
  std::thread writer([&] {
    ASSERT_TRUE(write_frame(a.get(), Frame::Stdout, 9, big));
    ASSERT_TRUE(write_frame(a.get(), Frame::Exited, 9, R"({"exit_code":3})"));
  });
  auto f1 = read_frame(b.get());
  ASSERT_TRUE(f1) << f1.error().str();
  EXPECT_EQ(f1->type, Frame::Stdout);
  EXPECT_EQ(f1->stream, 9u);
  EXPECT_EQ(f1->payload, big);
  auto f2 = read_frame(b.get());
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->type, Frame::Exited);
  writer.join();
  a.reset();
  auto eof = read_frame(b.get());
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().code, Errc::Unavailable);
}

TEST(VmFrame, WritesToAPipeWhichIsNotASocket) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);
  ASSERT_TRUE(write_frame(w.get(), Frame::Stderr, 2, "err"));
  auto f = read_frame(r.get());
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->payload, "err");
}

TEST(VmFrame, ReadReportsATruncatedFrame) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::string f = encode_frame(Frame::Stdout, 1, "abcdef");
  ASSERT_EQ(write(a.get(), f.data(), f.size() - 2), static_cast<ssize_t>(f.size() - 2));
  a.reset();
  auto r = read_frame(b.get());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_NE(r.error().message.find("inside a frame"), std::string::npos);
}

TEST(VmFrame, WriteRefusesAnOversizedPayload) {
  auto r = write_frame(-1, Frame::Stdout, 1, std::string(kMaxPayload + 1, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST(VmFrame, WriteToAClosedPeerIsAnErrorNotSigpipe) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd a(sv[0]);
  close(sv[1]);
  auto r = write_frame(a.get(), Frame::Stdin, 1, "x");
  EXPECT_FALSE(r);
}

}  // namespace
