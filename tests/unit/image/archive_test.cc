// The tar writer of exports read back by the archive reader (and by tar(1)).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "base/unique_fd.h"
#include "image/archive_reader.h"
#include "image/export_sink.h"

using namespace berth;
using namespace berth::image;

namespace {

class Archive : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/berth-image-archive-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = content::Store::open(dir_ + "/content");
    ASSERT_TRUE(s) << s.error().str();
    store_.emplace(std::move(*s));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  UniqueFd tar_of(const std::function<void(ExportSink&)>& fill) {
    std::string path = dir_ + "/out.tar";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto sink = tar_sink(fd.get());
    fill(*sink);
    EXPECT_TRUE(sink->finish());
    ::lseek(fd.get(), 0, SEEK_SET);
    return fd;
  }
  std::string dir_;
  std::optional<content::Store> store_;
};

TEST_F(Archive, SmallMetadataInMemoryOtherFilesInStore) {
  std::string layer(5000, 'x');
  auto d = content::sha256(layer);
  auto fd = tar_of([&](ExportSink& s) {
    ASSERT_TRUE(s.add_file("manifest.json", "[]"));
    ASSERT_TRUE(s.add_dir("abc"));
    ASSERT_TRUE(s.add_file("abc/layer.tar", layer));
    ASSERT_TRUE(s.add_dir("blobs"));
    ASSERT_TRUE(s.add_dir("blobs/sha256"));
    ASSERT_TRUE(s.add_file("blobs/sha256/" + d.hex(), layer));
  });
  auto c = read_archive(fd.get(), *store_);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->files.at("manifest.json"), "[]");
  auto b = c->blob("./abc/layer.tar");
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(*b, d);
  EXPECT_EQ(*c->blob("blobs/sha256/" + d.hex()), d);
  EXPECT_EQ(*store_->read(d), layer);
  EXPECT_EQ(c->blob("nope").error().code, Errc::NotFound);
}

TEST_F(Archive, BlobNotMatchingItsNameIsRefused) {
  auto wrong = content::sha256("something else");
  auto fd = tar_of([&](ExportSink& s) {
    ASSERT_TRUE(s.add_file("blobs/sha256/" + wrong.hex(), "the real bytes"));
  });
  auto c = read_archive(fd.get(), *store_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::InvalidArgument);
  EXPECT_NE(c.error().str().find(wrong.hex()), std::string::npos) << c.error().str();
  EXPECT_FALSE(store_->exists(wrong));
}

TEST_F(Archive, SystemTarReadsOurTar) {
  auto fd = tar_of([&](ExportSink& s) {
    ASSERT_TRUE(s.add_dir("d"));
    ASSERT_TRUE(s.add_file("d/f", std::string(1000, 'a')));
  });
  std::string out = dir_ + "/x";
  std::filesystem::create_directories(out);
  std::string cmd = "tar -C " + out + " -xf " + dir_ + "/out.tar";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(std::filesystem::file_size(out + "/d/f"), 1000u);
}

TEST_F(Archive, DecompressGzip) {
  std::string path = dir_ + "/a.gz";
  std::string cmd = "printf 'hello world' | gzip -c > " + path;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string got;
  ASSERT_TRUE(decompress(fd.get(), [&](std::string_view c) -> Result<void> { got += c; return {}; }));
  EXPECT_EQ(got, "hello world");
}

}  // namespace
