// Mounts what mounts() returns, for both snapshotters, in a private namespace.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "fixture.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

struct OverlayKind {
  static Result<std::unique_ptr<LocalSnapshotter>> open(const std::string& root) {
    return TRY(OverlaySnapshotter::open(root));
  }
};
struct NativeKind {
  static Result<std::unique_ptr<LocalSnapshotter>> open(const std::string& root) {
    return TRY(NativeSnapshotter::open(root));
  }
};

template <class K>
class MountTest : public TempRoot {
 protected:
  void SetUp() override {
    TempRoot::SetUp();
    if (IsSkipped()) return;
    auto s = K::open(dir_ + "/state");
    ASSERT_TRUE(s) << s.error().str();
    sn_ = std::move(*s);
    target_ = dir_ + "/mnt";
    ASSERT_EQ(::mkdir(target_.c_str(), 0755), 0);
  }
  void layer(const std::string& name, const std::string& parent,
             const std::vector<std::pair<std::string, std::string>>& files) {
    auto ms = sn_->prepare(name + "-tmp", parent);
    ASSERT_TRUE(ms) << ms.error().str();
    for (const auto& [f, text] : files) ASSERT_TRUE(write_text(writable_dir(*ms) + "/" + f, text));
    auto c = sn_->commit(name, name + "-tmp");
    ASSERT_TRUE(c) << c.error().str();
  }
  std::unique_ptr<LocalSnapshotter> sn_;
  std::string target_;
};

class Names {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, OverlayKind> ? "overlay" : "native";
  }
};
using Kinds = ::testing::Types<OverlayKind, NativeKind>;
TYPED_TEST_SUITE(MountTest, Kinds, Names);

std::string expect_file(const std::string& path, const std::string& want) {
  std::string got = read_text(path);
  return got == want ? "" : path + ": got \"" + got + "\", want \"" + want + "\"\n";
}

TYPED_TEST(MountTest, ThreeLayerChainAndWritesLandInUpper) {
  this->layer("l1", "", {{"a", "1"}, {"b", "1"}});
  this->layer("l2", "l1", {{"a", "2"}, {"c", "2"}});  // overwrites a: no whiteout needed
  this->layer("l3", "l2", {{"d", "3"}});
  auto ms = this->sn_->prepare("ctr", "l3");
  ASSERT_TRUE(ms) << ms.error().str();
  if (std::is_same_v<TypeParam, OverlayKind>) {
    ASSERT_EQ((*ms)[0].type, "overlay");
  }
  std::string t = this->target_;
  std::string err = in_mount_ns([&]() -> std::string {
    for (const auto& m : *ms)
      if (auto e = apply_mount(m, t); !e.empty()) return e;
    std::string out = expect_file(t + "/a", "2") + expect_file(t + "/b", "1") +
                      expect_file(t + "/c", "2") + expect_file(t + "/d", "3");
    if (!write_text(t + "/new", "written")) out += "cannot write through the mount\n";
    return out;
  });
  EXPECT_EQ(err, "");
  // Outside the namespace nothing is mounted; the write sits in the upper dir only.
  EXPECT_EQ(read_text(t + "/a"), "<missing>");
  EXPECT_EQ(read_text(writable_dir(*ms) + "/new"), "written");
  auto l3 = this->sn_->stat("l3");
  ASSERT_TRUE(l3);
  EXPECT_EQ(read_text(this->sn_->dir_of(l3->id) + "/fs/new"), "<missing>");
  auto u = this->sn_->usage("ctr");
  ASSERT_TRUE(u);
  EXPECT_GE(u->inodes, 2);
}

TYPED_TEST(MountTest, ViewsMountReadOnly) {
  this->layer("l1", "", {{"a", "1"}});
  this->layer("l2", "l1", {{"b", "2"}});
  for (const auto& [key, parent] : {std::pair{"v1", "l1"}, std::pair{"v2", "l2"}}) {
    auto ms = this->sn_->view(key, parent);
    ASSERT_TRUE(ms) << ms.error().str();
    std::string t = this->target_;
    std::string err = in_mount_ns([&]() -> std::string {
      for (const auto& m : *ms)
        if (auto e = apply_mount(m, t); !e.empty()) return e;
      std::string out = expect_file(t + "/a", "1");
      if (::mkdir((t + "/x").c_str(), 0755) == 0 || errno != EROFS)
        out += "view is writable\n";
      return out;
    });
    EXPECT_EQ(err, "") << key;
  }
  auto empty = this->sn_->view("v0", "");
  ASSERT_TRUE(empty);
  std::string t = this->target_;
  EXPECT_EQ(in_mount_ns([&]() -> std::string { return apply_mount((*empty)[0], t); }), "");
}

}  // namespace
