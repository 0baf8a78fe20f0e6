// diff_images over in-memory sources: what is read (and how often), the
// final filesystems compared, package databases found through the layers,
// verification, and the JSON scripts read.
#include <gtest/gtest.h>

#include "fake_source.h"
#include "imagediff/image_diff.h"

namespace berth::imagediff {
namespace {

using layer_test::Compression;
using layer_test::dir;
using layer_test::file;
using layer_test::hlink;
using testing::FakeLayer;
using testing::FakeSource;

FakeLayer base_layer() {
  return {{dir("bin"), file("bin/busybox", "BUSYBOX", 0755), hlink("bin/sh", "bin/busybox"), dir("etc"),
           file("etc/motd", "hello"), file("etc/passwd", "root:x:0:0\n"), dir("var"), dir("var/cache"),
           file("var/cache/x", "x")},
          Compression::Gzip,
          "ADD rootfs"};
}

std::vector<std::string> paths(const std::vector<FileEntry>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.path);
  return out;
}

TEST(ImageDiff, FileDiffOfTheFinalFilesystems) {
  FakeSource a("a", {base_layer()});
  FakeSource b("b", {base_layer(),
                     {{file("etc/motd", "HELLO"), file("etc/passwd", "root:x:0:0\n", 0600), file("new", "n"),
                       file("var/.wh.cache", "")},
                      Compression::None,
                      "RUN change"}});
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_TRUE(r->file.has_value());
  EXPECT_EQ(paths(r->file->added), (std::vector<std::string>{"/new"}));
  EXPECT_EQ(paths(r->file->removed), (std::vector<std::string>{"/var/cache", "/var/cache/x"}));
  ASSERT_EQ(r->file->changed.size(), 2u);
  EXPECT_EQ(r->file->changed[0].path, "/etc/motd");
  EXPECT_EQ(r->file->changed[0].what, std::vector<std::string>{"content"});
  EXPECT_EQ(r->file->changed[1].path, "/etc/passwd");
  EXPECT_EQ(r->file->changed[1].what, std::vector<std::string>{"mode"});
  EXPECT_FALSE(r->size.has_value());
}

TEST(ImageDiff, TheSharedStartIsReadOnceAndNothingElseTwice) {
  FakeSource a("a", {base_layer(), {{file("a-only", "a")}}});
  FakeSource b("b", {base_layer(), {{file("b-only", "b")}}});
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_EQ(a.reads[0], 1);
  EXPECT_EQ(b.reads.count(0), 0u);
  EXPECT_EQ(a.reads[1], 1);
  EXPECT_EQ(b.reads[1], 1);
  EXPECT_EQ(a.calls, 1);  // an archive is read in one pass for the shared and its own layers
  EXPECT_EQ(paths(r->file->added), std::vector<std::string>{"/b-only"});
  EXPECT_EQ(paths(r->file->removed), std::vector<std::string>{"/a-only"});
}

TEST(ImageDiff, TheSharedStartComesFromTheLocalImageWhenTheOtherIsRemote) {
  FakeSource a("a", {base_layer()});
  FakeSource b("b", {base_layer(), {{file("x", "x")}}});
  a.remote_ = true;
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_TRUE(a.reads.empty());
  EXPECT_EQ(b.reads[0], 1);
  EXPECT_EQ(paths(r->file->added), std::vector<std::string>{"/x"});
}

TEST(ImageDiff, TheSameImageTwiceReadsItOnceAndDiffersInNothing) {
  FakeSource a("a", {base_layer(), {{file("x", "x")}}});
  auto r = diff_images(a, a, {DiffType::File, DiffType::Size});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_EQ(a.calls, 1);
  EXPECT_TRUE(r->file->added.empty() && r->file->removed.empty() && r->file->changed.empty());
}

TEST(ImageDiff, LayersHandedOverOutOfOrderApplyInOrder) {
  FakeLayer l1{{file("f", "one")}}, l2{{file(".wh.f", "")}}, l3{{file("f", "three!")}};
  FakeSource a("a", {{{file("base", "b")}}});
  FakeSource b("b", {l1, l2, l3});
  b.reverse = true;
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_EQ(r->file->added.size(), 1u);
  EXPECT_EQ(r->file->added[0].path, "/f");
  EXPECT_EQ(r->file->added[0].info.size, 6u);
}

TEST(ImageDiff, ARepeatedLayerIsReadOnceAndAppliedAtEachPlace) {
  FakeLayer add{{file("f", "1")}}, del{{file(".wh.f", "")}};
  FakeSource a("a", {});
  FakeSource b("b", {add, del, add});
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_EQ(b.reads[0], 1);
  EXPECT_EQ(b.reads.count(2), 0u);
  EXPECT_EQ(paths(r->file->added), std::vector<std::string>{"/f"});
}

TEST(ImageDiff, OnlyConfigTypesReadNoLayer) {
  image::ContainerConfig ca, cb;
  ca.env = {"A=1"};
  cb.env = {"A=2"};
  FakeSource a("a", {base_layer()}, ca);
  FakeSource b("b", {base_layer(), {{file("x", "x")}, Compression::None, "RUN x"}}, cb);
  auto r = diff_images(a, b, {DiffType::Size, DiffType::History, DiffType::Metadata});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_EQ(a.calls + b.calls, 0);
  ASSERT_EQ(r->metadata.size(), 1u);
  EXPECT_EQ(r->metadata[0].field, "Env");
  EXPECT_EQ(r->history->shared, 1u);
  ASSERT_EQ(r->history->only_b.size(), 1u);
  EXPECT_EQ(r->history->only_b[0].created_by, "RUN x");
  EXPECT_EQ(r->size->b.size(), 2u);
  EXPECT_TRUE(r->size->b[0].shared);
}

constexpr char kStatusV1[] = "Package: bash\nStatus: install ok installed\nVersion: 5.1\nArchitecture: amd64\n\n"
                             "Package: gone\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n";
constexpr char kStatusV2[] = "Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\n\n"
                             "Package: curl\nStatus: install ok installed\nVersion: 8\nArchitecture: amd64\n";

TEST(ImageDiff, AptPackagesFromTheStatusFileTheLayersLeave) {
  FakeSource a("a", {{{dir("var"), dir("var/lib"), dir("var/lib/dpkg"), file("var/lib/dpkg/status", kStatusV1)}}});
  FakeSource b("b", {{{dir("var"), dir("var/lib"), dir("var/lib/dpkg"), file("var/lib/dpkg/status", kStatusV1)}},
                     {{file("var/lib/dpkg/status", kStatusV2)}}});
  auto r = diff_images(a, b, {DiffType::Apt, DiffType::Apk});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_TRUE(r->apt.has_value());
  EXPECT_TRUE(r->apt->a_has_database && r->apt->b_has_database);
  ASSERT_EQ(r->apt->only_a.size(), 1u);
  EXPECT_EQ(r->apt->only_a[0].name, "gone");
  ASSERT_EQ(r->apt->only_b.size(), 1u);
  EXPECT_EQ(r->apt->only_b[0].name, "curl");
  ASSERT_EQ(r->apt->changed.size(), 1u);
  EXPECT_EQ(r->apt->changed[0].b.version, "5.2");
  EXPECT_FALSE(r->apk->a_has_database);
  EXPECT_FALSE(r->file.has_value());
}

TEST(ImageDiff, AWhitedOutDatabaseIsNoDatabaseAndStatusDCounts) {
  FakeSource a("a", {{{dir("var"), dir("var/lib"), dir("var/lib/dpkg"), file("var/lib/dpkg/status", kStatusV1)}},
                     {{file("var/lib/dpkg/.wh.status", "")}}});
  FakeSource b("b", {{{dir("var"), dir("var/lib"), dir("var/lib/dpkg"), dir("var/lib/dpkg/status.d"),
                       file("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a\n"),
                       file("var/lib/dpkg/status.d/tzdata.md5sums", "abc  usr/share/zoneinfo/UTC\n")}}});
  auto r = diff_images(a, b, {DiffType::Apt});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_FALSE(r->apt->a_has_database);
  EXPECT_TRUE(r->apt->b_has_database);
  ASSERT_EQ(r->apt->only_b.size(), 1u);
  EXPECT_EQ(r->apt->only_b[0].name, "tzdata");
}

TEST(ImageDiff, ApkPackages) {
  FakeSource a("a", {{{dir("lib"), dir("lib/apk"), dir("lib/apk/db"), file("lib/apk/db/installed", "P:musl\nV:1.2.3\n\n")}}});
  FakeSource b("b", {{{dir("lib"), dir("lib/apk"), dir("lib/apk/db"), file("lib/apk/db/installed", "P:musl\nV:1.2.4\n\n")}}});
  auto r = diff_images(a, b, {DiffType::Apk});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_EQ(r->apk->changed.size(), 1u);
  EXPECT_EQ(r->apk->changed[0].a.version, "1.2.3");
}

TEST(ImageDiff, ALayerThatIsNotWhatItsConfigSaysIsAnError) {
  FakeSource a("a", {base_layer()});
  FakeSource b("image-b", {base_layer(), {{file("x", "x")}}});
  b.blobs()[1] = layer_test::make_tar({file("x", "tampered")});
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("layer 2 of image-b: its bytes hash to"), std::string::npos) << r.error().message;
  b.mutable_image().layers[1].blob.reset();  // a docker save archive names no blob: the diff ID still holds
  r = diff_images(a, b, {DiffType::File});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not to the diff ID its config lists"), std::string::npos) << r.error().message;
}

TEST(ImageDiff, ACorruptLayerIsAnErrorNamingIt) {
  FakeSource a("a", {base_layer()});
  FakeSource b("image-b", {base_layer(), {{file("x", "x")}, Compression::Gzip}});
  b.blobs()[1].resize(b.blobs()[1].size() / 2);
  auto r = diff_images(a, b, {DiffType::File});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("layer 2 of image-b"), std::string::npos) << r.error().message;
}

TEST(ImageDiff, JsonFieldNames) {
  FakeSource a("a", {base_layer()});
  FakeSource b("b", {base_layer(), {{file("etc/motd", "HELLO", 0600), file("new", "n")}}});
  auto r = diff_images(a, b, {DiffType::Size, DiffType::History, DiffType::Metadata, DiffType::File, DiffType::Apt});
  ASSERT_TRUE(r.has_value()) << r.error().str();
  auto j = to_json(a.image(), b.image(), *r);
  EXPECT_EQ(j["a"]["input"], "a");
  EXPECT_EQ(j["a"]["kind"], "daemon");
  EXPECT_EQ(j["b"]["id"], b.image().id);
  EXPECT_EQ(j["types"], nlohmann::ordered_json({"size", "history", "metadata", "file", "apt"}));
  EXPECT_EQ(j["size"]["b"]["layers"][1]["size"], b.image().layers[1].size);
  EXPECT_EQ(j["size"]["b"]["layers"][0]["shared"], true);
  EXPECT_EQ(j["size"]["difference"], b.image().layers[1].size);
  EXPECT_EQ(j["history"]["shared"], 1);
  EXPECT_TRUE(j["metadata"].is_array());
  const auto& added = j["file"]["added"][0];
  EXPECT_EQ(added["path"], "/new");
  EXPECT_EQ(added["type"], "file");
  EXPECT_EQ(added["size"], 1);
  EXPECT_EQ(added["mode"], 0644);
  EXPECT_EQ(added["uid"], 0);
  EXPECT_EQ(added["link"], "");
  EXPECT_EQ(added["digest"], content::sha256("n").str());
  const auto& changed = j["file"]["changed"][0];
  EXPECT_EQ(changed["path"], "/etc/motd");
  EXPECT_EQ(changed["what"], nlohmann::ordered_json({"content", "mode"}));
  EXPECT_EQ(changed["a"]["mode"], 0644);
  EXPECT_EQ(changed["b"]["mode"], 0600);
  EXPECT_EQ(j["apt"]["a_has_database"], false);
  EXPECT_TRUE(j["apt"]["only_b"].is_array());
  EXPECT_FALSE(j.contains("apk"));
}

}  // namespace
}  // namespace berth::imagediff
