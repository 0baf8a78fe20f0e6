// read_full and write_all_iov: whole reads up to the end, writes across
// buffers on a socket (sendmsg) and on a pipe (writev), and their errors.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/fd_io.h"
#include "base/unique_fd.h"

using namespace berth;

namespace {

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

TEST(FdIo, ReadFullGathersShortReadsAndStopsAtTheEnd) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  UniqueFd r(p[0]), w(p[1]);
  std::thread writer([&] {
    for (const char* piece : {"ab", "cde", "f"}) ASSERT_EQ(::write(w.get(), piece, std::strlen(piece)), static_cast<ssize_t>(std::strlen(piece)));
    w.reset();
  });
  char buf[16] = {};
  auto got = read_full(r.get(), buf, 4, "reading");
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(*got, 4u);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  got = read_full(r.get(), buf, 10, "reading");  // only "ef" is left before the end
  writer.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 2u);
  EXPECT_EQ(std::string(buf, 2), "ef");
}

TEST(FdIo, ReadFullNamesWhatFailed) {
  char buf[4];
  auto got = read_full(-1, buf, sizeof buf, "reading a test frame");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("reading a test frame"), std::string::npos) << got.error().str();
}

TEST(FdIo, WriteAllIovOnASocketAndOnAPipe) {
  std::string big(1 << 20, 'x');  // more than a socket or a pipe buffers: short writes happen
  char head[] = "head:";
  iovec iov[2] = {{head, 5}, {big.data(), big.size()}};
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::string got_socket;
  std::thread reader([&] { got_socket = drain(b.get()); });
  auto wrote = write_all_iov(a.get(), iov, 2, "writing");
  a.reset();
  reader.join();
  ASSERT_TRUE(wrote) << wrote.error().str();
  EXPECT_EQ(got_socket, "head:" + big);

  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);  // not a socket: writev
  UniqueFd r(p[0]), w(p[1]);
  std::string got_pipe;
  std::thread pipe_reader([&] { got_pipe = drain(r.get()); });
  wrote = write_all_iov(w.get(), iov, 2, "writing");
  w.reset();
  pipe_reader.join();
  ASSERT_TRUE(wrote) << wrote.error().str();
  EXPECT_EQ(got_pipe, "head:" + big);
}

TEST(FdIo, WriteAllIovToAGonePeerIsAnErrorNotSigpipe) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]);
  ::close(sv[1]);
  char data[] = "x";
  iovec iov[1] = {{data, 1}};
  auto wrote = write_all_iov(a.get(), iov, 1, "writing a test frame");
  ASSERT_FALSE(wrote);
  EXPECT_EQ(wrote.error().sys_errno, EPIPE);
  EXPECT_NE(wrote.error().message.find("writing a test frame"), std::string::npos);
}
