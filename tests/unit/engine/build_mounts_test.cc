// The builder's RUN --mount parts that need no container: cache mounts
// (instances, sharing, persistence, prune) and mount stubs (what the
// runtime's mount points leave in a layer, and how they are taken out).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "base/file.h"
#include "engine/build/cache_mounts.h"
#include "engine/build/mount_stubs.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;
using build::CacheSharing;

class TempRoot {
 public:
  TempRoot() {
    std::string tmpl = (fs::temp_directory_path() / "berth-build-mounts-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

TEST(CacheMounts, SharedUsersSeeOneDirectoryThatOutlivesTheRegistry) {
  TempRoot t;
  std::string file;
  {
    CacheMounts caches(t.path + "/cache-mounts");
    ASSERT_TRUE(caches.open());
    auto a = caches.acquire("/root/.cache", CacheSharing::shared, {});
    auto b = caches.acquire("/root/.cache", CacheSharing::shared, {});  // does not wait for a
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)->path(), (*b)->path());
    struct stat st {};
    ASSERT_EQ(::stat((*a)->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    file = (*a)->path() + "/kept";
    ASSERT_TRUE(write_file_atomic(file, "1", 0644, false));
    auto other = caches.acquire("another", CacheSharing::shared, {});
    ASSERT_TRUE(other);
    EXPECT_NE((*other)->path(), (*a)->path());
  }
  CacheMounts again(t.path + "/cache-mounts");  // a restarted daemon
  ASSERT_TRUE(again.open());
  auto c = again.acquire("/root/.cache", CacheSharing::locked, {});
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->path() + "/kept", file);
  EXPECT_TRUE(exists(file));
  auto listed = again.list();
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& e : listed) EXPECT_EQ(e.in_use, e.id == "/root/.cache") << e.id;
}

TEST(CacheMounts, ALockedUserWaitsForTheOneBefore) {
  TempRoot t;
  CacheMounts caches(t.path);
  ASSERT_TRUE(caches.open());
  std::promise<void> waiting;
  std::atomic<bool> told{false};
  caches.on_wait([&](const std::string&) {
    if (!told.exchange(true)) waiting.set_value();
  });
  auto first = caches.acquire("apt", CacheSharing::locked, {});
  ASSERT_TRUE(first);
  std::atomic<bool> got{false};
  std::thread second([&] {
    auto lease = caches.acquire("apt", CacheSharing::locked, {});
    got = lease.has_value();
  });
  waiting.get_future().wait();  // the second is blocked in acquire now
  EXPECT_FALSE(got);
  first->reset();  // released: the second goes on
  second.join();
  EXPECT_TRUE(got);
}

TEST(CacheMounts, APrivateUserGetsADirectoryOfItsOwnWhenTheCacheIsBusy) {
  TempRoot t;
  CacheMounts caches(t.path);
  ASSERT_TRUE(caches.open());
  auto shared = caches.acquire("go", CacheSharing::shared, {});
  ASSERT_TRUE(shared);
  ASSERT_TRUE(write_file_atomic((*shared)->path() + "/f", "x", 0644, false));
  auto p1 = caches.acquire("go", CacheSharing::private_, {});
  auto p2 = caches.acquire("go", CacheSharing::private_, {});
  ASSERT_TRUE(p1 && p2);
  EXPECT_NE((*p1)->path(), (*shared)->path());
  EXPECT_NE((*p1)->path(), (*p2)->path());
  EXPECT_FALSE(exists((*p1)->path() + "/f"));  // a fresh one
  shared->reset();
  auto p3 = caches.acquire("go", CacheSharing::private_, {});  // 0 is free again: it takes it
  ASSERT_TRUE(p3);
  EXPECT_TRUE(exists((*p3)->path() + "/f"));
}

TEST(CacheMounts, ANewCacheIsFilledOnceAndGetsItsModeAndOwner) {
  TempRoot t;
  CacheMounts caches(t.path);
  ASSERT_TRUE(caches.open());
  int fills = 0;
  CacheMounts::Init init;
  init.mode = 0700;
  init.uid = ::geteuid();
  init.gid = ::getegid();
  init.fill = [&](const std::string& dir) -> Result<void> {
    ++fills;
    return write_file_atomic(dir + "/seed", "from the stage", 0644, false);
  };
  {
    auto a = caches.acquire("seeded", CacheSharing::shared, init);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*read_file((*a)->path() + "/seed"), "from the stage");
    struct stat st {};
    ASSERT_EQ(::stat((*a)->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
  }
  auto b = caches.acquire("seeded", CacheSharing::shared, init);
  ASSERT_TRUE(b);
  EXPECT_EQ(fills, 1);
  init.fill = [](const std::string&) -> Result<void> { return fail(Errc::NotFound, "no such source"); };
  auto failed = caches.acquire("unfillable", CacheSharing::shared, init);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "no such source");
  auto retry = caches.acquire("unfillable", CacheSharing::locked, {});  // the failed one let go of it
  EXPECT_TRUE(retry);
}

TEST(CacheMounts, PruneTakesWhatNoRunUses) {
  TempRoot t;
  CacheMounts caches(t.path);
  ASSERT_TRUE(caches.open());
  auto busy = caches.acquire("busy", CacheSharing::shared, {});
  ASSERT_TRUE(busy);
  ASSERT_TRUE(caches.acquire("idle", CacheSharing::shared, {}));
  auto removed = caches.remove_if([](const CacheMounts::Entry&) { return true; });
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].id, "idle");
  EXPECT_TRUE(exists((*busy)->path()));
  ASSERT_EQ(caches.list().size(), 1u);
}

// A rootfs with /run and /etc; the runtime's mkdirs are made by hand.
struct StubTree {
  TempRoot t;
  std::string root() const { return t.path + "/root"; }
  StubTree() {
    fs::create_directories(root() + "/run");
    fs::create_directories(root() + "/etc");
    fs::create_symlink("/run", root() + "/var-run");  // absolute: resolved inside the root
  }
};

TEST(MountStubs, WhatTheTargetsWillCreateIsFoundInsideTheRoot) {
  StubTree tree;
  auto stubs = MountStubs::find(tree.root(), {"/run/secrets/tok", "/cache", "/etc", "/var-run/x/y"});
  ASSERT_TRUE(stubs) << stubs.error().message;
  EXPECT_EQ(stubs->created(),
            (std::vector<std::string>{"run/secrets", "run/secrets/tok", "cache", "run/x", "run/x/y"}));
}

TEST(MountStubs, StubsGoParentsStayWithTheirTimesAndWhatTheRunWroteStays) {
  StubTree tree;
  const std::string r = tree.root();
  struct stat before {};
  ASSERT_EQ(::stat((r + "/run").c_str(), &before), 0);
  auto stubs = MountStubs::find(r, {"/run/secrets/tok", "/cache", "/work/out"});
  ASSERT_TRUE(stubs);
  // The runtime's mount points, and a RUN that wrote next to one of them.
  fs::create_directories(r + "/run/secrets");
  ASSERT_TRUE(write_file_atomic(r + "/run/secrets/tok", "", 0400, false));
  fs::create_directories(r + "/cache");
  fs::create_directories(r + "/work/out");
  ASSERT_TRUE(write_file_atomic(r + "/work/made-by-run", "x", 0644, false));
  stubs->remove(r, false);  // a whole tree (the copy snapshotter)
  EXPECT_FALSE(exists(r + "/run/secrets"));
  EXPECT_FALSE(exists(r + "/cache"));
  EXPECT_FALSE(exists(r + "/work/out"));
  EXPECT_TRUE(exists(r + "/work/made-by-run"));
  EXPECT_TRUE(exists(r + "/run"));  // not an overlay upper: an empty directory of the image stays
  struct stat after {};
  ASSERT_EQ(::stat((r + "/run").c_str(), &after), 0);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

TEST(MountStubs, InAnOverlayUpperACopiedUpParentGoesUnlessTheRunChangedIt) {
  StubTree tree;
  auto stubs = MountStubs::find(tree.root(), {"/run/secrets/tok", "/etc/app/conf"});
  ASSERT_TRUE(stubs);
  std::string upper = tree.t.path + "/upper";
  fs::create_directories(upper + "/run/secrets");  // run: copied up by the mkdir only
  ASSERT_TRUE(write_file_atomic(upper + "/run/secrets/tok", "", 0400, false));
  fs::create_directories(upper + "/etc/app/conf");
  ASSERT_EQ(::chmod((upper + "/etc").c_str(), 0700), 0);  // the RUN chmod-ed /etc: a change
  struct stat img {};
  ASSERT_EQ(::stat((tree.root() + "/run").c_str(), &img), 0);
  ASSERT_EQ(::chmod((upper + "/run").c_str(), img.st_mode & 07777), 0);
  stubs->remove(upper, true);
  EXPECT_FALSE(exists(upper + "/run"));
  EXPECT_FALSE(exists(upper + "/etc/app"));
  EXPECT_TRUE(exists(upper + "/etc"));
}

TEST(MountStubs, ASymlinkInTheUpperIsNeverFollowed) {
  StubTree tree;
  auto stubs = MountStubs::find(tree.root(), {"/run/secrets/tok"});
  ASSERT_TRUE(stubs);
  std::string upper = tree.t.path + "/upper";
  std::string outside = tree.t.path + "/outside";
  fs::create_directories(outside + "/secrets");  // an empty dir the symlink would reach
  fs::create_directories(upper);
  fs::create_symlink(outside, upper + "/run");  // the RUN replaced /run by a symlink
  stubs->remove(upper, true);
  EXPECT_TRUE(exists(outside + "/secrets"));
  EXPECT_TRUE(exists(upper + "/run"));
}

}  // namespace
}  // namespace berth::engine
