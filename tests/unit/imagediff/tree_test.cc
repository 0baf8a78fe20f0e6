// An image's final filesystem from its layers: whiteouts, opaque
// directories, replacements and hard links, as the layers would unpack.
#include <gtest/gtest.h>

#include "fake_source.h"
#include "imagediff/tree.h"
#include "layer/tar_input.h"

namespace berth::imagediff {
namespace {

using layer_test::dir;
using layer_test::file;
using layer_test::hlink;
using layer_test::slink;
using testing::StringSource;

Result<LayerScan> scan(const std::vector<layer_test::TarEntry>& entries, ScanOptions options = {}) {
  std::string bytes = layer_test::make_tar(entries, layer_test::Compression::Gzip);
  StringSource source(bytes);
  auto in = TRY(layer::TarInput::open(source));
  auto s = TRY(scan_layer(in->tar(), "layer 1 of test", options));
  TRYV(in->finish());
  return s;
}

ImageFs build(const std::vector<std::vector<layer_test::TarEntry>>& layers, ScanOptions options = {}) {
  ImageFs fs;
  for (const auto& l : layers) {
    auto s = scan(l, options);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().str());
    if (s) fs.apply(std::move(*s));
  }
  return fs;
}

std::vector<std::string> paths(const ImageFs& fs) {
  std::vector<std::string> out;
  for (const auto& [p, _] : fs.files) out.push_back(p);
  return out;
}

using Paths = std::vector<std::string>;

TEST(ImageFs, NormalizesEntryNames) {
  EXPECT_EQ(normalize_entry_path("./etc//passwd"), "/etc/passwd");
  EXPECT_EQ(normalize_entry_path("/usr/bin/"), "/usr/bin");
  EXPECT_EQ(normalize_entry_path("./"), "");
  EXPECT_EQ(normalize_entry_path("a/../../etc"), std::nullopt);
}

TEST(ImageFs, RecordsTypeModeOwnerSizeAndContentHash) {
  auto exe = testing::owned(file("bin/tool", "#!/bin/sh\n", 04755), 0, 50);
  layer_test::TarEntry dev;
  dev.name = "dev/null";
  dev.type = AE_IFCHR;
  dev.perm = 0666;
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  auto fs = build({{dir("bin"), exe, slink("bin/sh", "tool"), dir("dev"), dev}});
  EXPECT_EQ(paths(fs), (Paths{"/bin", "/bin/sh", "/bin/tool", "/dev", "/dev/null"}));
  const auto& tool = fs.files.at("/bin/tool");
  EXPECT_EQ(tool.type, FileType::Regular);
  EXPECT_EQ(tool.mode, 04755u);
  EXPECT_EQ(tool.gid, 50u);
  EXPECT_EQ(tool.size, 10u);
  ASSERT_TRUE(tool.digest.has_value());
  EXPECT_EQ(fs.files.at("/bin/sh").type, FileType::Symlink);
  EXPECT_EQ(fs.files.at("/bin/sh").link, "tool");
  EXPECT_EQ(fs.files.at("/dev/null").type, FileType::CharDevice);
  EXPECT_NE(fs.files.at("/dev/null").rdev, 0u);
  EXPECT_EQ(fs.files.at("/bin").type, FileType::Directory);
}

TEST(ImageFs, SameContentSameHashOtherContentOther) {
  auto fs = build({{file("a", "one"), file("b", "one"), file("c", "two")}});
  EXPECT_EQ(fs.files.at("/a").digest, fs.files.at("/b").digest);
  EXPECT_NE(fs.files.at("/a").digest, fs.files.at("/c").digest);
}

TEST(ImageFs, NoHashWhenNotAsked) {
  ScanOptions o;
  o.hash_contents = false;
  auto fs = build({{file("a", "one")}}, o);
  EXPECT_FALSE(fs.files.at("/a").digest.has_value());
  EXPECT_EQ(fs.files.at("/a").size, 3u);
}

TEST(ImageFs, WhiteoutRemovesAFileAndADirectoryWithItsContents) {
  auto fs = build({
      {dir("etc"), file("etc/motd", "hi"), file("etc/keep", "k"), dir("var"), dir("var/cache"),
       file("var/cache/a", "a"), dir("var/cache/sub"), file("var/cache/sub/b", "b"), file("var/cachex", "x")},
      {file("etc/.wh.motd", ""), file("var/.wh.cache", "")},
  });
  EXPECT_EQ(paths(fs), (Paths{"/etc", "/etc/keep", "/var", "/var/cachex"}));
}

TEST(ImageFs, WhiteoutOnlyHidesLowerLayersAndTheNameCanComeBack) {
  auto fs = build({
      {file("a", "old")},
      {file(".wh.a", "")},
      {file("a", "new!")},
  });
  EXPECT_EQ(fs.files.at("/a").size, 4u);
}

TEST(ImageFs, OpaqueDirectoryHidesLowerContentsButKeepsItsOwnLayers) {
  auto fs = build({
      {dir("app"), file("app/old1", "1"), dir("app/lib"), file("app/lib/old2", "2"), file("apple", "x")},
      // The new file comes before the marker in tar order: it still stays.
      {dir("app"), file("app/new", "n"), file("app/.wh..wh..opq", "")},
  });
  EXPECT_EQ(paths(fs), (Paths{"/app", "/app/new", "/apple"}));
}

TEST(ImageFs, AufsMetadataEntriesAreNotFilesButHardLinkTargets) {
  auto fs = build({{dir(".wh..wh.plnk"), file(".wh..wh.plnk/123.4", "DATA", 0750), file("a", "1"),
                    hlink("a2", ".wh..wh.plnk/123.4")}});
  EXPECT_EQ(paths(fs), (Paths{"/a", "/a2"}));
  EXPECT_EQ(fs.files.at("/a2").size, 4u);
  EXPECT_EQ(fs.files.at("/a2").mode, 0750u);
}

TEST(ImageFs, AFileOverADirectoryReplacesTheWholeDirectory) {
  auto fs = build({
      {dir("opt"), dir("opt/tool"), file("opt/tool/bin", "b"), file("opt/tool/lib", "l")},
      {file("opt/tool", "now a file")},
  });
  EXPECT_EQ(paths(fs), (Paths{"/opt", "/opt/tool"}));
  EXPECT_EQ(fs.files.at("/opt/tool").type, FileType::Regular);
}

TEST(ImageFs, ADirectoryOverADirectoryMergesAndTakesTheNewMode) {
  auto fs = build({
      {dir("d", 0755), file("d/a", "a")},
      {dir("d", 0700), file("d/b", "b")},
  });
  EXPECT_EQ(paths(fs), (Paths{"/d", "/d/a", "/d/b"}));
  EXPECT_EQ(fs.files.at("/d").mode, 0700u);
}

TEST(ImageFs, HardLinksTakeTheirTargetsMetadataAndContent) {
  auto fs = build({
      {testing::owned(file("bin/busybox", "BUSYBOX", 0755), 0, 0)},
      // One link to a file in the same layer, one to a file of a lower layer.
      {file("bin/other", "other", 0700), hlink("bin/other2", "bin/other"), hlink("bin/ls", "bin/busybox")},
  });
  const auto& ls = fs.files.at("/bin/ls");
  EXPECT_EQ(ls.type, FileType::Regular);
  EXPECT_EQ(ls.size, 7u);
  EXPECT_EQ(ls.mode, 0755u);
  EXPECT_EQ(ls.digest, fs.files.at("/bin/busybox").digest);
  EXPECT_EQ(fs.files.at("/bin/other2"), fs.files.at("/bin/other"));
}

TEST(ImageFs, AnEntryLeavingTheRootIsRefused) {
  auto s = scan({file("../etc/passwd", "x")});
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("leaves the image's root"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("layer 1 of test"), std::string::npos);
}

TEST(ImageFs, CapturesAskedForFilesAndFollowsTheirFate) {
  ScanOptions o;
  o.capture = [](std::string_view p) { return p == "/db"; };
  auto fs = build({{file("db", "v1"), file("other", "o")}, {file("db", "v2")}}, o);
  ASSERT_TRUE(fs.captured.contains("/db"));
  EXPECT_EQ(fs.captured.at("/db"), "v2");
  EXPECT_FALSE(fs.captured.contains("/other"));
  auto gone = build({{file("db", "v1")}, {file(".wh.db", "")}}, o);
  EXPECT_FALSE(gone.captured.contains("/db"));
  auto replaced = build({{file("db", "v1")}, {slink("db", "elsewhere")}}, o);
  EXPECT_FALSE(replaced.captured.contains("/db"));
  auto hidden = build({{dir("x"), file("x/db", "v1")}, {file("x/.wh..wh..opq", "")}},
                      ScanOptions{.capture = [](std::string_view p) { return p == "/x/db"; }});
  EXPECT_FALSE(hidden.captured.contains("/x/db"));
}

TEST(ImageFs, ACapturedFileOverItsLimitIsAnError) {
  ScanOptions o;
  o.capture = [](std::string_view p) { return p == "/db"; };
  o.capture_limit = 4;
  auto s = scan({file("db", "too long")}, o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("/db is larger than"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace berth::imagediff
