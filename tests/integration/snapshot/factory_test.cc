// make_snapshotter picks overlay where it mounts, plain copies where not.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "support/bundle.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

class Factory : public TempRoot {};

TEST_F(Factory, PicksOverlayOnAnOverlayCapableFilesystem) {
  auto s = make_snapshotter(dir_ + "/state");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_NE(dynamic_cast<OverlaySnapshotter*>(s->get()), nullptr);
  // The trial mount left nothing behind.
  EXPECT_TRUE(mounts_containing(dir_).empty());
}

TEST_F(Factory, AnExistingRootKeepsItsDriver) {
  {
    auto n = NativeSnapshotter::open(dir_ + "/state");
    ASSERT_TRUE(n);
    ASSERT_TRUE((*n)->prepare("a", ""));
  }
  auto s = make_snapshotter(dir_ + "/state");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_NE(dynamic_cast<NativeSnapshotter*>(s->get()), nullptr);
  EXPECT_TRUE((*s)->stat("a"));
}

TEST_F(Factory, FallsBackToNativeWhenRootIsOnOverlay) {
  std::string d = dir_;
  std::string err = in_mount_ns([&]() -> std::string {
    for (const char* sub : {"/l", "/u", "/w", "/m"}) ::mkdir((d + sub).c_str(), 0755);
    std::string data = "lowerdir=" + d + "/l,upperdir=" + d + "/u,workdir=" + d + "/w";
    if (::mount("overlay", (d + "/m").c_str(), "overlay", 0, data.c_str()) != 0)
      return "cannot mount the test overlay";
    auto s = make_snapshotter(d + "/m/state");
    if (!s) return s.error().str();
    if (!dynamic_cast<NativeSnapshotter*>(s->get())) return "overlay chosen on overlayfs";
    auto ms = (*s)->prepare("a", "");
    if (!ms) return ms.error().str();
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
