// Passing several fds with a payload over a socket pair (the VM pool's
// hand-over and the rootless namespace holder use it).
#include "sys/fdpass.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

struct Pair {
  UniqueFd a, b;
  Pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    a.reset(sv[0]);
    b.reset(sv[1]);
  }
};

ino_t inode(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

TEST(FdPass, SeveralFdsAndAPayloadArriveTogether) {
  Pair p;
  UniqueFd one(::open("/dev/null", O_RDONLY | O_CLOEXEC)), two(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(one && two);
  ASSERT_TRUE(send_fds(p.a.get(), {one.get(), two.get()}, "hello"));
  auto got = recv_fds(p.b.get(), 3);
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(got->first, "hello");
  ASSERT_EQ(got->second.size(), 2u);
  EXPECT_EQ(inode(got->second[0].get()), inode(one.get()));
  EXPECT_EQ(inode(got->second[1].get()), inode(two.get()));
  EXPECT_TRUE(::fcntl(got->second[0].get(), F_GETFD) & FD_CLOEXEC);
}

TEST(FdPass, APlainMessageCarriesNoFdsAndAClosedPeerIsUnavailable) {
  Pair p;
  ASSERT_EQ(::send(p.a.get(), "retire", 6, 0), 6);
  auto got = recv_fds(p.b.get(), 3);
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(got->first, "retire");
  EXPECT_TRUE(got->second.empty());
  p.a.reset();
  auto closed = recv_fds(p.b.get(), 3);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, Errc::Unavailable);
}

TEST(FdPass, MoreFdsThanAskedForIsAnError) {
  Pair p;
  UniqueFd f(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(send_fds(p.a.get(), {f.get(), f.get(), f.get()}, "x"));
  auto got = recv_fds(p.b.get(), 2);
  EXPECT_FALSE(got) << "three fds into room for two are cut (MSG_CTRUNC)";
  EXPECT_FALSE(send_fds(p.a.get(), {}, "x")) << "no fds: use send()";
}

}  // namespace
}  // namespace berth::sys
