#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "snapshot/fs_tree.h"
#include "snapshot/metadata.h"
#include "snapshot/native.h"
#include "snapshot/overlay.h"

using namespace berth;
using namespace berth::snapshot;

namespace {

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-snapmd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/metadata.json";
  }
  void TearDown() override { (void)remove_tree(dir_); }
  std::string dir_, path_;
};

TEST_F(MetadataTest, MissingFileIsEmptyAndNothingIsWrittenUntilAChange) {
  auto md = Metadata::open(path_, "native");
  ASSERT_TRUE(md) << md.error().str();
  EXPECT_TRUE(md->all().empty());
  EXPECT_EQ(::access(path_.c_str(), F_OK), -1);
  EXPECT_EQ(*Metadata::recorded_driver(path_), "");
}

TEST_F(MetadataTest, RoundTripRecordsVersionDriverAndRecords) {
  {
    auto md = Metadata::open(path_, "overlay");
    ASSERT_TRUE(md);
    ASSERT_TRUE(md->add(Info{"base", "", Kind::Active, md->next_id()}));
    ASSERT_TRUE(md->rename_committed("base", "sha256:abc"));
    ASSERT_TRUE(md->add(Info{"ctr", "sha256:abc", Kind::Active, md->next_id()}));
  }
  auto j = nlohmann::json::parse(*read_file(path_));
  EXPECT_EQ(j["version"], Metadata::kVersion);
  EXPECT_EQ(j["driver"], "overlay");
  EXPECT_EQ(*Metadata::recorded_driver(path_), "overlay");
  auto md = Metadata::open(path_, "overlay");
  ASSERT_TRUE(md) << md.error().str();
  auto base = md->get("sha256:abc");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->kind, Kind::Committed);
  EXPECT_EQ(base->id, 1u);
  EXPECT_EQ(md->get("ctr")->parent, "sha256:abc");
  EXPECT_TRUE(md->has_children("sha256:abc"));
  EXPECT_EQ(md->next_id(), 3u);
  EXPECT_EQ(md->get("base").error().code, Errc::NotFound);
}

TEST_F(MetadataTest, NewerVersionIsRefused) {
  ASSERT_TRUE(write_file_atomic(
      path_, R"({"version": 99, "driver": "native", "next_id": 1, "snapshots": []})", 0600, false));
  auto md = Metadata::open(path_, "native");
  ASSERT_FALSE(md);
  EXPECT_EQ(md.error().code, Errc::Unsupported);
}

TEST_F(MetadataTest, CorruptFileIsAnErrorNotAnEmptyStore) {
  ASSERT_TRUE(write_file_atomic(path_, "{\"version\": 1, \"snap", 0600, false));
  auto md = Metadata::open(path_, "native");
  ASSERT_FALSE(md);
  EXPECT_EQ(md.error().code, Errc::Internal);
}

TEST_F(MetadataTest, RootOfOneDriverCannotBeOpenedAsTheOther) {
  {
    auto s = NativeSnapshotter::open(dir_ + "/root");
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->prepare("a", ""));
  }
  auto o = OverlaySnapshotter::open(dir_ + "/root", /*check_support=*/false);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, Errc::Conflict);
  EXPECT_TRUE(NativeSnapshotter::open(dir_ + "/root"));
}

TEST_F(MetadataTest, RelativeRootIsRefused) {
  auto s = NativeSnapshotter::open("relative/root");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::InvalidArgument);
}

}  // namespace
