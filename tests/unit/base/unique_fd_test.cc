#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "base/unique_fd.h"

using namespace berth;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

TEST(UniqueFd, DefaultIsInvalid) {
  UniqueFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = open_null();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(fd);
    EXPECT_EQ(fd.get(), raw);
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveConstructionTransfersOwnership) {
  int raw = open_null();
  ASSERT_GE(raw, 0);
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesTheOldFd) {
  int raw1 = open_null();
  int raw2 = open_null();
  ASSERT_GE(raw1, 0);
  ASSERT_GE(raw2, 0);
  UniqueFd a(raw1);
  UniqueFd b(raw2);
  b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.get(), raw1);
  EXPECT_FALSE(is_open(raw2));
  EXPECT_TRUE(is_open(raw1));
}

TEST(UniqueFd, SelfMoveAssignmentKeepsTheFd) {
  int raw = open_null();
  ASSERT_GE(raw, 0);
  UniqueFd a(raw);
  UniqueFd& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  int raw = open_null();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesAndAdopts) {
  int raw1 = open_null();
  int raw2 = open_null();
  UniqueFd fd(raw1);
  fd.reset(raw2);
  EXPECT_FALSE(is_open(raw1));
  EXPECT_EQ(fd.get(), raw2);
  fd.reset();
  EXPECT_FALSE(is_open(raw2));
  EXPECT_FALSE(fd.valid());
}

TEST(UniqueFd, LivesInContainers) {
  std::vector<UniqueFd> fds;
  std::vector<int> raws;
  for (int i = 0; i < 16; ++i) {  // forces reallocation: elements must move, not copy
    raws.push_back(open_null());
    fds.emplace_back(raws.back());
  }
  for (int raw : raws) EXPECT_TRUE(is_open(raw));
  fds.clear();
  for (int raw : raws) EXPECT_FALSE(is_open(raw));
}

static_assert(!std::is_copy_constructible_v<UniqueFd>);
static_assert(!std::is_copy_assignable_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);
