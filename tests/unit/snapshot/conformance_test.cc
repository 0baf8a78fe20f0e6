// One conformance suite run against every snapshotter. Nothing is mounted
// here: mounts() is checked as a description, content through the dirs it names.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "snapshot/fs_tree.h"
#include "snapshot/native.h"
#include "snapshot/overlay.h"

using namespace berth;
using namespace berth::snapshot;

namespace {

std::string make_temp_root() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-snap-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return "";
  return tmpl;
}

struct OverlayFactory {
  static Result<std::unique_ptr<LocalSnapshotter>> open(const std::string& root) {
    return TRY(OverlaySnapshotter::open(root, /*check_support=*/false));
  }
};
struct NativeFactory {
  static Result<std::unique_ptr<LocalSnapshotter>> open(const std::string& root) {
    return TRY(NativeSnapshotter::open(root));
  }
};

std::string option_value(const Mount& m, const std::string& name) {
  for (const auto& o : m.options)
    if (o.starts_with(name + "=")) return o.substr(name.size() + 1);
  return "";
}
bool has_option(const Mount& m, const std::string& o) {
  return std::find(m.options.begin(), m.options.end(), o) != m.options.end();
}

// The directory that receives writes to an active snapshot's mount.
std::string writable_dir(const std::vector<Mount>& ms) {
  const Mount& m = ms.at(0);
  if (m.type == "bind") return m.source;
  return m.chdir + "/" + option_value(m, "upperdir");
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class F>
class SnapshotterConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_root();
    ASSERT_FALSE(root_.empty());
    reopen();
  }
  void TearDown() override {
    sn_.reset();
    (void)remove_tree(root_);
  }
  void reopen() {
    sn_.reset();
    auto s = F::open(root_ + "/state");
    ASSERT_TRUE(s) << s.error().str();
    sn_ = std::move(*s);
  }
  // prepare key on parent, write file=text into it, commit as name.
  void layer(const std::string& name, const std::string& parent, const std::string& file,
             const std::string& text) {
    auto ms = sn_->prepare(name + "-active", parent);
    ASSERT_TRUE(ms) << ms.error().str();
    write_text(writable_dir(*ms) + "/" + file, text);
    auto c = sn_->commit(name, name + "-active");
    ASSERT_TRUE(c) << c.error().str();
  }

  std::string root_;
  std::unique_ptr<LocalSnapshotter> sn_;
};

using Factories = ::testing::Types<OverlayFactory, NativeFactory>;
class FactoryNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, OverlayFactory> ? "overlay" : "native";
  }
};
TYPED_TEST_SUITE(SnapshotterConformance, Factories, FactoryNames);

TYPED_TEST(SnapshotterConformance, PrepareWithoutParentIsWritableBind) {
  auto ms = this->sn_->prepare("a", "");
  ASSERT_TRUE(ms) << ms.error().str();
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].type, "bind");
  EXPECT_TRUE(has_option((*ms)[0], "rw"));
  struct stat st;
  EXPECT_EQ(::stat((*ms)[0].source.c_str(), &st), 0);
  auto info = this->sn_->stat("a");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, Kind::Active);
  EXPECT_EQ(info->parent, "");
}

TYPED_TEST(SnapshotterConformance, ChainOfCommitsCarriesContent) {
  this->layer("l1", "", "a", "1");
  this->layer("l2", "l1", "b", "2");
  this->layer("l3", "l2", "a", "3");
  auto ms = this->sn_->prepare("top", "l3");
  ASSERT_TRUE(ms) << ms.error().str();
  const Mount& m = (*ms)[0];
  if (m.type == "overlay") {
    EXPECT_EQ(option_value(m, "lowerdir").size() > 0, true);
    EXPECT_FALSE(m.chdir.empty());
    // Lowers are relative to chdir, topmost first.
    auto lowers = option_value(m, "lowerdir");
    auto first = lowers.substr(0, lowers.find(':'));
    EXPECT_EQ(read_text(m.chdir + "/" + first + "/a"), "3");
    EXPECT_EQ(std::count(lowers.begin(), lowers.end(), ':'), 2);
    EXPECT_FALSE(option_value(m, "upperdir").empty());
    EXPECT_FALSE(option_value(m, "workdir").empty());
  } else {
    EXPECT_EQ(read_text(m.source + "/a"), "3");
    EXPECT_EQ(read_text(m.source + "/b"), "2");
  }
  auto info = this->sn_->stat("l3");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, Kind::Committed);
  EXPECT_EQ(info->parent, "l2");
  EXPECT_EQ(this->sn_->stat("l3-active").error().code, Errc::NotFound);
}

TYPED_TEST(SnapshotterConformance, MountsMatchPrepare) {
  this->layer("base", "", "f", "x");
  auto ms = this->sn_->prepare("c", "base");
  ASSERT_TRUE(ms);
  auto again = this->sn_->mounts("c");
  ASSERT_TRUE(again) << again.error().str();
  ASSERT_EQ(again->size(), ms->size());
  EXPECT_EQ((*again)[0].type, (*ms)[0].type);
  EXPECT_EQ((*again)[0].source, (*ms)[0].source);
  EXPECT_EQ((*again)[0].options, (*ms)[0].options);
  EXPECT_EQ((*again)[0].chdir, (*ms)[0].chdir);
  EXPECT_EQ(this->sn_->mounts("base").error().code, Errc::InvalidArgument);
  EXPECT_EQ(this->sn_->mounts("nope").error().code, Errc::NotFound);
}

TYPED_TEST(SnapshotterConformance, ViewsAreReadOnly) {
  auto empty = this->sn_->view("v0", "");
  ASSERT_TRUE(empty) << empty.error().str();
  EXPECT_EQ((*empty)[0].type, "bind");
  EXPECT_TRUE(has_option((*empty)[0], "ro"));

  this->layer("l1", "", "a", "1");
  auto one = this->sn_->view("v1", "l1");
  ASSERT_TRUE(one) << one.error().str();
  EXPECT_EQ((*one)[0].type, "bind");
  EXPECT_TRUE(has_option((*one)[0], "ro"));
  EXPECT_EQ(read_text((*one)[0].source + "/a"), "1");

  this->layer("l2", "l1", "b", "2");
  auto two = this->sn_->view("v2", "l2");
  ASSERT_TRUE(two) << two.error().str();
  const Mount& m = (*two)[0];
  if (m.type == "overlay") {
    EXPECT_TRUE(option_value(m, "upperdir").empty());
    EXPECT_EQ(option_value(m, "lowerdir").find(':') != std::string::npos, true);
  } else {
    EXPECT_TRUE(has_option(m, "ro"));
    EXPECT_EQ(read_text(m.source + "/b"), "2");
  }
  auto info = this->sn_->stat("v2");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, Kind::View);
  EXPECT_EQ(this->sn_->commit("x", "v2").error().code, Errc::InvalidArgument);
}

TYPED_TEST(SnapshotterConformance, UsageCountsOwnLayerOnly) {
  this->layer("big", "", "data", std::string(64 * 1024, 'x'));
  auto ms = this->sn_->prepare("c", "big");
  ASSERT_TRUE(ms);
  write_text(writable_dir(*ms) + "/small", "hi");
  auto big = this->sn_->usage("big");
  ASSERT_TRUE(big) << big.error().str();
  EXPECT_EQ(big->bytes, 64 * 1024);  // the file's size; directories count nothing (Docker's sizes)
  EXPECT_EQ(big->inodes, 2);  // fs/ and data
  auto c = this->sn_->usage("c");
  ASSERT_TRUE(c);
  if ((*ms)[0].type == "overlay") {
    EXPECT_EQ(c->inodes, 2);  // fs/ and small
    EXPECT_EQ(c->bytes, 2);
  } else {
    EXPECT_EQ(c->inodes, 3);  // a native snapshot holds its own full copy
  }
  EXPECT_EQ(this->sn_->usage("nope").error().code, Errc::NotFound);
}

TYPED_TEST(SnapshotterConformance, RemoveWithChildrenIsRefused) {
  this->layer("p", "", "a", "1");
  ASSERT_TRUE(this->sn_->prepare("child", "p"));
  auto r = this->sn_->remove("p");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_NE(r.error().message.find("child"), std::string::npos) << r.error().message;
  ASSERT_TRUE(this->sn_->remove("child"));
  auto info = this->sn_->stat("p");
  ASSERT_TRUE(info);
  std::string dir = this->sn_->dir_of(info->id);
  ASSERT_TRUE(this->sn_->remove("p"));
  EXPECT_EQ(::access(dir.c_str(), F_OK), -1);
  EXPECT_EQ(this->sn_->stat("p").error().code, Errc::NotFound);
}

TYPED_TEST(SnapshotterConformance, ErrorsForUnknownAndDuplicateKeys) {
  EXPECT_EQ(this->sn_->stat("x").error().code, Errc::NotFound);
  EXPECT_EQ(this->sn_->remove("x").error().code, Errc::NotFound);
  EXPECT_EQ(this->sn_->commit("y", "x").error().code, Errc::NotFound);
  EXPECT_EQ(this->sn_->prepare("k", "missing").error().code, Errc::NotFound);
  ASSERT_TRUE(this->sn_->prepare("k", ""));
  EXPECT_EQ(this->sn_->prepare("k", "").error().code, Errc::AlreadyExists);
  EXPECT_EQ(this->sn_->view("k", "").error().code, Errc::AlreadyExists);
  // An active snapshot cannot be a parent until committed.
  EXPECT_EQ(this->sn_->prepare("k2", "k").error().code, Errc::InvalidArgument);
  this->layer("done", "", "a", "1");
  EXPECT_EQ(this->sn_->commit("done", "k").error().code, Errc::AlreadyExists);
  EXPECT_EQ(this->sn_->prepare("", "").error().code, Errc::InvalidArgument);
}

TYPED_TEST(SnapshotterConformance, WalkListsEverySnapshot) {
  this->layer("l1", "", "a", "1");
  ASSERT_TRUE(this->sn_->prepare("act", "l1"));
  ASSERT_TRUE(this->sn_->view("vw", "l1"));
  auto all = this->sn_->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  std::map<std::string, Info> by_key;
  for (const auto& i : *all) by_key[i.key] = i;
  EXPECT_EQ(by_key.at("l1").kind, Kind::Committed);
  EXPECT_EQ(by_key.at("act").kind, Kind::Active);
  EXPECT_EQ(by_key.at("act").parent, "l1");
  EXPECT_EQ(by_key.at("vw").kind, Kind::View);
  // walk stops at the first error.
  int seen = 0;
  auto r = this->sn_->walk([&](const Info&) -> Result<void> {
    ++seen;
    return fail(Errc::Internal, "stop");
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(seen, 1);
}

TYPED_TEST(SnapshotterConformance, StatePersistsAcrossReopen) {
  this->layer("l1", "", "a", "1");
  ASSERT_TRUE(this->sn_->prepare("act", "l1"));
  auto before = this->sn_->stat("act");
  ASSERT_TRUE(before);
  this->reopen();
  auto after = this->sn_->stat("act");
  ASSERT_TRUE(after) << after.error().str();
  EXPECT_EQ(after->id, before->id);
  EXPECT_EQ(after->parent, "l1");
  ASSERT_TRUE(this->sn_->prepare("act2", "l1"));
  EXPECT_NE(this->sn_->stat("act2")->id, before->id);
}

TYPED_TEST(SnapshotterConformance, UnreferencedDirectoriesAreCollectedOnOpen) {
  // What a kill -9 between building a directory and recording it leaves.
  std::string orphan = this->root_ + "/state/snapshots/999";
  ASSERT_EQ(::mkdir(orphan.c_str(), 0700), 0);
  write_text(orphan + "/junk", "x");
  this->reopen();
  EXPECT_EQ(::access(orphan.c_str(), F_OK), -1);
  EXPECT_TRUE(this->sn_->list()->empty());
}

}  // namespace
