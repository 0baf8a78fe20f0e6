// copy_sources: Docker's destination rules, what a copy keeps, ADD's
// archives, and destinations whose symlinks point out of the root. Files
// are owned by the test's own user here (chown to self needs no privilege);
// the default root ownership and other owners are in
// tests/integration/buildfs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "buildfs/copy.h"
#include "buildfs/sources.h"
#include "fs_fixture.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;
using layer_test::dir;
using layer_test::file;
using layer_test::slink;

namespace {

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put(src / "a.txt", "alpha", 0640, 1500000000);
    put(src / "b.txt", "beta");
    put(src / "tree/main.go", "package main", 0600, 1400000000);
    put(src / "tree/bin/tool", "#!/bin/sh\n", 0751);
    ::chmod((src / "tree/bin").c_str(), 0710);
    ::symlink("bin/tool", (src / "tree/tool-link").c_str());
    ::symlink("/etc/shadow", (src / "tree/abs-link").c_str());  // copied as it is, never followed
    ::link((src / "tree/main.go").c_str(), (src / "tree/main-hard.go").c_str());
    ::symlink("a.txt", (src / "a-link").c_str());
    timespec t[2] = {{1300000000, 0}, {1300000000, 0}};
    ::utimensat(AT_FDCWD, (src / "tree/bin").c_str(), t, 0);
    mkdirs(dst / "existing");
    put(dst / "existing/keep.txt", "kept");
    put(dst / "file.txt", "old");
    src_fd = src.fd();
    dst_fd = dst.fd();
    options.chown = Owner{::geteuid(), ::getegid()};
  }

  Result<uint64_t> copy(std::vector<std::string> patterns, const std::string& dest, const std::string& workdir = "/") {
    auto sources = resolve_sources(src_fd.get(), patterns);
    if (!sources) return std::unexpected(sources.error());
    return copy_sources(src_fd.get(), *sources, dst_fd.get(), dest, workdir, options);
  }

  TempDir src{"copy-src"};
  TempDir dst{"copy-dst"};
  UniqueFd src_fd, dst_fd;
  CopyOptions options;
};

TEST_F(CopyTest, ADirectoryCopiesItsContents) {
  auto n = copy({"tree"}, "/app");
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(*n, 6u);  // main.go, bin, bin/tool, tool-link, abs-link, main-hard.go
  EXPECT_EQ(slurp(dst / "app/main.go"), "package main");
  EXPECT_EQ(slurp(dst / "app/bin/tool"), "#!/bin/sh\n");
  EXPECT_FALSE(exists(dst / "app/tree"));
  EXPECT_EQ(lstat_of(dst / "app").st_mode & 07777, 0755u);  // made for it
}

TEST_F(CopyTest, ATreeKeepsModesTimesLinksAndHardLinks) {
  ASSERT_TRUE(copy({"tree"}, "/app/"));
  EXPECT_EQ(lstat_of(dst / "app/main.go").st_mode & 07777, 0600u);
  EXPECT_EQ(lstat_of(dst / "app/main.go").st_mtim.tv_sec, 1400000000);
  EXPECT_EQ(lstat_of(dst / "app/bin").st_mode & 07777, 0710u);
  EXPECT_EQ(lstat_of(dst / "app/bin").st_mtim.tv_sec, 1300000000);
  EXPECT_EQ(lstat_of(dst / "app/bin/tool").st_mode & 07777, 0751u);
  EXPECT_EQ(link_of(dst / "app/tool-link"), "bin/tool");
  EXPECT_EQ(link_of(dst / "app/abs-link"), "/etc/shadow");
  EXPECT_EQ(lstat_of(dst / "app/main-hard.go").st_ino, lstat_of(dst / "app/main.go").st_ino);
  EXPECT_NE(lstat_of(dst / "app/main.go").st_ino, lstat_of(src / "tree/main.go").st_ino);
}

TEST_F(CopyTest, TimesAreWholeSecondsAsDockersTar) {
  timespec t[2] = {{1500000000, 987654321}, {1500000000, 987654321}};
  ::utimensat(AT_FDCWD, (src / "b.txt").c_str(), t, 0);
  ASSERT_TRUE(copy({"b.txt"}, "/b.txt"));
  auto st = lstat_of(dst / "b.txt");
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);
}

TEST_F(CopyTest, AFileToASlashGoesInsideWithItsName) {
  auto n = copy({"a.txt"}, "/new/dir/");
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(slurp(dst / "new/dir/a.txt"), "alpha");
  EXPECT_EQ(lstat_of(dst / "new/dir/a.txt").st_mode & 07777, 0640u);
  EXPECT_EQ(lstat_of(dst / "new/dir/a.txt").st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(lstat_of(dst / "new").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(dst / "new/dir").st_mode & 07777, 0755u);
}

TEST_F(CopyTest, AFileToAnExistingDirectoryGoesInside) {
  ASSERT_TRUE(copy({"a.txt"}, "/existing"));
  EXPECT_EQ(slurp(dst / "existing/a.txt"), "alpha");
  EXPECT_EQ(slurp(dst / "existing/keep.txt"), "kept");
}

TEST_F(CopyTest, AFileToANewPathIsThatPath) {
  ASSERT_TRUE(copy({"a.txt"}, "/opt/renamed.txt"));
  EXPECT_EQ(slurp(dst / "opt/renamed.txt"), "alpha");
  ASSERT_TRUE(copy({"b.txt"}, "/file.txt"));  // an existing file is replaced
  EXPECT_EQ(slurp(dst / "file.txt"), "beta");
}

TEST_F(CopyTest, ARelativeDestIsUnderTheWorkdir) {
  mkdirs(dst / "work");
  ASSERT_TRUE(copy({"a.txt"}, ".", "/work"));
  EXPECT_EQ(slurp(dst / "work/a.txt"), "alpha");
  ASSERT_TRUE(copy({"b.txt"}, "sub/", "/work"));
  EXPECT_EQ(slurp(dst / "work/sub/b.txt"), "beta");
  ASSERT_TRUE(copy({"b.txt"}, "../up.txt", "/work/deeper"));
  EXPECT_EQ(slurp(dst / "work/up.txt"), "beta");
}

TEST_F(CopyTest, SeveralSourcesNeedADirectoryDestEndingInSlash) {
  auto n = copy({"a.txt", "b.txt"}, "/multi");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message,
            "When using COPY with more than one source file, the destination must be a directory and end with a /");
  n = copy({"*.txt"}, "/multi");  // one glob, two files
  ASSERT_FALSE(n);
  options.extract_archives = true;
  n = copy({"*.txt"}, "/multi");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message,
            "When using ADD with more than one source file, the destination must be a directory and end with a /");
  n = copy({"*.txt"}, "/multi/");
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(slurp(dst / "multi/a.txt"), "alpha");
  EXPECT_EQ(slurp(dst / "multi/b.txt"), "beta");
}

TEST_F(CopyTest, ATopLevelSymlinkIsFollowedAndKeepsItsName) {
  ASSERT_TRUE(copy({"a-link"}, "/links/"));
  EXPECT_EQ(slurp(dst / "links/a-link"), "alpha");
  EXPECT_TRUE(S_ISREG(lstat_of(dst / "links/a-link").st_mode));
}

TEST_F(CopyTest, DirectoriesMergeAndReplace) {
  put(src / "merge/new.txt", "new");
  ASSERT_TRUE(copy({"merge"}, "/existing"));
  EXPECT_EQ(slurp(dst / "existing/keep.txt"), "kept");
  EXPECT_EQ(slurp(dst / "existing/new.txt"), "new");
  // A directory in the tree replaces a file of its name, and the reverse.
  put(src / "swap/file.txt/inner", "inner");
  put(src / "swap2/existing", "now a file");
  ASSERT_TRUE(copy({"swap"}, "/"));
  EXPECT_EQ(slurp(dst / "file.txt/inner"), "inner");
  ASSERT_TRUE(copy({"swap2"}, "/"));
  EXPECT_EQ(slurp(dst / "existing"), "now a file");
}

TEST_F(CopyTest, ADirectoryIntoAFileFails) {
  auto n = copy({"tree"}, "/file.txt");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("not a directory"), std::string::npos) << n.error().str();
}

TEST_F(CopyTest, ChmodSetsFilesAndDirectories) {
  options.chmod = 0700;
  ASSERT_TRUE(copy({"tree"}, "/app"));
  EXPECT_EQ(lstat_of(dst / "app").st_mode & 07777, 0700u);  // made for the copy
  EXPECT_EQ(lstat_of(dst / "app/bin").st_mode & 07777, 0700u);
  EXPECT_EQ(lstat_of(dst / "app/main.go").st_mode & 07777, 0700u);
  EXPECT_EQ(lstat_of(dst / "app/bin/tool").st_mode & 07777, 0700u);
  ASSERT_TRUE(copy({"a.txt"}, "/one/"));
  EXPECT_EQ(lstat_of(dst / "one/a.txt").st_mode & 07777, 0700u);
  EXPECT_EQ(lstat_of(dst / "one").st_mode & 07777, 0755u);  // a parent, not a copied directory
}

TEST_F(CopyTest, AnExistingDestDirectoryKeepsItsMode) {
  ::chmod((dst / "existing").c_str(), 0750);
  ASSERT_TRUE(copy({"tree"}, "/existing"));
  EXPECT_EQ(lstat_of(dst / "existing").st_mode & 07777, 0750u);
}

// Symlinks in the destination are followed as inside a chroot: one leading
// out of the root (relatively or absolutely) leads to the root's own paths.
TEST(CopyDestTest, SymlinksLeadingOutOfTheRootStayInside) {
  TempDir outer("copy-outer");
  std::string root = outer / "root";
  mkdirs(root);
  mkdirs(outer / "victim");
  TempDir src("copy-src");
  put(src / "a.txt", "alpha");
  ::symlink("../victim", (root + "/rel").c_str());
  ::symlink((outer / "victim").c_str(), (root + "/abs").c_str());
  ::symlink("../../../../../../../victim/file.txt", (root + "/leaf").c_str());
  auto src_fd = src.fd();
  UniqueFd dst_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  CopyOptions o;
  o.chown = Owner{::geteuid(), ::getegid()};
  std::vector<Source> a = {{"a.txt", false}};
  ASSERT_TRUE(copy_sources(src_fd.get(), a, dst_fd.get(), "/rel/", "/", o));
  ASSERT_TRUE(copy_sources(src_fd.get(), a, dst_fd.get(), "/abs/", "/", o));
  ASSERT_TRUE(copy_sources(src_fd.get(), a, dst_fd.get(), "/leaf", "/", o));
  EXPECT_TRUE(layer_test::dir_is_empty(outer / "victim"));
  EXPECT_EQ(slurp(root + "/victim/a.txt"), "alpha");
  EXPECT_EQ(slurp(root + outer.path() + "/victim/a.txt"), "alpha");
  EXPECT_EQ(slurp(root + "/victim/file.txt"), "alpha");
  EXPECT_EQ(link_of(root + "/leaf"), "../../../../../../../victim/file.txt");  // followed, not replaced
}

TEST(CopyDestTest, ADestLinkToAFileReplacesTheTargetInsideTheRoot) {
  TempDir root("copy-root");
  TempDir src("copy-src");
  put(src / "a.txt", "alpha");
  put(root / "etc/real.conf", "old");
  ::symlink("/etc/real.conf", (root / "conf").c_str());
  auto src_fd = src.fd();
  auto dst_fd = root.fd();
  CopyOptions o;
  o.chown = Owner{::geteuid(), ::getegid()};
  ASSERT_TRUE(copy_sources(src_fd.get(), {{"a.txt", false}}, dst_fd.get(), "/conf", "/", o));
  EXPECT_EQ(slurp(root / "etc/real.conf"), "alpha");
  EXPECT_EQ(link_of(root / "conf"), "/etc/real.conf");
}

// ADD: local archives are extracted into dest, anything else copied.
class AddArchiveTest : public ::testing::TestWithParam<std::pair<Filter, const char*>> {};

TEST_P(AddArchiveTest, ExtractsIntoDest) {
  TempDir src("add-src");
  TempDir root("add-root");
  auto [filter, name] = GetParam();
  auto tool = file("pkg/bin/tool", "binary", 0755);
  tool.mtime = 1234567890;
  put(src / name, tar_of({dir("pkg", 0700), tool, slink("pkg/link", "bin/tool"), file("../../escape", "clamped")},
                           filter));
  mkdirs(root / "opt");
  put(root / "opt/old", "kept");
  auto src_fd = src.fd();
  auto dst_fd = root.fd();
  CopyOptions o;
  o.chown = Owner{::geteuid(), ::getegid()};
  o.chmod = 0600;  // not for an archive's entries (Docker's legacy builder)
  o.extract_archives = true;
  auto n = copy_sources(src_fd.get(), {{name, false}}, dst_fd.get(), "/opt", "/", o);
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(slurp(root / "opt/pkg/bin/tool"), "binary");
  EXPECT_EQ(lstat_of(root / "opt/pkg/bin/tool").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(root / "opt/pkg/bin/tool").st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(lstat_of(root / "opt/pkg").st_mode & 07777, 0700u);
  EXPECT_EQ(link_of(root / "opt/pkg/link"), "bin/tool");
  EXPECT_EQ(slurp(root / "opt/escape"), "clamped");  // dest is the extraction's root
  EXPECT_FALSE(exists(root / "escape"));
  EXPECT_EQ(slurp(root / "opt/old"), "kept");
  EXPECT_FALSE(exists(root / (std::string("opt/") + name)));
}

INSTANTIATE_TEST_SUITE_P(Compressions, AddArchiveTest,
                         ::testing::Values(std::pair{Filter::None, "pkg.tar"}, std::pair{Filter::Gzip, "pkg.tar.gz"},
                                           std::pair{Filter::Bzip2, "pkg.tar.bz2"}, std::pair{Filter::Xz, "pkg.tar.xz"}));

TEST(AddNotArchiveTest, NotAnArchiveIsCopiedAsAFile) {
  TempDir src("add-src");
  TempDir root("add-root");
  put(src / "fake.tar.gz", "just text, not gzip");
  put(src / "data.gz", std::string("\x1f\x8b\x08", 3) + "truncated gzip");
  auto src_fd = src.fd();
  auto dst_fd = root.fd();
  CopyOptions o;
  o.chown = Owner{::geteuid(), ::getegid()};
  o.extract_archives = true;
  ASSERT_TRUE(copy_sources(src_fd.get(), {{"fake.tar.gz", false}, {"data.gz", false}}, dst_fd.get(), "/in/", "/", o));
  EXPECT_EQ(slurp(root / "in/fake.tar.gz"), "just text, not gzip");
  EXPECT_EQ(slurp(root / "in/data.gz"), std::string("\x1f\x8b\x08", 3) + "truncated gzip");
}

TEST(AddNotArchiveTest, CopyNeverExtracts) {
  TempDir src("add-src");
  TempDir root("add-root");
  std::string tar = tar_of({file("inside", "x")}, Filter::Gzip);
  put(src / "pkg.tar.gz", tar);
  auto src_fd = src.fd();
  auto dst_fd = root.fd();
  CopyOptions o;
  o.chown = Owner{::geteuid(), ::getegid()};
  ASSERT_TRUE(copy_sources(src_fd.get(), {{"pkg.tar.gz", false}}, dst_fd.get(), "/in/", "/", o));
  EXPECT_EQ(slurp(root / "in/pkg.tar.gz"), tar);
}

}  // namespace
