// The native snapshotter's copy keeps what an image layer can hold.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

class CopyTree : public TempRoot {};

std::string xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

TEST_F(CopyTree, PreservesMetadataLinksAndSpecialFiles) {
  std::string src = dir_ + "/src", dst = dir_ + "/dst";
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/sub").c_str(), 0750), 0);
  ASSERT_TRUE(write_text(src + "/sub/suid", "binary"));
  ASSERT_EQ(::chown((src + "/sub/suid").c_str(), 1234, 5678), 0);
  ASSERT_EQ(::chmod((src + "/sub/suid").c_str(), 04755), 0);
  ASSERT_EQ(::setxattr((src + "/sub/suid").c_str(), "user.test", "v1", 2, 0), 0);
  ASSERT_EQ(::setxattr((src + "/sub/suid").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::link((src + "/sub/suid").c_str(), (src + "/hard").c_str()), 0);
  ASSERT_EQ(::symlink("/does/not/exist", (src + "/dangling").c_str()), 0);
  ASSERT_EQ(::lchown((src + "/dangling").c_str(), 42, 43), 0);
  ASSERT_EQ(::mknod((src + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((src + "/whiteout").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  ASSERT_EQ(::mkfifo((src + "/fifo").c_str(), 0640), 0);
  struct timespec times[2] = {{1000000000, 5}, {1100000000, 7}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src + "/sub").c_str(), times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (src + "/dangling").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);

  auto r = copy_tree(src, dst);
  ASSERT_TRUE(r) << r.error().str();

  struct stat st, st2;
  ASSERT_EQ(::lstat((dst + "/sub/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(read_text(dst + "/sub/suid"), "binary");
  EXPECT_EQ(xattr(dst + "/sub/suid", "user.test"), "v1");
  EXPECT_EQ(xattr(dst + "/sub/suid", "trusted.overlay.opaque"), "y");
  ASSERT_EQ(::lstat((dst + "/hard").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino) << "hard link became a copy";
  EXPECT_EQ(st.st_nlink, 2u);

  ASSERT_EQ(::lstat((dst + "/dangling").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1100000000);
  char target[64] = {};
  ASSERT_GT(::readlink((dst + "/dangling").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/does/not/exist");

  ASSERT_EQ(::lstat((dst + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(::lstat((dst + "/whiteout").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  ASSERT_EQ(::lstat((dst + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  ASSERT_EQ(::lstat((dst + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1100000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 7);
}

TEST_F(CopyTree, RefusesExistingDestination) {
  ASSERT_EQ(::mkdir((dir_ + "/src").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/dst").c_str(), 0755), 0);
  auto r = copy_tree(dir_ + "/src", dir_ + "/dst");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::AlreadyExists);
}

}  // namespace
