// Images with 128+ layers: the mount data must fit in one page.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/strings.h"
#include "fixture.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

class OverlayLimit : public TempRoot {};

TEST_F(OverlayLimit, ChainOf130LayersMounts) {
  // A deep root makes absolute lowerdir paths too long for one page, on purpose.
  std::string root = dir_ + "/a-rather-long-state-directory-name-for-the-snapshotter";
  auto s = OverlaySnapshotter::open(root);
  ASSERT_TRUE(s) << s.error().str();
  auto& sn = **s;
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    std::string name = "layer-" + std::to_string(i);
    auto ms = sn.prepare(name + "-tmp", parent);
    ASSERT_TRUE(ms) << ms.error().str();
    ASSERT_TRUE(write_text(writable_dir(*ms) + "/f" + std::to_string(i), std::to_string(i)));
    ASSERT_TRUE(write_text(writable_dir(*ms) + "/top", std::to_string(i)));
    ASSERT_TRUE(sn.commit(name, name + "-tmp"));
    parent = name;
  }
  auto ms = sn.prepare("ctr", parent);
  ASSERT_TRUE(ms) << ms.error().str();
  const Mount& m = (*ms)[0];
  ASSERT_EQ(m.type, "overlay");
  std::string data;
  for (const auto& o : m.options) data += (data.empty() ? "" : ",") + o;
  EXPECT_LT(data.size(), 4096u);
  EXPECT_GT(kLayers * (sn.snapshots_dir().size() + 8), 4096u) << "absolute paths would fit anyway";

  std::string t = dir_ + "/mnt";
  ASSERT_EQ(::mkdir(t.c_str(), 0755), 0);
  // The same mount with absolute paths: the kernel cuts the data at a page.
  Mount absolute = m;
  for (auto& o : absolute.options) {
    if (!o.starts_with("lowerdir=") && !o.starts_with("upperdir=") && !o.starts_with("workdir="))
      continue;
    auto eq = o.find('=');
    std::string paths = o.substr(eq + 1), out;
    for (const auto& p : split(paths, ':')) out += (out.empty() ? "" : ":") + m.chdir + "/" + p;
    o = o.substr(0, eq + 1) + out;
  }
  absolute.chdir.clear();
  std::string abs_err = in_mount_ns([&]() -> std::string {
    if (auto e = apply_mount(absolute, t); !e.empty()) {
      std::fprintf(stderr, "absolute paths, as expected: %s\n", e.c_str());
      return "";
    }
    return read_text(t + "/f0") == "0" ? "absolute paths mounted all 130 layers" : "";
  });
  EXPECT_EQ(abs_err, "");
  auto view = sn.view("ro", parent);
  ASSERT_TRUE(view) << view.error().str();
  for (const auto* mounts : {&*ms, &*view}) {
    std::string err = in_mount_ns([&]() -> std::string {
      if (auto e = apply_mount(mounts->at(0), t); !e.empty()) return e;
      std::string out;
      for (int i = 0; i < kLayers; ++i)
        if (read_text(t + "/f" + std::to_string(i)) != std::to_string(i))
          out += "f" + std::to_string(i) + " wrong\n";
      if (read_text(t + "/top") != std::to_string(kLayers - 1)) out += "top is not from the last layer\n";
      return out;
    });
    EXPECT_EQ(err, "");
  }
}

}  // namespace
