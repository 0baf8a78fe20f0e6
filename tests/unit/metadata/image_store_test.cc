#include "metadata/image_store.h"

#include <gtest/gtest.h>

#include "temp_db.h"

using namespace berth;
using namespace berth::metadata;
using namespace berth::metadata::testing;

namespace {

using Kind = DeleteItem::Kind;

class ImageStoreTest : public TempDb {
 protected:
  void SetUp() override {
    TempDb::SetUp();
    auto s = ImageStore::open(path_);
    ASSERT_TRUE(s) << s.error().str();
    store_.emplace(std::move(*s));
  }
  ImageStore& s() { return *store_; }
  std::optional<ImageStore> store_;
};

const std::string kBusybox = "docker.io/library/busybox:latest";
const std::string kBusybox1 = "docker.io/library/busybox:1";
const std::string kApp = "docker.io/user/app:latest";

TEST_F(ImageStoreTest, AddGetResolve) {
  auto r = s().add_image(image(1, 3), {kBusybox, kBusybox1});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(*r);
  EXPECT_FALSE(*s().add_image(image(1, 3), {}));  // already there
  auto got = s().get(id(1));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, image(1, 3));
  EXPECT_EQ(*s().image_for_ref(kBusybox), id(1));
  EXPECT_EQ(s().image_for_ref(kApp).error().code, Errc::NotFound);
  EXPECT_EQ(*s().refs_of(id(1)), (std::vector<std::string>{kBusybox1, kBusybox}));
}

TEST_F(ImageStoreTest, IdPrefix) {
  ASSERT_TRUE(s().add_image(image(12), {}));
  ASSERT_TRUE(s().add_image(image(13), {}));
  std::string hex = id(12).substr(7);
  ASSERT_TRUE(s().add_image(image(20), {}));
  EXPECT_EQ(s().image_for_id_prefix(hex), id(12));
  EXPECT_EQ(s().image_for_id_prefix(id(12)), id(12));
  EXPECT_EQ(s().image_for_id_prefix("sha256:" + hex.substr(0, 63)).error().code, Errc::Conflict);  // 12, 13
  EXPECT_EQ(s().image_for_id_prefix(id(20).substr(0, 70)), id(20));  // "...02": only 20
  auto amb = s().image_for_id_prefix("0000");
  ASSERT_FALSE(amb);
  EXPECT_EQ(amb.error().code, Errc::Conflict);
  EXPECT_NE(amb.error().message.find("ambiguous"), std::string::npos);
  EXPECT_NE(amb.error().message.find(id(12)), std::string::npos) << amb.error().message;
  EXPECT_EQ(s().image_for_id_prefix("ffff").error().code, Errc::NotFound);
  EXPECT_EQ(s().image_for_id_prefix("00*").error().code, Errc::InvalidArgument);
  EXPECT_EQ(s().image_for_id_prefix("").error().code, Errc::InvalidArgument);
}

TEST_F(ImageStoreTest, TagMovesUntagRemoves) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  ASSERT_TRUE(s().add_image(image(2), {}));
  ASSERT_TRUE(s().tag(kBusybox, id(2)));
  EXPECT_EQ(*s().image_for_ref(kBusybox), id(2));
  EXPECT_TRUE(s().refs_of(id(1))->empty());
  EXPECT_EQ(s().tag(kApp, id(9)).error().code, Errc::NotFound);
  ASSERT_TRUE(s().untag(kBusybox));
  EXPECT_EQ(s().untag(kBusybox).error().code, Errc::NotFound);
  EXPECT_TRUE(s().get(id(2)));  // untag keeps the image
}

// A rebuild from the cache tags the image the tag already names: nothing is written (no
// transaction, so no fsync on the build's cached path).
TEST_F(ImageStoreTest, TagThatIsAlreadySoWritesNothing) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  const int64_t before = sqlite3_total_changes64(s().db().raw());
  ASSERT_TRUE(s().tag(kBusybox, id(1)));
  EXPECT_EQ(sqlite3_total_changes64(s().db().raw()), before);
  ASSERT_TRUE(s().add_image(image(2), {}));
  const int64_t moved = sqlite3_total_changes64(s().db().raw());
  ASSERT_TRUE(s().tag(kBusybox, id(2)));
  EXPECT_GT(sqlite3_total_changes64(s().db().raw()), moved);
  EXPECT_EQ(*s().image_for_ref(kBusybox), id(2));
}

TEST_F(ImageStoreTest, ListWithTags) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  ASSERT_TRUE(s().add_image(image(2), {kApp, kBusybox1}));
  auto l = s().list();
  ASSERT_TRUE(l) << l.error().str();
  ASSERT_EQ(l->size(), 2u);
  for (const auto& e : *l) {
    if (e.image.id == id(1)) EXPECT_EQ(e.refs, std::vector<std::string>{kBusybox});
    else EXPECT_EQ(e.refs, (std::vector<std::string>{kBusybox1, kApp}));
    EXPECT_EQ(e.image.layers.size(), 2u);
  }
}

TEST_F(ImageStoreTest, RemoveByRefUntagsThenDeletes) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox, kBusybox1}));
  auto a = s().remove_ref(kBusybox, false);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(*a, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox}}));
  auto b = s().remove_ref(kBusybox1, false);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(*b, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox1}, {Kind::Deleted, id(1)}}));
  EXPECT_EQ(s().get(id(1)).error().code, Errc::NotFound);
  EXPECT_TRUE(s().referenced_content()->empty());  // layers and content rows went too
}

TEST_F(ImageStoreTest, RemoveLastTagTakesDigestRefsOfThatRepo) {
  const std::string dref = "docker.io/library/busybox@" + id(77, 'e');
  ASSERT_TRUE(s().add_image(image(1), {kBusybox, dref}));
  auto r = s().remove_ref(kBusybox, false);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*r, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox}, {Kind::Untagged, dref}, {Kind::Deleted, id(1)}}));
}

TEST_F(ImageStoreTest, RemoveByIdRefusesMultipleReposUnlessForced) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox, kApp}));
  auto r = s().remove_id(id(1), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_NE(r.error().message.find("must be forced"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(id(1).substr(7, 12)), std::string::npos) << r.error().message;
  EXPECT_EQ(s().refs_of(id(1))->size(), 2u);  // nothing changed
  auto f = s().remove_id(id(1), true);
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(*f, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox}, {Kind::Untagged, kApp}, {Kind::Deleted, id(1)}}));
}

TEST_F(ImageStoreTest, RemoveByIdWithOneTagUntagsAndDeletes) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  auto r = s().remove_id(id(1), false);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*r, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox}, {Kind::Deleted, id(1)}}));
  EXPECT_EQ(s().remove_id(id(1), false).error().code, Errc::NotFound);
}

TEST_F(ImageStoreTest, ChildrenBlockAndParentsArePruned) {
  ASSERT_TRUE(s().add_image(image(1), {}));
  ASSERT_TRUE(s().add_image(image(2, 2, id(1)), {kApp}));
  auto parent = s().remove_id(id(1), true);
  ASSERT_FALSE(parent);
  EXPECT_EQ(parent.error().code, Errc::Conflict);
  EXPECT_NE(parent.error().message.find("dependent child images"), std::string::npos);
  auto child = s().remove_ref(kApp, false);
  ASSERT_TRUE(child) << child.error().str();
  EXPECT_EQ(*child, (std::vector<DeleteItem>{{Kind::Untagged, kApp}, {Kind::Deleted, id(2)}, {Kind::Deleted, id(1)}}));
}

TEST_F(ImageStoreTest, UntaggingAParentWithChildrenKeepsIt) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  ASSERT_TRUE(s().add_image(image(2, 2, id(1)), {kApp}));
  auto r = s().remove_ref(kBusybox, false);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*r, (std::vector<DeleteItem>{{Kind::Untagged, kBusybox}}));
  EXPECT_TRUE(s().get(id(1)));
}

TEST_F(ImageStoreTest, ReferencedContent) {
  ASSERT_TRUE(s().add_image(image(1), {}));
  ASSERT_TRUE(s().add_image(image(2), {}));
  EXPECT_EQ(*s().referenced_content(),
            (std::set<std::string>{id(1), id(2), id(3001, 'b'), id(3002, 'b')}));
}

TEST_F(ImageStoreTest, FailureMidChangeLeavesNothing) {
  ASSERT_TRUE(s().add_image(image(1), {kBusybox}));
  // A trigger makes the third layer insert fail, after the image row and two layers.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TRIGGER fail_third AFTER INSERT ON image_layers WHEN NEW.idx = 2 "
                         "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto r = s().add_image(image(2, 3), {kBusybox, kApp});  // would also move busybox
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("injected failure"), std::string::npos) << r.error().message;
  EXPECT_EQ(s().get(id(2)).error().code, Errc::NotFound);
  EXPECT_EQ(*s().image_for_ref(kBusybox), id(1));
  EXPECT_EQ(s().image_for_ref(kApp).error().code, Errc::NotFound);
  auto n = s().db().prepare("SELECT count(*) FROM image_layers WHERE image_id = ?");
  ASSERT_TRUE(n && *n->bind(1, id(2)).step());
  EXPECT_EQ(n->i64(0), 0);
  // The store is usable afterwards: no transaction left open.
  EXPECT_TRUE(s().add_image(image(3), {kApp}));
}

TEST_F(ImageStoreTest, BadTagRollsBackTheImage) {
  auto r = s().add_image(image(5), {kApp, ""});  // CHECK (ref <> '') fails after the image row
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_EQ(s().get(id(5)).error().code, Errc::NotFound);
  EXPECT_EQ(s().image_for_ref(kApp).error().code, Errc::NotFound);
}

TEST(RepositoryOf, StripsTagAndDigest) {
  EXPECT_EQ(repository_of("localhost:5000/x:1"), "localhost:5000/x");
  EXPECT_EQ(repository_of("localhost:5000/x"), "localhost:5000/x");
  EXPECT_EQ(repository_of("docker.io/library/busybox:1@sha256:aa"), "docker.io/library/busybox");
}

}  // namespace
