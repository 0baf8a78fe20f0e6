#include "cli/cp_path.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(CpArg, SplitsAsDockerCli) {
  EXPECT_EQ(split_cp_arg("web:/etc/hosts").container, "web");
  EXPECT_EQ(split_cp_arg("web:/etc/hosts").path, "/etc/hosts");
  EXPECT_EQ(split_cp_arg("/abs:path").container, "");  // absolute: local even with a colon
  EXPECT_EQ(split_cp_arg("./file:name").container, "");
  EXPECT_EQ(split_cp_arg("plain").path, "plain");
  EXPECT_EQ(split_cp_arg("-").container, "");
  EXPECT_EQ(split_cp_arg("c:relative").path, "relative");
}

TEST(CpPaths, BaseAndParent) {
  EXPECT_EQ(archive_base("/etc/hosts"), "hosts");
  EXPECT_EQ(archive_base("/etc/"), "etc");
  EXPECT_EQ(archive_base("/etc/."), ".");
  EXPECT_EQ(parent_dir("/etc/hosts"), "/etc");
  EXPECT_EQ(parent_dir("/hosts"), "/");
  EXPECT_EQ(parent_dir("hosts"), ".");
  EXPECT_EQ(parent_dir("a/b/"), "a");
}

TEST(CpPlan, DockerArchiveCopyRules) {
  // Into an existing directory: names kept.
  auto p = plan_copy({"/etc/hosts", true, false}, {"/tmp/out", true, true});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dest_dir, "/tmp/out");
  EXPECT_EQ(p->rebase_from, "");
  // File onto an existing file: renamed to it.
  p = plan_copy({"/etc/hosts", true, false}, {"/tmp/h.txt", true, false});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dest_dir, "/tmp");
  EXPECT_EQ(p->rebase_from, "hosts");
  EXPECT_EQ(p->rebase_to, "h.txt");
  // Directory to a new path: becomes that directory.
  p = plan_copy({"/etc", true, true}, {"/tmp/newdir", false, false});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dest_dir, "/tmp");
  EXPECT_EQ(p->rebase_from, "etc");
  EXPECT_EQ(p->rebase_to, "newdir");
  // dir/. to a new path: its contents under the new name.
  p = plan_copy({"/etc/.", true, true}, {"/tmp/x", false, false});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rebase_from, ".");
  EXPECT_EQ(p->rebase_to, "x");
  // Directory onto a file; file into a directory that does not exist.
  EXPECT_FALSE(plan_copy({"/etc", true, true}, {"/tmp/file", true, false}));
  EXPECT_FALSE(plan_copy({"/etc/hosts", true, false}, {"/tmp/nodir/", false, false}));
}

}  // namespace
}  // namespace berth::cli
