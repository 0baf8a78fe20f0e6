// receive_context: every compression, a Dockerfile alone, the body arriving
// in small pieces, and hostile archives that must not write outside dir.
#include <gtest/gtest.h>
#include <sys/xattr.h>

#include <cstring>

#include "buildfs/context.h"
#include "fs_fixture.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;
using layer_test::dir;
using layer_test::file;
using layer_test::hlink;
using layer_test::slink;

namespace {

std::vector<TarEntry> sample() {
  auto script = file("bin/run.sh", "#!/bin/sh\necho hi\n", 0755);
  script.mtime = 1500000000;
  return {file("Dockerfile", "FROM busybox\nCOPY . /app\n"), dir("bin", 0750), script,
          slink("bin/latest", "run.sh"), hlink("bin/again.sh", "bin/run.sh")};
}

void expect_sample(const TempDir& d) {
  EXPECT_EQ(slurp(d / "Dockerfile"), "FROM busybox\nCOPY . /app\n");
  EXPECT_EQ(slurp(d / "bin/run.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(lstat_of(d / "bin/run.sh").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(d / "bin/run.sh").st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(lstat_of(d / "bin").st_mode & 07777, 0750u);
  EXPECT_EQ(link_of(d / "bin/latest"), "run.sh");
  EXPECT_EQ(lstat_of(d / "bin/again.sh").st_ino, lstat_of(d / "bin/run.sh").st_ino);
}

class ContextTest : public ::testing::TestWithParam<Filter> {};

TEST_P(ContextTest, ExtractsEveryCompression) {
  TempDir d("ctx");
  std::string body = tar_of(sample(), GetParam());
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->dockerfile_only);
  EXPECT_EQ(r->bytes, body.size());
  EXPECT_EQ(r->entries, 5u);
  expect_sample(d);
}

INSTANTIATE_TEST_SUITE_P(Filters, ContextTest,
                         ::testing::Values(Filter::None, Filter::Gzip, Filter::Bzip2, Filter::Xz, Filter::Zstd));

TEST(ContextBodyTest, ArrivingByteByByteStillExtracts) {
  TempDir d("ctx");
  std::string body = tar_of(sample(), Filter::Gzip);
  auto r = receive_context(reader_of(body, 1), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->bytes, body.size());
  expect_sample(d);
}

TEST(ContextBodyTest, XattrsAndDirectoryTimesAreKept) {
  TempDir d("ctx");
  auto f = file("noted.txt", "x");
  f.xattrs = {{"user.note", "kept"}};
  auto sub = dir("sub", 0755);
  sub.mtime = 1111111111;
  std::string body = tar_of({f, sub, file("sub/inner", "y")});
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_TRUE(r) << r.error().str();
  char buf[16];
  ssize_t n = ::getxattr((d / "noted.txt").c_str(), "user.note", buf, sizeof buf);
  ASSERT_EQ(n, 4) << "user.note: " << std::strerror(errno) << " (TMPDIR's filesystem needs user xattrs)";
  EXPECT_EQ(std::string(buf, 4), "kept");
  EXPECT_EQ(lstat_of(d / "sub").st_mtim.tv_sec, 1111111111);  // set after "sub/inner" was written
}

TEST(ContextBodyTest, ADockerfileAloneBecomesDirDockerfile) {
  TempDir d("ctx");
  std::string body = "FROM busybox\nRUN echo hello\n";
  auto r = receive_context(reader_of(body, 3), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->dockerfile_only);
  EXPECT_EQ(r->bytes, body.size());
  EXPECT_EQ(r->entries, 0u);
  EXPECT_EQ(slurp(d / "Dockerfile"), body);
  EXPECT_EQ(lstat_of(d / "Dockerfile").st_mode & 07777, 0644u);
}

TEST(ContextBodyTest, ALongDockerfileAloneIsKeptWhole) {
  TempDir d("ctx");
  std::string body = "FROM busybox\n";
  while (body.size() < 3 * 256 * 1024) body += "RUN echo a line that makes the Dockerfile long\n";
  auto r = receive_context(reader_of(body, 7000), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->dockerfile_only);
  EXPECT_EQ(slurp(d / "Dockerfile"), body);
}

TEST(ContextBodyTest, AnEmptyBodyIsAnEmptyDockerfile) {
  TempDir d("ctx");
  std::string body;
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->dockerfile_only);
  EXPECT_EQ(slurp(d / "Dockerfile"), "");
}

TEST(ContextBodyTest, AReadErrorIsTheError) {
  TempDir d("ctx");
  std::string body = tar_of(sample());
  size_t calls = 0;
  auto read = [&](char* buf, size_t len) -> Result<size_t> {
    if (++calls > 2) return fail(Errc::Unavailable, "client went away");
    size_t n = std::min<size_t>(len, 512);
    std::copy_n(body.data() + (calls - 1) * 512, n, buf);
    return n;
  };
  auto r = receive_context(read, d.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("client went away"), std::string::npos) << r.error().str();
}

TEST(ContextBodyTest, ACorruptCompressedBodyFails) {
  TempDir d("ctx");
  std::string body = tar_of(sample(), Filter::Gzip);
  body.resize(body.size() / 2);
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
}

// The docker CLI's legacy builder with -f from outside the context appends
// the Dockerfile to the context's tar and ends the body right after its data
// (no padding, no end-of-archive blocks); dockerd's Go reader accepts it.
std::string cut_after(const std::string& body, const std::string& data) {
  auto at = body.rfind(data);
  EXPECT_NE(at, std::string::npos);
  return body.substr(0, at + data.size());
}

std::vector<TarEntry> with_appended_dockerfile() {
  return {file("a", "hi\n"), file(".dockerfile.0123456789abcdef0123", "FROM busybox\nCOPY a /a\n")};
}

TEST(ContextBodyTest, ABodyEndingRightAfterTheLastEntrysDataIsWhole) {
  for (size_t piece : {size_t{0}, size_t{1}, size_t{7}}) {
    TempDir d("ctx");
    std::string body = cut_after(tar_of(with_appended_dockerfile()), "COPY a /a\n");
    ASSERT_NE(body.size() % 512, 0u);
    auto r = receive_context(reader_of(body, piece ? piece : size_t{1} << 20), d.path());
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->bytes, body.size());
    EXPECT_EQ(r->entries, 2u);
    EXPECT_EQ(slurp(d / "a"), "hi\n");
    EXPECT_EQ(slurp(d / ".dockerfile.0123456789abcdef0123"), "FROM busybox\nCOPY a /a\n");
  }
}

TEST(ContextBodyTest, ABodyCutInsideAnEntrysDataFails) {
  TempDir d("ctx");
  std::string body = cut_after(tar_of(with_appended_dockerfile()), "FROM busy");
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  EXPECT_NE(r.error().message.find("cut short"), std::string::npos) << r.error().str();
}

TEST(ContextBodyTest, ABodyCutAfterAHeaderFails) {
  TempDir d("ctx");
  std::string whole = tar_of(with_appended_dockerfile());
  std::string body = whole.substr(0, whole.rfind("FROM busybox"));  // the header block, not its data
  ASSERT_EQ(body.size() % 512, 0u);
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
}

// The hostile entries Docker's chrootarchive keeps inside: names climbing
// out and absolute names land inside, a symlink planted to lead out is
// followed inside, a hard link can only name something inside.
TEST(ContextHostileTest, NothingLandsOutsideDir) {
  TempDir outer("ctx-outer");
  std::string ctx = outer / "ctx";
  mkdirs(ctx);
  put(outer / "victim", "original");
  std::string body = tar_of({
      file("../escaped", "up"),
      file("/abs/file", "absolute"),
      file("a/../../../../etc-file", "deep"),
      slink("out", "../"),  // a link to the parent of dir...
      file("out/victim", "through the link"),  // ...followed inside dir (the chroot's root)
      slink("rootlink", "/"),
      file("rootlink/through-abs", "root of the chroot"),
      hlink("hard", "../victim"),  // clamped: names dir/victim, written above
  });
  auto r = receive_context(reader_of(body), ctx);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(slurp(outer / "victim"), "original");
  EXPECT_FALSE(exists(outer / "escaped"));
  EXPECT_FALSE(exists(outer / "etc-file"));
  EXPECT_EQ(slurp(ctx + "/escaped"), "up");
  EXPECT_EQ(slurp(ctx + "/abs/file"), "absolute");
  EXPECT_EQ(slurp(ctx + "/etc-file"), "deep");
  EXPECT_EQ(slurp(ctx + "/victim"), "through the link");
  EXPECT_EQ(slurp(ctx + "/through-abs"), "root of the chroot");
  EXPECT_EQ(lstat_of(ctx + "/hard").st_ino, lstat_of(ctx + "/victim").st_ino);
}

TEST(ContextHostileTest, AHardLinkToNothingIsRefused) {
  TempDir d("ctx");
  std::string body = tar_of({hlink("hard", "no/such/file")});
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  EXPECT_NE(r.error().message.find("build context entry \"hard\""), std::string::npos) << r.error().str();
}

TEST(ContextHostileTest, DeviceNodesAreSkipped) {
  TempDir d("ctx");
  TarEntry dev;
  dev.name = "dev/sda";
  dev.type = AE_IFBLK;
  dev.rdev_major = 8;
  TarEntry chr = dev;
  chr.name = "dev/null";
  chr.type = AE_IFCHR;
  chr.rdev_major = 1;
  chr.rdev_minor = 3;
  std::string body = tar_of({dev, chr, file("kept", "yes")});
  auto r = receive_context(reader_of(body), d.path());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->entries, 3u);
  EXPECT_FALSE(exists(d / "dev/sda"));
  EXPECT_FALSE(exists(d / "dev/null"));
  EXPECT_EQ(slurp(d / "kept"), "yes");
}

}  // namespace
