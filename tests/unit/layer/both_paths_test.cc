// Layer apply and docker cp's PUT archive write entries through the same
// EntryWriter: every hostile tar is refused (or kept inside) on both paths
// alike, so neither can lack a defence the other has. Runs without root;
// as root it also checks owners, setuid bits, devices and trusted.* xattrs.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "layer/container_archive.h"
#include "layer/entry_writer.h"
#include "tar_builder.h"

using namespace berth;
using namespace layer_test;

namespace {

enum class Path { Layer, Cp };

std::string name_of(Path p) { return p == Path::Layer ? "Layer" : "Cp"; }

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  if (!in) return "<missing>";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// A header claiming 2^60 bytes (base-256 size field) for the first entry.
std::string huge_header(std::string tar) {
  char* h = tar.data();
  std::memset(h + 124, 0, 12);
  h[124] = static_cast<char>(0x80);
  h[124 + 4] = 0x10;
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);
  return tar;
}

class BothPaths : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    base_ = temp_dir("both");
    ASSERT_FALSE(base_.empty());
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside_.c_str(), 0755), 0);
    std::ofstream(outside_ + "/secret") << "host secret\n";
  }
  void TearDown() override { remove_all(base_); }

  Result<void> write(const std::string& tar) {
    if (GetParam() == Path::Layer) {
      auto r = apply_bytes(tar, root_);
      if (!r) return std::unexpected(r.error());
      return {};
    }
    auto root = layer::open_container_root(root_);
    if (!root) return std::unexpected(root.error());
    UniqueFd fd(fd_of(tar));
    return layer::extract_archive(root->get(), "/", fd.get());
  }

  // Refused with InvalidArgument naming `entry`; nothing outside the root changed.
  void expect_refused(const std::string& tar, const std::string& entry) {
    auto r = write(tar);
    ASSERT_FALSE(r) << "accepted; expected a refusal naming " << entry;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
    EXPECT_NE(r.error().message.find("\"" + entry + "\""), std::string::npos) << r.error().str();
    expect_outside_untouched();
  }
  void expect_outside_untouched() {
    EXPECT_EQ(slurp(outside_ + "/secret"), "host secret\n");
    struct stat st;
    ASSERT_EQ(::stat((outside_ + "/secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << "a hard link to a file outside the root was made";
    EXPECT_FALSE(exists(outside_ + "/evil"));
    EXPECT_FALSE(exists(outside_ + "/pwned"));
    EXPECT_FALSE(exists(base_ + "/evil"));
  }
  std::string base_, root_, outside_;
};

TEST_P(BothPaths, NamesClimbingOutAreRefused) {
  expect_refused(make_tar({file("ok", "1"), file("../outside/evil", "x")}), "../outside/evil");
  expect_refused(make_tar({file("a/../../outside/evil", "x")}), "a/../../outside/evil");
}

TEST_P(BothPaths, HardLinksOutOfTheRootToNothingToDirectoriesOrTheRootAreRefused) {
  expect_refused(make_tar({file("ok", "1"), hlink("evil", "../outside/secret")}), "evil");
  expect_refused(make_tar({file("ok", "1"), hlink("evil", "etc/shadow")}), "evil");
  expect_refused(make_tar({dir("d"), hlink("evil", "d")}), "evil");
  expect_refused(make_tar({file("ok", "1"), hlink("evil", "./")}), "evil");
}

TEST_P(BothPaths, ANonDirectoryNeverReplacesTheRoot) {
  expect_refused(make_tar({file(".", "x")}), ".");
  EXPECT_TRUE(::access(root_.c_str(), F_OK) == 0);
}

TEST_P(BothPaths, AbsurdSizesAreRefusedBeforeAnyData) {
  expect_refused(huge_header(make_tar({file("huge", "x")})), "huge");
}

TEST_P(BothPaths, SymlinksInTheArchiveNeverLeadOut) {
  // A link to "../outside" and a file through it: the layer refuses the
  // file (its resolver will not leave the root), the copy refuses the link
  // itself (go-archive's breakout rule). Either way nothing lands outside.
  auto r = write(make_tar({slink("evil", "../outside"), file("evil/pwned", "x")}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  expect_outside_untouched();
  // The same through a hard link.
  r = write(make_tar({slink("s", "../outside"), hlink("evil", "s/secret")}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  expect_outside_untouched();
  // An absolute link is the root's own path: what goes through it stays inside.
  auto ok = write(make_tar({slink("abs", outside_), file("abs/pwned", "in the root")}));
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(slurp(root_ + outside_ + "/pwned"), "in the root");
  expect_outside_untouched();
}

TEST_P(BothPaths, LinksAlreadyInTheTreeAreFollowedInsideTheRoot) {
  // A link the tree has (a lower layer's, the container's) that climbs out:
  // a layer refuses to follow it, a container's tree takes ".." at the root
  // as a chroot does. Nothing is written outside in both cases.
  ASSERT_EQ(::symlink("../../../../..", (root_ + "/up").c_str()), 0);
  auto r = write(make_tar({file("up/outside/pwned", "x")}));
  if (GetParam() == Path::Layer) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  } else {
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(slurp(root_ + "/outside/pwned"), "x");
  }
  expect_outside_untouched();
}

TEST_P(BothPaths, AnExistingSymlinkIsReplacedNeverWrittenThrough) {
  ASSERT_EQ(::symlink((outside_ + "/secret").c_str(), (root_ + "/link").c_str()), 0);
  ASSERT_EQ(::symlink(outside_.c_str(), (root_ + "/dirlink").c_str()), 0);
  auto r = write(make_tar({file("link", "replaced"), dir("dirlink")}));
  ASSERT_TRUE(r) << r.error().str();
  struct stat st;
  ASSERT_EQ(::lstat((root_ + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(slurp(root_ + "/link"), "replaced");
  ASSERT_EQ(::lstat((root_ + "/dirlink").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  expect_outside_untouched();
}

TEST_P(BothPaths, OverlayXattrsAreNeverWrittenOthersAre) {
  auto f = file("f", "x");
  f.xattrs = {{"trusted.overlay.opaque", "y"}, {"trusted.overlay.redirect", "/etc"}, {"user.kept", "1"}};
  auto d = dir("d");
  d.xattrs = {{"trusted.overlay.opaque", "y"}};
  auto r = write(make_tar({f, d}));
  ASSERT_TRUE(r) << r.error().str();
  char buf[16];
  EXPECT_LT(::lgetxattr((root_ + "/f").c_str(), "trusted.overlay.opaque", buf, sizeof buf), 0);
  EXPECT_LT(::lgetxattr((root_ + "/f").c_str(), "trusted.overlay.redirect", buf, sizeof buf), 0);
  EXPECT_LT(::lgetxattr((root_ + "/d").c_str(), "trusted.overlay.opaque", buf, sizeof buf), 0);
  ssize_t n = ::lgetxattr((root_ + "/f").c_str(), "user.kept", buf, sizeof buf);
  if (n < 0 && errno == ENOTSUP) GTEST_SKIP() << "no user xattrs on this filesystem";
  EXPECT_EQ(n, 1);
}

TEST_P(BothPaths, OwnerThenModeKeepsSetuidAndDevicesAreMade) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: owners and device nodes";
  auto f = file("suid", "x", 04755);
  f.uid = 1000;
  f.gid = 1001;
  TarEntry null;
  null.name = "null";
  null.type = AE_IFCHR;
  null.perm = 0666;
  null.rdev_major = 1;
  null.rdev_minor = 3;
  auto r = write(make_tar({f, null}));
  ASSERT_TRUE(r) << r.error().str();
  struct stat st;
  ASSERT_EQ(::lstat((root_ + "/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(::lstat((root_ + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
}

INSTANTIATE_TEST_SUITE_P(LayerAndCp, BothPaths, ::testing::Values(Path::Layer, Path::Cp),
                         [](const auto& info) { return name_of(info.param); });

// The policies only one caller uses, on the writer itself.
class EntryWriterPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = temp_dir("policy");
    ASSERT_FALSE(base_.empty());
    ASSERT_EQ(::mkdir((base_ + "/dest").c_str(), 0755), 0);
    root_.reset(::open(base_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_);
  }
  void TearDown() override { remove_all(base_); }

  Result<void> write(const std::string& tar, layer::EntryPolicy policy) {
    layer::EntryWriter w(root_.get(), std::move(policy));
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_open_memory(a, tar.data(), tar.size());
    Result<void> out;
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      auto path = w.admit(e);
      if (!path) {
        out = std::unexpected(path.error());
        break;
      }
      if (auto r = w.write(a, e, *path); !r) {
        out = r;
        break;
      }
    }
    archive_read_free(a);
    if (out) out = w.finish();
    return out;
  }
  std::string base_;
  UniqueFd root_;
};

TEST_F(EntryWriterPolicy, TotalSizeLimit) {
  std::vector<TarEntry> four;
  for (int i = 0; i < 4; ++i) four.push_back(file("f" + std::to_string(i), std::string(1000, 'x')));
  auto r = write(make_tar(four), {.base = "dest", .max_entry_size = 1000, .max_total_size = 3000});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("\"f3\""), std::string::npos) << r.error().str();
  EXPECT_NE(r.error().message.find("exceeds the limit of 3000"), std::string::npos) << r.error().str();
}

TEST_F(EntryWriterPolicy, NoOverwriteDirNonDirBothWays) {
  layer::EntryPolicy strict{.base = "dest", .no_overwrite_dir_non_dir = true};
  ASSERT_TRUE(write(make_tar({dir("d"), file("f", "x")}), strict));
  auto r = write(make_tar({file("d", "file over dir")}), strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot overwrite directory"), std::string::npos) << r.error().str();
  r = write(make_tar({dir("f")}), strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot overwrite non-directory"), std::string::npos) << r.error().str();
  r = write(make_tar({hlink("d", "f")}), strict);  // a hard link is a non-directory too
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot overwrite directory"), std::string::npos) << r.error().str();
  EXPECT_TRUE(write(make_tar({dir("d", 0700)}), strict));  // directories merge
  EXPECT_EQ(slurp(base_ + "/dest/f"), "x");
  // Without the policy, either replaces the other.
  ASSERT_TRUE(write(make_tar({file("d", "now a file")}), {.base = "dest"}));
  EXPECT_EQ(slurp(base_ + "/dest/d"), "now a file");
}

TEST_F(EntryWriterPolicy, SymlinkBreakoutRuleIsThePolicysOnly) {
  std::string tar = make_tar({dir("sub"), slink("sub/up", "../../x"), slink("sub/abs", "/x"), slink("ok", "sub/../y")});
  auto r = write(tar, {.base = "dest", .refuse_symlinks_leaving_base = true});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("\"sub/up\""), std::string::npos) << r.error().str();
  ASSERT_TRUE(write(tar, {.base = "dest"}));  // a layer keeps link targets as data
  char target[32] = {};
  ASSERT_GT(::readlink((base_ + "/dest/sub/up").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "../../x");
}

TEST_F(EntryWriterPolicy, ImpliedDirectoriesGetTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: owners";
  auto r = write(make_tar({file("a/b/c", "x")}), {.base = "dest", .owner = layer::Owner{1500, 1600}});
  ASSERT_TRUE(r) << r.error().str();
  for (const char* p : {"/dest/a", "/dest/a/b", "/dest/a/b/c"}) {
    struct stat st;
    ASSERT_EQ(::lstat((base_ + p).c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_uid, 1500u) << p;
    EXPECT_EQ(st.st_gid, 1600u) << p;
  }
}

}  // namespace
