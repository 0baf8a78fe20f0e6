// The kernel behaviour userns-remap is built on (root, this kernel): an
// idmapped view of a store directory, an overlay over idmapped layers
// mounted as the remapped root, what is seen through it and what lands on
// disk. Everything is made under a temp dir and unmounted again.
#include "idmap/idmapped_mount.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::idmap {
namespace {

constexpr uint32_t kBase = 3000000;  // far from real users' ranges; no file is edited

Remap test_remap() {
  Remap r;
  r.user = r.group = "test";
  r.uids = {{0, kBase, 65536}};
  r.gids = {{0, kBase, 65536}};
  return r;
}

class IdmappedMount : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "integration tests run as root";
    char tmpl[] = "/tmp/berth-idmap-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"store/lower", "store/upper", "store/work", "view", "merged"})
      std::filesystem::create_directories(dir_ + "/" + d);
    std::ofstream(dir_ + "/store/lower/file") << "from the image\n";
    ASSERT_EQ(::chown((dir_ + "/store/lower/file").c_str(), 1000, 1000), 0);
  }
  void TearDown() override {
    for (const char* m : {"merged", "view"}) ::umount2((dir_ + "/" + m).c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::pair<uint32_t, uint32_t> owner(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return {st.st_uid, st.st_gid};
  }
  std::string dir_;
};

TEST_F(IdmappedMount, ViewShiftsOwnersOneWay) {
  auto ns = make_userns(test_remap());
  ASSERT_TRUE(ns) << ns.error().str();
  auto r = idmapped_bind(dir_ + "/store", dir_ + "/view", ns->get());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(owner(dir_ + "/view/lower/file"), std::make_pair(kBase + 1000, kBase + 1000));
  EXPECT_EQ(owner(dir_ + "/store/lower/file"), std::make_pair(1000u, 1000u));
  // The host's root has no id in the range: it cannot create files through the view.
  int fd = ::open((dir_ + "/view/lower/by-host-root").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, EOVERFLOW);
  if (fd >= 0) ::close(fd);
}

TEST_F(IdmappedMount, OverlayOverIdmappedLayersWritesUnshifted) {
  auto ns = make_userns(test_remap());
  ASSERT_TRUE(ns) << ns.error().str();
  ASSERT_TRUE(idmapped_bind(dir_ + "/store", dir_ + "/view", ns->get()));
  std::string v = dir_ + "/view", m = dir_ + "/merged";
  std::string opts = "lowerdir=" + v + "/lower,upperdir=" + v + "/upper,workdir=" + v + "/work";
  auto mounted = with_fs_ids(kBase, kBase, [&]() -> Result<void> {
    if (::mount("overlay", m.c_str(), "overlay", 0, opts.c_str()) != 0) return fail_errno("mounting the overlay");
    return {};
  });
  ASSERT_TRUE(mounted) << mounted.error().str();
  EXPECT_EQ(owner(m + "/file"), std::make_pair(kBase + 1000, kBase + 1000));
  // Written as the remapped root (uid kBase): seen as kBase, stored as 0.
  auto wrote = with_fs_ids(kBase, kBase, [&]() -> Result<void> {
    std::ofstream(m + "/new") << "by the container's root\n";
    std::ofstream(m + "/file", std::ios::app) << "appended\n";  // a copy-up
    if (::chown((m + "/new").c_str(), kBase + 7, kBase + 7) != 0) return fail_errno("chown");
    return {};
  });
  ASSERT_TRUE(wrote) << wrote.error().str();
  EXPECT_EQ(owner(m + "/new"), std::make_pair(kBase + 7, kBase + 7));
  EXPECT_EQ(owner(dir_ + "/store/upper/new"), std::make_pair(7u, 7u));
  EXPECT_EQ(owner(dir_ + "/store/upper/file"), std::make_pair(1000u, 1000u));  // copy-up keeps the image's owner
  EXPECT_EQ(owner(dir_ + "/store/lower/file"), std::make_pair(1000u, 1000u));
  // overlayfs made its work directory as its mounter: representable, hence writable.
  struct stat st {};
  EXPECT_EQ(::stat((dir_ + "/store/work/work").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(IdmappedMount, FsIdsAreOnlyTheWorkersThread) {
  uint32_t seen = 0;
  auto r = with_fs_ids(kBase, kBase, [&]() -> Result<void> {
    std::ofstream(dir_ + "/plain") << "x";  // a plain directory: created as kBase
    seen = owner(dir_ + "/plain").first;
    return {};
  });
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(seen, kBase);
  std::ofstream(dir_ + "/after") << "x";
  EXPECT_EQ(owner(dir_ + "/after").first, 0u);
}

}  // namespace
}  // namespace berth::idmap
