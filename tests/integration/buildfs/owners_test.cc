// What only root can check: the owners COPY/ADD leave (Docker's legacy
// rules: root unless --chown, the source's with COPY --from), setuid bits
// and file capabilities surviving the chown, device nodes, and the owners a
// build context's tar carries.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../../unit/buildfs/fs_fixture.h"
#include "buildfs/context.h"
#include "buildfs/copy.h"
#include "buildfs/sources.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;
using layer_test::dir;
using layer_test::file;

namespace {

// A v2 file capability: cap_net_bind_service=ep.
std::string net_bind_cap() {
  std::string v(20, '\0');
  uint32_t magic = 0x02000000 | 0x1;  // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
  uint32_t permitted = 1u << 10;      // CAP_NET_BIND_SERVICE
  std::memcpy(v.data(), &magic, 4);
  std::memcpy(v.data() + 4, &permitted, 4);
  return v;
}

std::string cap_of(const std::string& path) {
  char buf[64];
  ssize_t n = ::lgetxattr(path.c_str(), "security.capability", buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

class OwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root (chown to other users, mknod)";
    put(src / "tree/file.txt", "data");
    put(src / "tree/sub/deep.txt", "deep");
    ::symlink("file.txt", (src / "tree/link").c_str());
    put(src / "tool", "#!/bin/sh\n", 0755);
    for (const char* p : {"tree", "tree/file.txt", "tree/sub", "tree/sub/deep.txt", "tool"})
      ASSERT_EQ(::chown((src / p).c_str(), 1234, 5678), 0) << p;
    ASSERT_EQ(::lchown((src / "tree/link").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod((src / "tool").c_str(), 04755), 0);  // after the chown, which clears it
    std::string cap = net_bind_cap();
    ASSERT_EQ(::setxattr((src / "tool").c_str(), "security.capability", cap.data(), cap.size(), 0), 0);
    mkdirs(dst / "existing");
    ASSERT_EQ(::chown((dst / "existing").c_str(), 42, 43), 0);
    src_fd = src.fd();
    dst_fd = dst.fd();
  }

  Result<uint64_t> copy(std::vector<Source> s, const std::string& dest, const CopyOptions& o) {
    return copy_sources(src_fd.get(), s, dst_fd.get(), dest, "/", o);
  }

  static void expect_owner(const std::string& path, uid_t uid, gid_t gid) {
    auto st = lstat_of(path);
    EXPECT_EQ(st.st_uid, uid) << path;
    EXPECT_EQ(st.st_gid, gid) << path;
  }

  TempDir src{"owners-src"};
  TempDir dst{"owners-dst"};
  UniqueFd src_fd, dst_fd;
};

TEST_F(OwnersTest, CopiedFilesAreRootsUnlessChown) {
  ASSERT_TRUE(copy({{"tree", true}}, "/a/b/", {}));
  for (const char* p : {"a", "a/b", "a/b/file.txt", "a/b/sub", "a/b/sub/deep.txt", "a/b/link"}) expect_owner(dst / p, 0, 0);
}

TEST_F(OwnersTest, ChownOwnsWhatIsCopiedAndTheDirectoriesMadeForIt) {
  CopyOptions o;
  o.chown = Owner{1000, 1001};
  ASSERT_TRUE(copy({{"tree", true}}, "/new/dir", o));
  for (const char* p : {"new", "new/dir", "new/dir/file.txt", "new/dir/sub", "new/dir/sub/deep.txt", "new/dir/link"})
    expect_owner(dst / p, 1000, 1001);
  ASSERT_TRUE(copy({{"tree/file.txt", false}}, "/f/g/", o));
  for (const char* p : {"f", "f/g", "f/g/file.txt"}) expect_owner(dst / p, 1000, 1001);
}

TEST_F(OwnersTest, AnExistingDestinationKeepsItsOwner) {
  CopyOptions o;
  o.chown = Owner{1000, 1001};
  ASSERT_TRUE(copy({{"tree", true}}, "/existing", o));
  expect_owner(dst / "existing", 42, 43);
  expect_owner(dst / "existing/file.txt", 1000, 1001);
}

TEST_F(OwnersTest, PreserveOwnerKeepsTheSourcesOwners) {
  CopyOptions o;
  o.preserve_owner = true;  // COPY --from without --chown
  ASSERT_TRUE(copy({{"tree", true}}, "/kept", o));
  for (const char* p : {"kept/file.txt", "kept/sub", "kept/sub/deep.txt", "kept/link"}) expect_owner(dst / p, 1234, 5678);
  expect_owner(dst / "kept", 0, 0);  // made for the copy
  o.chown = Owner{7, 8};  // --chown wins
  ASSERT_TRUE(copy({{"tree", true}}, "/chowned", o));
  expect_owner(dst / "chowned/file.txt", 7, 8);
}

TEST_F(OwnersTest, SetuidAndCapabilitiesSurviveTheChown) {
  CopyOptions o;
  o.chown = Owner{1000, 1001};
  ASSERT_TRUE(copy({{"tool", false}}, "/bin/", o));
  EXPECT_EQ(lstat_of(dst / "bin/tool").st_mode & 07777, 04755u);
  EXPECT_EQ(cap_of(dst / "bin/tool"), net_bind_cap());
  mkdirs(src / "withtool");
  ASSERT_EQ(::link((src / "tool").c_str(), (src / "withtool/tool").c_str()), 0);
  ASSERT_TRUE(copy({{"withtool", true}}, "/tree-bin", {}));
  EXPECT_EQ(lstat_of(dst / "tree-bin/tool").st_mode & 07777, 04755u);
  EXPECT_EQ(cap_of(dst / "tree-bin/tool"), net_bind_cap());
}

TEST_F(OwnersTest, DeviceNodesAndFifosInATreeAreRecreated) {
  ASSERT_EQ(::mknod((src / "tree/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mkfifo((src / "tree/pipe").c_str(), 0640), 0);
  ::chmod((src / "tree/null").c_str(), 0666);  // whatever the umask made of it
  ::chmod((src / "tree/pipe").c_str(), 0640);
  ASSERT_TRUE(copy({{"tree", true}}, "/devs", {}));
  auto null = lstat_of(dst / "devs/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  EXPECT_TRUE(S_ISFIFO(lstat_of(dst / "devs/pipe").st_mode));
  EXPECT_EQ(lstat_of(dst / "devs/pipe").st_mode & 07777, 0640u);
}

TEST_F(OwnersTest, AnAddedArchiveKeepsItsOwnersEvenWithChown) {
  auto owned = file("pkg/owned.txt", "x");
  owned.uid = 321;
  owned.gid = 654;
  TarEntry dev;
  dev.name = "pkg/null";
  dev.type = AE_IFCHR;
  dev.perm = 0666;
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  put(src / "pkg.tar.gz", tar_of({dir("pkg"), owned, dev}, Filter::Gzip));
  CopyOptions o;
  o.chown = Owner{1000, 1001};  // Docker's legacy builder does not apply it to an archive's entries
  o.extract_archives = true;
  ASSERT_TRUE(copy({{"pkg.tar.gz", false}}, "/opt/", o));
  expect_owner(dst / "opt/pkg/owned.txt", 321, 654);
  EXPECT_TRUE(S_ISCHR(lstat_of(dst / "opt/pkg/null").st_mode));
}

TEST(ContextOwnersTest, TheTarsOwnersAreKeptAndDevicesSkipped) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root (chown to other users)";
  TempDir d("ctx-owners");
  auto owned = file("app/owned.txt", "x");
  owned.uid = 1500;
  owned.gid = 1600;
  TarEntry dev;
  dev.name = "app/null";
  dev.type = AE_IFCHR;
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  std::string body = tar_of({dir("app"), owned, dev});
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(lstat_of(d / "app/owned.txt").st_uid, 1500u);
  EXPECT_EQ(lstat_of(d / "app/owned.txt").st_gid, 1600u);
  EXPECT_FALSE(exists(d / "app/null"));
}

}  // namespace
