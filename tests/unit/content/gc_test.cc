#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"
#include "content/store.h"
#include "temp_dir.h"

using namespace berth;
using namespace berth::content;
using namespace std::chrono_literals;
using GcTest = berth::content::testing::StoreDirTest;

namespace {

// A temp file in ingest/ whose mtime is `age` in the past, like a killed writer's.
void make_temp(const std::string& root, const std::string& name, std::string_view data,
               std::chrono::seconds age) {
  std::string path = root + "/ingest/" + name;
  ASSERT_TRUE(write_file_atomic(path, data, 0444, false));
  struct timespec ts[2];
  ::clock_gettime(CLOCK_REALTIME, &ts[0]);
  ts[0].tv_sec -= age.count();
  ts[1] = ts[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
}

TEST_F(GcTest, KeepsReferencedRemovesTheRest) {
  auto s = *Store::open(root_);
  Digest keep = *s.write("keep me");
  Digest drop1 = *s.write("drop one");
  Digest drop2 = *s.write(std::string(1000, 'x'));
  auto r = s.gc({keep}, 1h);
  ASSERT_TRUE(r) << r.error().str();
  std::vector<Digest> removed = r->removed_blobs;
  std::sort(removed.begin(), removed.end());
  std::vector<Digest> want{drop1, drop2};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(removed, want);
  EXPECT_EQ(r->bytes_freed, 8u + 1000u);
  EXPECT_TRUE(s.exists(keep));
  EXPECT_FALSE(s.exists(drop1));
  EXPECT_FALSE(s.exists(drop2));
  auto all = *s.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].digest, keep);

  auto again = s.gc({keep}, 1h);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->removed_blobs.empty());
  EXPECT_EQ(again->bytes_freed, 0u);
}

TEST_F(GcTest, RemovesStaleTempsOnly) {
  auto s = *Store::open(root_);
  make_temp(root_, "tmp-stale", "12345", 2h);
  make_temp(root_, "tmp-fresh", "abc", 0s);
  // A live writer's temp survives even a zero threshold: it holds the lock.
  auto live = *s.writer(sha256("live"));
  ASSERT_TRUE(live.write("live"));
  auto r = s.gc({}, 1h);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->removed_temps, std::vector<std::string>{"tmp-stale"});
  EXPECT_EQ(r->bytes_freed, 5u);
  EXPECT_EQ(entries("ingest").size(), 2u);

  auto r0 = s.gc({}, 0s);
  ASSERT_TRUE(r0);
  EXPECT_EQ(r0->removed_temps, std::vector<std::string>{"tmp-fresh"});
  EXPECT_EQ(entries("ingest").size(), 1u);
  ASSERT_TRUE(live.commit());
  EXPECT_TRUE(s.exists(sha256("live")));
}

TEST_F(GcTest, OpenSweepsStaleTemps) {
  ASSERT_TRUE(Store::open(root_));
  make_temp(root_, "tmp-old", "partial", 3h);
  make_temp(root_, "tmp-new", "partial", 0s);
  ASSERT_TRUE(Store::open(root_));  // default threshold: one hour
  EXPECT_EQ(entries("ingest"), std::vector<std::string>{"tmp-new"});
}

TEST_F(GcTest, EmptyStore) {
  auto s = *Store::open(root_);
  auto r = s.gc({}, 0s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->removed_blobs.empty());
  EXPECT_TRUE(r->removed_temps.empty());
}

}  // namespace
