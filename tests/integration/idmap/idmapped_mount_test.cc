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
#include <cstdlib>
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

namespace berth::idmap {
namespace {

// The real system side of --userns-remap: useradd makes the user and its
// group, /etc/passwd and /etc/group are read; the subordinate id files are
// temp files here (the real ones are never touched), and the test user is
// removed again.
class SystemRemapFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "integration tests run as root";
    char tmpl[] = "/tmp/berth-idmap-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    name_ = "berthremap-test-" + std::to_string(::getpid());
  }
  void TearDown() override {
    std::system(("userdel " + name_ + " >/dev/null 2>&1").c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_, name_;
};

TEST_F(SystemRemapFiles, UseraddThenRangesFromTheFiles) {
  RemapFiles f = system_remap_files();
  f.subuid = dir_ + "/subuid";
  f.subgid = dir_ + "/subgid";
  auto added = f.add_user(name_);
  ASSERT_TRUE(added) << added.error().str();
  auto passwd = f.read("/etc/passwd");
  ASSERT_TRUE(passwd);
  EXPECT_NE(passwd->find("\n" + name_ + ":"), std::string::npos);
  EXPECT_NE(passwd->find(":/bin/false\n", passwd->find("\n" + name_ + ":")), std::string::npos);

  auto missing = resolve_remap(name_, f);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no subordinate uid ranges found for user " + name_ + " in " + f.subuid),
            std::string::npos) << missing.error().message;

  ASSERT_TRUE(f.write(f.subuid, name_ + ":3000000:65536\n"));
  ASSERT_TRUE(f.write(f.subgid, name_ + ":3100000:65536\n"));
  auto r = resolve_remap(name_ + ":" + name_, f);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->root_uid(), 3000000u);
  EXPECT_EQ(r->root_gid(), 3100000u);
  // A second useradd of the same name fails with useradd's own words.
  auto again = f.add_user(name_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("useradd " + name_ + " failed"), std::string::npos) << again.error().message;
}

}  // namespace
}  // namespace berth::idmap
