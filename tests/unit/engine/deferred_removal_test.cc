// DeferredRemoval: trees handed over are gone after drain(), and whatever is
// still queued when it is destroyed is removed before the destructor returns.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "engine/build/deferred_removal.h"

using berth::engine::DeferredRemoval;
namespace fs = std::filesystem;

namespace {

class DeferredRemovalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-deferred-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string tree(const std::string& name, int files) {
    std::string dir = root_ + "/" + name;
    fs::create_directories(dir + "/sub");
    for (int i = 0; i < files; ++i) std::ofstream(dir + "/sub/f" + std::to_string(i)) << i;
    return dir;
  }
  std::string root_;
};

TEST_F(DeferredRemovalTest, DrainReturnsOnceTheTreesAreGone) {
  DeferredRemoval removal;
  std::string a = tree("a", 50), b = tree("b", 50);
  removal.remove(a);
  removal.remove(b);
  removal.drain();
  EXPECT_FALSE(fs::exists(a));
  EXPECT_FALSE(fs::exists(b));
  EXPECT_TRUE(fs::exists(root_));
}

TEST_F(DeferredRemovalTest, DestructionFinishesWhatIsQueued) {
  std::vector<std::string> trees;
  {
    DeferredRemoval removal;
    for (int i = 0; i < 5; ++i) {
      trees.push_back(tree("t" + std::to_string(i), 200));
      removal.remove(trees.back());
    }
  }
  for (const auto& t : trees) EXPECT_FALSE(fs::exists(t)) << t;
}

TEST_F(DeferredRemovalTest, AMissingPathIsNotAnError) {
  DeferredRemoval removal;
  removal.remove(root_ + "/never-made");
  removal.drain();
  SUCCEED();
}

TEST_F(DeferredRemovalTest, NothingQueuedStartsNoThreadAndDrainReturns) {
  DeferredRemoval removal;
  removal.drain();
  SUCCEED();
}

}  // namespace
