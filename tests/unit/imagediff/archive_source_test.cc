// Archive files read in place: docker save's layouts (old and new) and OCI
// layouts, plain and compressed; their errors name the file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "fake_source.h"
#include "imagediff/archive_source.h"
#include "imagediff/image_diff.h"

namespace berth::imagediff {
namespace {

using layer_test::Compression;
using layer_test::dir;
using layer_test::file;
using layer_test::slink;
using layer_test::TarEntry;
using Json = nlohmann::json;

std::vector<TarEntry> base_entries() {
  return {dir("etc"), file("etc/motd", "hello"), file("etc/passwd", "root:x:0:0\n"), dir("bin"),
          file("bin/busybox", "BUSYBOX", 0755)};
}
std::vector<TarEntry> change_entries() { return {file("etc/motd", "HELLO"), file("etc/.wh.passwd", ""), file("new", "n")}; }

struct Archive {
  std::string path;
  ~Archive() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

std::string write_temp(const std::string& bytes) {
  std::string path = "/tmp/berth-imagediff-archive-XXXXXX";
  int fd = ::mkstemp(path.data());
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  return path;
}

std::string config_for(const std::vector<std::string>& plain_layers) {
  image::ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.rootfs = image::RootFs{};
  for (const auto& l : plain_layers) c.rootfs->diff_ids.push_back(content::sha256(l));
  return image::serialize(c);
}

// docker save (20.10): <id>.json, <v1>/layer.tar (a repeated layer as a
// symlink to the first), manifest.json last.
std::string docker_save(const std::vector<std::vector<TarEntry>>& layers, Compression outer = Compression::None,
                        bool blobs_layout = false) {
  std::vector<std::string> plain;
  for (const auto& l : layers) plain.push_back(layer_test::make_tar(l));
  std::string config = config_for(plain);
  std::string config_name = blobs_layout ? "blobs/sha256/" + content::sha256(config).hex() : content::sha256(config).hex() + ".json";
  std::vector<TarEntry> entries;
  Json layer_paths = Json::array();
  std::map<std::string, std::string> first_path;
  for (size_t i = 0; i < plain.size(); ++i) {
    std::string hex = content::sha256(plain[i]).hex();
    std::string p = blobs_layout ? "blobs/sha256/" + hex : std::string(64, static_cast<char>('a' + i)) + "/layer.tar";
    if (first_path.contains(hex)) {
      if (!blobs_layout) entries.push_back(slink(p, "../" + first_path[hex]));
    } else {
      if (!blobs_layout) entries.push_back(dir(p.substr(0, 64)));
      entries.push_back(file(p, plain[i]));
      first_path[hex] = p;
    }
    layer_paths.push_back(p);
  }
  entries.push_back(file(config_name, config));
  Json manifest = Json::array({{{"Config", config_name}, {"RepoTags", {"test/image:1"}}, {"Layers", layer_paths}}});
  entries.push_back(file("manifest.json", manifest.dump()));
  entries.push_back(file("repositories", "{}"));
  return layer_test::make_tar(entries, outer);
}

// An OCI image layout with gzip layers.
std::string oci_layout(const std::vector<std::vector<TarEntry>>& layers, Compression outer) {
  std::vector<std::string> plain;
  for (const auto& l : layers) plain.push_back(layer_test::make_tar(l));
  std::string config = config_for(plain);
  image::Manifest m;
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  m.config.media_type = "application/vnd.oci.image.config.v1+json";
  m.config.digest = content::sha256(config);
  m.config.size = static_cast<int64_t>(config.size());
  std::vector<TarEntry> entries{file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")};
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string blob = layer_test::make_tar(layers[i], Compression::Gzip);
    image::Descriptor d;
    d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    d.digest = content::sha256(blob);
    d.size = static_cast<int64_t>(blob.size());
    m.layers.push_back(d);
    entries.push_back(file("blobs/sha256/" + d.digest.hex(), blob));
  }
  std::string manifest = image::serialize(m);
  entries.push_back(file("blobs/sha256/" + content::sha256(manifest).hex(), manifest));
  entries.push_back(file("blobs/sha256/" + content::sha256(config).hex(), config));
  image::Index index;
  index.media_type = "application/vnd.oci.image.index.v1+json";
  image::Descriptor md;
  md.media_type = m.media_type;
  md.digest = content::sha256(manifest);
  md.size = static_cast<int64_t>(manifest.size());
  index.manifests.push_back(md);
  entries.push_back(file("index.json", image::serialize(index)));
  return layer_test::make_tar(entries, outer);
}

Result<DiffResult> diff_files(ImageSource& a, ImageSource& b) { return diff_images(a, b, {DiffType::File, DiffType::Size}); }

TEST(ArchiveSource, DockerSaveOfTwoImagesComparesLikeTheImages) {
  Archive a{write_temp(docker_save({base_entries()}))};
  Archive b{write_temp(docker_save({base_entries(), change_entries()}, Compression::Gzip))};
  auto sa = ArchiveSource::open(a.path, a.path);
  ASSERT_TRUE(sa.has_value()) << sa.error().str();
  auto sb = ArchiveSource::open("b.tar.gz", b.path);
  ASSERT_TRUE(sb.has_value()) << sb.error().str();
  EXPECT_EQ((*sb)->image().kind, "archive");
  EXPECT_EQ((*sb)->image().name, b.path);
  EXPECT_EQ((*sb)->image().input, "b.tar.gz");
  EXPECT_EQ((*sb)->image().layers.size(), 2u);
  EXPECT_EQ((*sb)->image().layers[1].size, static_cast<int64_t>(layer_test::make_tar(change_entries()).size()));
  auto r = diff_files(**sa, **sb);
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_EQ(r->file->added.size(), 1u);
  EXPECT_EQ(r->file->added[0].path, "/new");
  ASSERT_EQ(r->file->removed.size(), 1u);
  EXPECT_EQ(r->file->removed[0].path, "/etc/passwd");
  ASSERT_EQ(r->file->changed.size(), 1u);
  EXPECT_EQ(r->file->changed[0].what, std::vector<std::string>{"content"});
}

TEST(ArchiveSource, RepeatedLayersLinkedInTheArchive) {
  std::vector<TarEntry> add{file("f", "1")}, del{file(".wh.f", "")};
  Archive a{write_temp(docker_save({add, del, add}))};
  testing::FakeSource empty("empty", {});
  auto sa = ArchiveSource::open(a.path, a.path);
  ASSERT_TRUE(sa.has_value()) << sa.error().str();
  auto r = diff_files(empty, **sa);
  ASSERT_TRUE(r.has_value()) << r.error().str();
  ASSERT_EQ(r->file->added.size(), 1u);
  EXPECT_EQ(r->file->added[0].path, "/f");
}

TEST(ArchiveSource, NewerDockerSaveAndOciLayoutsOfTheSameImageDifferInNothing) {
  Archive a{write_temp(docker_save({base_entries(), change_entries()}, Compression::None, true))};
  Archive b{write_temp(oci_layout({base_entries(), change_entries()}, Compression::Zstd))};
  auto sa = ArchiveSource::open(a.path, a.path);
  ASSERT_TRUE(sa.has_value()) << sa.error().str();
  EXPECT_TRUE((*sa)->image().layers[0].blob.has_value());
  auto sb = ArchiveSource::open(b.path, b.path);
  ASSERT_TRUE(sb.has_value()) << sb.error().str();
  EXPECT_EQ((*sb)->image().layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ((*sa)->image().id, (*sb)->image().id);
  auto r = diff_files(**sa, **sb);
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_TRUE(r->file->added.empty() && r->file->removed.empty() && r->file->changed.empty());
}

TEST(ArchiveSource, AgainstAnInMemoryImageOfTheSameLayers) {
  Archive a{write_temp(oci_layout({base_entries()}, Compression::None))};
  testing::FakeSource b("b", {{base_entries()}, {change_entries()}});
  auto sa = ArchiveSource::open(a.path, a.path);
  ASSERT_TRUE(sa.has_value()) << sa.error().str();
  auto r = diff_files(**sa, b);
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_EQ(r->file->added.size(), 1u);
  EXPECT_TRUE(r->size->a[0].shared);
}

TEST(ArchiveSource, ErrorsNameTheFile) {
  auto missing = ArchiveSource::open("x", "/nonexistent/berth-test.tar");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_NE(missing.error().str().find("/nonexistent/berth-test.tar"), std::string::npos);

  Archive garbage{write_temp(std::string(4096, '\x42'))};
  auto g = ArchiveSource::open(garbage.path, garbage.path);
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code, Errc::InvalidArgument);
  EXPECT_NE(g.error().message.find(garbage.path + ": not a readable image archive"), std::string::npos) << g.error().message;

  Archive not_image{write_temp(layer_test::make_tar({file("hello.txt", "hi")}))};
  auto n = ArchiveSource::open(not_image.path, not_image.path);
  ASSERT_FALSE(n.has_value());
  EXPECT_NE(n.error().message.find(not_image.path + " is not an image archive"), std::string::npos) << n.error().message;

  // Cut inside the second layer: manifest.json is gone, so the first pass says so.
  std::string whole = docker_save({base_entries(), change_entries()});
  Archive cut{write_temp(whole.substr(0, whole.size() / 2))};
  auto c = ArchiveSource::open(cut.path, cut.path);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find(cut.path), std::string::npos) << c.error().message;

  // A gzip archive whose layer bytes are damaged: the second pass names file and layer.
  std::string gz = oci_layout({base_entries()}, Compression::None);
  auto at = gz.find("\x1f\x8b");  // the layer blob's gzip header
  ASSERT_NE(at, std::string::npos);
  for (size_t i = at + 20; i < at + 60 && i < gz.size(); ++i) gz[i] = static_cast<char>(~gz[i]);
  Archive damaged{write_temp(gz)};
  auto d = ArchiveSource::open(damaged.path, damaged.path);
  ASSERT_TRUE(d.has_value()) << d.error().str();
  testing::FakeSource empty("empty", {});
  auto r = diff_files(empty, **d);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("layer 1 of " + damaged.path), std::string::npos) << r.error().message;
}

TEST(ArchiveSource, SeveralImagesAreRefusedNamingThem) {
  std::string one = layer_test::make_tar(base_entries());
  std::string config = config_for({one});
  Json manifest = Json::array({{{"Config", "c.json"}, {"RepoTags", {"a:1"}}, {"Layers", {"l/layer.tar"}}},
                               {{"Config", "c.json"}, {"RepoTags", {"b:2"}}, {"Layers", {"l/layer.tar"}}}});
  Archive a{write_temp(layer_test::make_tar(
      {file("c.json", config), dir("l"), file("l/layer.tar", one), file("manifest.json", manifest.dump())}))};
  auto s = ArchiveSource::open(a.path, a.path);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, a.path + " holds 2 images (a:1, b:2): image diff compares archives of one image");
}

TEST(ArchiveSource, RelativePathsAreRefused) {
  auto s = ArchiveSource::open("a.tar", "a.tar");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace berth::imagediff
