#include "image/lookup.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace berth;
using namespace berth::image;

namespace {

class Lookup : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/berth-image-lookup-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = metadata::ImageStore::open(dir_ + "/m.db");
    ASSERT_TRUE(s) << s.error().str();
    store_.emplace(std::move(*s));
    auto c = parse_image_config(config_);
    ASSERT_TRUE(c);
    auto rec = make_record(config_, *c, {});
    ASSERT_TRUE(rec);
    rec_ = *rec;
    ASSERT_TRUE(store_->add_image(rec_, {"docker.io/library/busybox:latest"}));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::optional<metadata::ImageStore> store_;
  metadata::ImageRecord rec_;
  const std::string config_ =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:)" +
      std::string(64, 'a') + R"(","sha256:)" + std::string(64, 'b') + R"("]}})";
};

TEST_F(Lookup, RecordHasIdAndChainIds) {
  EXPECT_EQ(rec_.id, content::sha256(config_).str());
  ASSERT_EQ(rec_.layers.size(), 2u);
  EXPECT_EQ(rec_.layers[0].chain_id, rec_.layers[0].diff_id);
  EXPECT_EQ(rec_.layers[1].chain_id,
            content::sha256(rec_.layers[0].diff_id + " " + rec_.layers[1].diff_id).str());
}

TEST_F(Lookup, ResolvesReferenceIdAndPrefix) {
  for (std::string in : {std::string("busybox"), std::string("busybox:latest"),
                         std::string("docker.io/library/busybox"), rec_.id, rec_.id.substr(7),
                         rec_.id.substr(7, 12)})
    EXPECT_EQ(resolve(*store_, in).value_or("error"), rec_.id) << in;
  EXPECT_EQ(resolve(*store_, "alpine").error().code, Errc::NotFound);
  EXPECT_EQ(resolve(*store_, "Bad:Ref:").error().code, Errc::InvalidArgument);
}

TEST_F(Lookup, RemoveReportsFamiliarNames) {
  auto r = remove(*store_, "busybox", false);
  ASSERT_TRUE(r) << r.error().str();
  using K = metadata::DeleteItem::Kind;
  EXPECT_EQ(*r, (std::vector<metadata::DeleteItem>{{K::Untagged, "busybox:latest"}, {K::Deleted, rec_.id}}));
}

}  // namespace

namespace {

Digest digest_of(char c) { return Digest::parse("sha256:" + std::string(64, c)).value(); }

// The record lists blobs by digest: a layer whose digest sorts first must not
// be read (it was, on every create of such an image: 2 MB read and parsed).
TEST(ManifestCandidates, SmallestFirstWithoutTheConfigOrOversizedBlobs) {
  std::vector<content::BlobInfo> pinned = {
      {digest_of('0'), 2'100'000},  // the layer: sorts first by digest
      {digest_of('5'), 291},        // the config
      {digest_of('9'), 400},        // the manifest
      {digest_of('a'), 5'000'000},  // over the limit
      {digest_of('b'), 1024},       // an empty layer
  };
  auto got = manifest_candidates(pinned, digest_of('5'), 4 << 20);
  EXPECT_EQ(got, (std::vector<Digest>{digest_of('9'), digest_of('b'), digest_of('0')}));
}

TEST(ManifestCandidates, NothingLeft) {
  EXPECT_TRUE(manifest_candidates({{digest_of('5'), 10}}, digest_of('5'), 100).empty());
}

}  // namespace
