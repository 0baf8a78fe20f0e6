#include <gtest/gtest.h>

#include "imagediff/compare.h"
#include "imagediff/diff_types.h"
#include "fake_source.h"

namespace berth::imagediff {
namespace {

FileInfo reg(uint64_t size, uint8_t content, uint32_t mode = 0644) {
  FileInfo f;
  f.size = size;
  f.mode = mode;
  Sha256 d{};
  d[0] = content;
  f.digest = d;
  return f;
}

FileInfo directory(uint32_t mode = 0755) {
  FileInfo f;
  f.type = FileType::Directory;
  f.mode = mode;
  return f;
}

FileInfo symlink_to(std::string target) {
  FileInfo f;
  f.type = FileType::Symlink;
  f.mode = 0777;
  f.link = std::move(target);
  return f;
}

TEST(CompareFiles, AddedRemovedAndChangedWithWhatChanged) {
  FileTree a{{"/bin", directory()},
             {"/bin/sh", symlink_to("busybox")},
             {"/etc/motd", reg(10, 1)},
             {"/etc/old", reg(3, 2)},
             {"/same", reg(5, 3)},
             {"/modeonly", reg(5, 4, 0644)},
             {"/content", reg(5, 5)},
             {"/owner", reg(5, 6)},
             {"/kind", reg(0, 0)}};
  FileTree b = a;
  b.erase("/etc/old");
  b["/etc/new"] = reg(7, 9);
  b["/etc/motd"] = reg(12, 1);
  b["/bin/sh"] = symlink_to("bash");
  b["/modeonly"].mode = 0755;
  b["/content"] = reg(5, 50);
  b["/owner"].uid = 1000;
  b["/kind"] = directory();
  b["/bin"].mode = 0700;

  auto d = compare_files(a, b);
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].path, "/etc/new");
  EXPECT_EQ(d.added[0].info.size, 7u);
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].path, "/etc/old");
  std::map<std::string, std::vector<std::string>> changed;
  for (const auto& c : d.changed) changed[c.path] = c.what;
  using W = std::vector<std::string>;
  EXPECT_EQ(changed.size(), 7u);
  EXPECT_EQ(changed["/bin"], W{"mode"});
  EXPECT_EQ(changed["/bin/sh"], W{"link"});
  EXPECT_EQ(changed["/etc/motd"], W{"size"});
  EXPECT_EQ(changed["/modeonly"], W{"mode"});
  EXPECT_EQ(changed["/content"], W{"content"});
  EXPECT_EQ(changed["/owner"], W{"owner"});
  EXPECT_EQ(changed["/kind"], (W{"type", "mode"}));
  EXPECT_FALSE(changed.contains("/same"));
}

TEST(CompareFiles, IdenticalTreesHaveNoDifferences) {
  FileTree a{{"/a", reg(1, 1)}, {"/d", directory()}};
  auto d = compare_files(a, a);
  EXPECT_TRUE(d.added.empty() && d.removed.empty() && d.changed.empty());
}

image::ImageConfig config_with(image::ContainerConfig c, std::string arch = "amd64") {
  image::ImageConfig ic;
  ic.architecture = std::move(arch);
  ic.os = "linux";
  ic.config = std::move(c);
  return ic;
}

TEST(CompareMetadata, FieldsAndKeysThatDiffer) {
  image::ContainerConfig a, b;
  a.env = {"PATH=/usr/bin", "VERSION=1", "GONE=x"};
  b.env = {"PATH=/usr/bin", "VERSION=2", "NEW="};
  a.cmd = std::vector<std::string>{"sh"};
  b.entrypoint = std::vector<std::string>{"/app"};
  a.labels = std::map<std::string, std::string>{{"maintainer", "me"}};
  b.exposed_ports = std::set<std::string>{"80/tcp"};
  a.user = "app";
  b.user = "app";
  b.working_dir = "/srv";
  b.extra["Healthcheck"] = {{"Test", {"CMD", "true"}}};
  auto changes = compare_metadata(config_with(a), config_with(b, "arm64"));
  std::vector<std::string> seen;
  for (const auto& c : changes) seen.push_back(c.field + "/" + c.key);
  EXPECT_EQ(seen, (std::vector<std::string>{"Architecture/", "WorkingDir/", "Entrypoint/", "Cmd/", "Env/GONE", "Env/NEW",
                                            "Env/VERSION", "Labels/maintainer", "ExposedPorts/80/tcp", "Healthcheck/"}));
  auto find = [&](const std::string& f, const std::string& k) {
    for (const auto& c : changes)
      if (c.field == f && c.key == k) return c;
    return MetadataChange{};
  };
  EXPECT_EQ(find("Env", "VERSION").a, "1");
  EXPECT_EQ(find("Env", "VERSION").b, "2");
  EXPECT_TRUE(find("Env", "NEW").a.is_null());
  EXPECT_EQ(find("Env", "NEW").b, "");
  EXPECT_EQ(find("Cmd", "").a, nlohmann::json({"sh"}));
  EXPECT_TRUE(find("Cmd", "").b.is_null());
  EXPECT_EQ(find("ExposedPorts", "80/tcp").b, "80/tcp");
  EXPECT_TRUE(compare_metadata(config_with(a), config_with(a)).empty());
}

TEST(CompareHistory, SharedStartThenEachOnesOwn) {
  image::ImageConfig a, b;
  a.history = {testing::step("ADD rootfs"), testing::step("ENV A=1", true), testing::step("RUN x")};
  b.history = {testing::step("ADD rootfs"), testing::step("ENV A=1", true), testing::step("RUN y"),
               testing::step("CMD sh", true)};
  auto d = compare_history(a, b);
  EXPECT_EQ(d.shared, 2u);
  ASSERT_EQ(d.only_a.size(), 1u);
  EXPECT_EQ(d.only_a[0].created_by, "RUN x");
  ASSERT_EQ(d.only_b.size(), 2u);
  EXPECT_EQ(d.only_b[1].created_by, "CMD sh");
}

TEST(CompareSizes, PerLayerTotalsAndTheSharedStart) {
  SourceImage a, b;
  auto d1 = content::sha256("1"), d2 = content::sha256("2"), d3 = content::sha256("3");
  a.layers = {{d1, std::nullopt, 100, ""}, {d2, std::nullopt, 50, ""}};
  b.layers = {{d1, std::nullopt, 100, ""}, {d3, std::nullopt, -1, ""}, {d2, std::nullopt, 50, ""}};
  auto s = compare_sizes(a, b);
  EXPECT_EQ(s.total_a, 150);
  EXPECT_EQ(s.total_b, 150);  // the unknown size counts nothing
  EXPECT_TRUE(s.a[0].shared && s.b[0].shared);
  EXPECT_FALSE(s.a[1].shared);
  EXPECT_FALSE(s.b[2].shared);  // the same layer on another stack is another filesystem
}

TEST(ComparePackages, OnlyInEachAndChangedVersions) {
  PackageIndex a{{"bash", {"bash", "5.1", "amd64", 100}}, {"gone", {"gone", "1", "amd64", 1}},
                 {"same", {"same", "1", "all", 1}}};
  PackageIndex b{{"bash", {"bash", "5.2", "amd64", 120}}, {"curl", {"curl", "8", "amd64", 9}},
                 {"same", {"same", "1", "all", 1}}};
  auto d = compare_packages(a, b);
  EXPECT_TRUE(d.a_has_database && d.b_has_database);
  ASSERT_EQ(d.only_a.size(), 1u);
  EXPECT_EQ(d.only_a[0].name, "gone");
  ASSERT_EQ(d.only_b.size(), 1u);
  EXPECT_EQ(d.only_b[0].name, "curl");
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].key, "bash");
  EXPECT_EQ(d.changed[0].b.version, "5.2");
  auto none = compare_packages(std::nullopt, b);
  EXPECT_FALSE(none.a_has_database);
  EXPECT_EQ(none.only_b.size(), 3u);
}

TEST(DiffTypes, DefaultIsSizeNamesAreCheckedAndOrdered) {
  EXPECT_EQ(*parse_diff_types({}), std::vector<DiffType>{DiffType::Size});
  EXPECT_EQ(*parse_diff_types({"file,size", "file", "apt"}),
            (std::vector<DiffType>{DiffType::Size, DiffType::File, DiffType::Apt}));
  auto bad = parse_diff_types({"file", "pip"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_EQ(bad.error().message, "unknown diff type \"pip\": the types are size, history, metadata, file, apt and apk");
  EXPECT_TRUE(needs_layers({DiffType::Apk}));
  EXPECT_FALSE(needs_layers({DiffType::Size, DiffType::History, DiffType::Metadata}));
}

}  // namespace
}  // namespace berth::imagediff
