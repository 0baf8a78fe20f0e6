// snapshot::mount_all / unmount_all on this kernel: overlay chains of 1, 2
// and 130 layers, each mount method, several threads mounting at once,
// whiteouts and opaque directories, stacked and busy unmounts.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <mutex>
#include <thread>

#include "fixture.h"
#include "snapshot/mount.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

bool is_mount_root(const std::string& path) {
  struct statx sx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) != 0) return false;
  return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

std::string cwd() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) ? buf : "?";
}

class MountAll : public TempRoot {
 protected:
  void SetUp() override {
    TempRoot::SetUp();
    if (IsSkipped()) return;
    // A deep root: 130 absolute lowerdir paths cannot fit in one page.
    auto s = OverlaySnapshotter::open(dir_ + "/a-rather-long-state-directory-name-for-the-snapshotter");
    ASSERT_TRUE(s) << s.error().str();
    sn_ = std::move(*s);
  }
  // Commits a chain of n layers, layer i adding f<i> and overwriting top.
  std::string chain(int n) {
    std::string parent;
    for (int i = 0; i < n; ++i) {
      std::string name = "c" + std::to_string(n) + "-" + std::to_string(i);
      auto ms = sn_->prepare(name + "-tmp", parent);
      EXPECT_TRUE(ms) << ms.error().str();
      if (!ms) return "";
      EXPECT_TRUE(write_text(writable_dir(*ms) + "/f" + std::to_string(i), std::to_string(i)));
      EXPECT_TRUE(write_text(writable_dir(*ms) + "/top", std::to_string(i)));
      EXPECT_TRUE(sn_->commit(name, name + "-tmp"));
      parent = name;
    }
    return parent;
  }
  std::string target(const std::string& name) {
    std::string t = dir_ + "/" + name;
    EXPECT_EQ(::mkdir(t.c_str(), 0755), 0);
    return t;
  }
  static std::string check_chain(const std::string& t, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      if (read_text(t + "/f" + std::to_string(i)) != std::to_string(i))
        out += t + ": f" + std::to_string(i) + " wrong\n";
    if (read_text(t + "/top") != std::to_string(n - 1)) out += t + ": top is not from the last layer\n";
    return out;
  }
  std::unique_ptr<OverlaySnapshotter> sn_;
};

TEST_F(MountAll, ChainsOf1_2_130LayersFromSeveralThreadsAtOnce) {
  struct Case {
    int layers;
    std::string key, target;
    std::vector<Mount> mounts;
  };
  std::vector<Case> cases;
  for (int n : {1, 2, 130}) {
    std::string top = chain(n);
    ASSERT_FALSE(top.empty());
    // Two containers on each chain, so that six threads mount at the same time.
    for (int k = 0; k < 2; ++k) {
      Case c{n, "ctr-" + std::to_string(n) + "-" + std::to_string(k), "", {}};
      auto ms = sn_->prepare(c.key, top);
      ASSERT_TRUE(ms) << ms.error().str();
      ASSERT_EQ((*ms)[0].type, "overlay");
      c.mounts = *ms;
      c.target = target(c.key);
      cases.push_back(std::move(c));
    }
  }
  std::string before = cwd();
  std::string err = in_mount_ns([&]() -> std::string {
    std::mutex mu;
    std::string out;
    std::vector<std::thread> threads;
    for (const auto& c : cases) {
      threads.emplace_back([&] {
        std::string e;
        if (auto r = mount_all(c.mounts, c.target); !r) {
          e = c.key + ": " + r.error().str() + "\n";
        } else {
          e = check_chain(c.target, c.layers);
          if (!write_text(c.target + "/written", c.key)) e += c.key + ": cannot write\n";
          if (auto u = unmount_all(c.target); !u) e += c.key + ": " + u.error().str() + "\n";
          if (is_mount_root(c.target)) e += c.key + ": still mounted\n";
        }
        std::lock_guard lock(mu);
        out += e;
      });
    }
    for (auto& t : threads) t.join();
    if (cwd() != before) out += "the process's working directory changed to " + cwd() + "\n";
    return out;
  });
  EXPECT_EQ(err, "");
  for (const auto& c : cases) EXPECT_EQ(read_text(writable_dir(c.mounts) + "/written"), c.key);
}

TEST_F(MountAll, EachOverlayMethodOn130Layers) {
  std::string top = chain(130);
  ASSERT_FALSE(top.empty());
  auto rw = sn_->prepare("ctr", top);
  ASSERT_TRUE(rw) << rw.error().str();
  const Mount& m = rw->at(0);
  std::string t = target("mnt");
  std::string before = cwd();
  std::string err = in_mount_ns([&]() -> std::string {
    std::string out;
    // Absolute paths cannot fit: the method must say so rather than mount a truncated chain.
    auto abs = mount_overlay(m, t, OverlayMethod::ClassicAbsolute);
    if (abs || abs.error().code != Errc::Unsupported) out += "absolute paths did not report Unsupported\n";
    for (auto method : {OverlayMethod::NewApi, OverlayMethod::ClassicRelative}) {
      if (auto r = mount_overlay(m, t, method); !r) {
        out += std::string(overlay_method_name(method)) + ": " + r.error().str() + "\n";
        continue;
      }
      out += check_chain(t, 130);
      if (auto u = unmount_all(t); !u) out += u.error().str() + "\n";
    }
    // The relative form from four threads at once: each chdirs only itself.
    std::vector<std::string> targets, errs(4);
    for (int i = 0; i < 4; ++i) {
      targets.push_back(t + "-" + std::to_string(i));
      ::mkdir(targets.back().c_str(), 0755);
    }
    auto view = sn_->view("ro", top);
    if (!view) return view.error().str();
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        if (auto r = mount_overlay(view->at(0), targets[i], OverlayMethod::ClassicRelative); !r)
          errs[i] = r.error().str() + "\n";
        else
          errs[i] = check_chain(targets[i], 130);
      });
    for (auto& th : threads) th.join();
    for (int i = 0; i < 4; ++i) {
      out += errs[i];
      if (::mkdir((targets[i] + "/x").c_str(), 0755) == 0 || errno != EROFS) out += "view is writable\n";
      (void)unmount_all(targets[i]);
      ::rmdir(targets[i].c_str());
    }
    if (cwd() != before) out += "the process's working directory changed\n";
    return out;
  });
  EXPECT_EQ(err, "");
}

TEST_F(MountAll, WhiteoutsAndOpaqueDirectoriesHideLowerFiles) {
  auto l1 = sn_->prepare("l1-tmp", "");
  ASSERT_TRUE(l1);
  std::string d1 = writable_dir(*l1);
  ASSERT_TRUE(write_text(d1 + "/gone", "1"));
  ASSERT_TRUE(write_text(d1 + "/kept", "1"));
  ASSERT_EQ(::mkdir((d1 + "/dir").c_str(), 0755), 0);
  ASSERT_TRUE(write_text(d1 + "/dir/old", "1"));
  ASSERT_TRUE(sn_->commit("l1", "l1-tmp"));
  auto l2 = sn_->prepare("l2-tmp", "l1");
  ASSERT_TRUE(l2);
  std::string d2 = writable_dir(*l2);
  ASSERT_EQ(::mknod((d2 + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);  // whiteout
  ASSERT_EQ(::mkdir((d2 + "/dir").c_str(), 0755), 0);
  ASSERT_EQ(::setxattr((d2 + "/dir").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_TRUE(write_text(d2 + "/dir/new", "2"));
  ASSERT_TRUE(sn_->commit("l2", "l2-tmp"));
  auto ms = sn_->prepare("ctr", "l2");
  ASSERT_TRUE(ms);
  std::string t = target("mnt");
  std::string err = in_mount_ns([&]() -> std::string {
    std::string out;
    for (auto method : {OverlayMethod::NewApi, OverlayMethod::ClassicRelative}) {
      if (auto r = mount_overlay(ms->at(0), t, method); !r) return r.error().str();
      std::string name = overlay_method_name(method);
      if (read_text(t + "/gone") != "<missing>") out += name + ": whiteout did not hide gone\n";
      if (read_text(t + "/kept") != "1") out += name + ": kept missing\n";
      if (read_text(t + "/dir/old") != "<missing>") out += name + ": opaque dir shows the lower file\n";
      if (read_text(t + "/dir/new") != "2") out += name + ": dir/new missing\n";
      if (auto u = unmount_all(t); !u) out += u.error().str();
    }
    return out;
  });
  EXPECT_EQ(err, "");
}

TEST_F(MountAll, UnmountAllTakesStackedAndBusyMountsAndIgnoresPlainDirs) {
  std::string top = chain(2);
  auto view = sn_->view("v", top);
  ASSERT_TRUE(view);
  auto bind = sn_->view("b", "c2-0");  // one layer: a read-only bind mount
  ASSERT_TRUE(bind);
  ASSERT_EQ(bind->at(0).type, "bind");
  std::string t = target("mnt");
  std::string err = in_mount_ns([&]() -> std::string {
    std::string out;
    if (auto r = unmount_all(t); !r) out += "plain dir: " + r.error().str() + "\n";
    if (auto r = unmount_all(t + "/missing"); !r) out += "missing dir: " + r.error().str() + "\n";
    if (auto r = mount_all(*bind, t); !r) return r.error().str();
    if (read_text(t + "/f0") != "0") out += "bind mount content wrong\n";
    if (::mkdir((t + "/x").c_str(), 0755) == 0 || errno != EROFS) out += "ro bind is writable\n";
    if (auto r = mount_all(*view, t); !r) return r.error().str();  // stacked on top
    out += check_chain(t, 2);
    int fd = ::open((t + "/f1").c_str(), O_RDONLY | O_CLOEXEC);  // keeps the top mount busy
    if (fd < 0) out += "cannot open f1\n";
    if (auto r = unmount_all(t); !r) out += r.error().str() + "\n";
    if (is_mount_root(t)) out += "still mounted\n";
    if (fd >= 0 && read_text("/proc/self/fd/" + std::to_string(fd)) != "1")
      out += "the lazily detached mount should still serve its open file\n";
    if (fd >= 0) ::close(fd);
    return out;
  });
  EXPECT_EQ(err, "");
}

TEST_F(MountAll, FailureNamesTheLayerAndLeavesNothingMounted) {
  std::string top = chain(2);
  auto ms = sn_->prepare("ctr", top);
  ASSERT_TRUE(ms);
  Mount broken = ms->at(0);
  for (auto& o : broken.options)
    if (o.starts_with("lowerdir=")) o += ":no-such-layer/fs";
  std::string t = target("mnt");
  std::string err = in_mount_ns([&]() -> std::string {
    auto r = mount_all({broken}, t);
    if (r) return "mounted a chain with a missing layer";
    if (r.error().message.find("no-such-layer") == std::string::npos)
      return "error does not name the missing layer: " + r.error().str();
    return is_mount_root(t) ? "left a mount behind" : "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
