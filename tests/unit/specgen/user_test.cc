#include <gtest/gtest.h>
#include <unistd.h>

#include "specgen/specgen.h"
#include "temp_root.h"

namespace berth::specgen {
namespace {

using testing::TempRoot;

struct UserCase {
  std::string spec;
  std::vector<std::string> group_add;
  uint32_t uid, gid;
  std::vector<uint32_t> groups;
  std::string home;
};

TEST(ResolveUser, Table) {
  TempRoot root;
  root.write_default_users();
  const UserCase cases[] = {
      {"", {}, 0, 0, {10, 44}, "/root"},             // default: root with its groups
      {"root", {}, 0, 0, {10, 44}, "/root"},
      {"app", {}, 1000, 1000, {29, 44}, "/home/app"},
      {"1000", {}, 1000, 1000, {29, 44}, "/home/app"},  // a uid in passwd is that user
      {"app:staff", {}, 1000, 50, {}, "/home/app"},  // explicit group: no supplementary ones
      {"app:7", {}, 1000, 7, {}, "/home/app"},        // numeric group need not exist
      {"4242", {}, 4242, 0, {}, "/"},                 // unknown uid runs as itself, gid 0
      {"4242:4343", {}, 4242, 4343, {}, "/"},
      {"daemon", {"staff", "99"}, 1, 1, {50, 99}, "/usr/sbin"},  // GroupAdd by name and number
      {"0:0", {}, 0, 0, {}, "/root"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("user '" + c.spec + "'");
    auto r = resolve_user(root.rootfs(), c.spec, c.group_add);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->uid, c.uid);
    EXPECT_EQ(r->gid, c.gid);
    EXPECT_EQ(r->additional_gids, c.groups);
    EXPECT_EQ(r->home, c.home);
  }
}

TEST(ResolveUser, UnknownNamesUseDockersMessages) {
  TempRoot root;
  root.write_default_users();
  auto r = resolve_user(root.rootfs(), "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_EQ(r.error().message, "unable to find user x: no matching entries in passwd file");

  r = resolve_user(root.rootfs(), "app:nogroup");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find group nogroup: no matching entries in group file");

  r = resolve_user(root.rootfs(), "app", {"ghosts"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find group ghosts: no matching entries in group file");
}

TEST(ResolveUser, NoPasswdFile) {
  TempRoot root;  // etc/ exists but is empty
  auto r = resolve_user(root.rootfs(), "123:456");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->uid, 123u);
  EXPECT_EQ(r->gid, 456u);
  r = resolve_user(root.rootfs(), "");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->uid, 0u);
  EXPECT_FALSE(resolve_user(root.rootfs(), "root"));  // names need a passwd file
}

// An image's /etc/passwd that points "outside" must resolve inside the root.
TEST(ResolveUser, HostileSymlinkStaysInsideTheRoot) {
  TempRoot root;
  // What the symlink reaches when resolved inside the root: <root>/etc/passwd.real via
  // the climbing path, which clamps at the root.
  root.write("etc/passwd.real", "evil:x:777:777::/evil:/bin/sh\n");
  ASSERT_EQ(::symlink("/../../../../../../etc/passwd.real", (root.rootfs() + "/etc/passwd").c_str()), 0);
  // A host user that exists on this host in /etc/passwd: root. Inside the image it must not.
  auto r = resolve_user(root.rootfs(), "evil");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->uid, 777u);

  // Pointing at the host's own /etc/passwd path: inside the root it does not exist.
  TempRoot root2;
  ASSERT_EQ(::symlink("/../../../../../../etc/passwd", (root2.rootfs() + "/etc/passwd").c_str()), 0);
  auto host_user = resolve_user(root2.rootfs(), "root");
  EXPECT_FALSE(host_user) << "read the host's /etc/passwd through a symlink";

  // A relative climb out of the root, likewise: it clamps at the image's root.
  TempRoot root3;
  root3.write("etc/passwd.img", "root:x:0:0:root:/image-root:/bin/sh\n");
  ASSERT_EQ(::symlink("../../../../../../../etc/passwd.img", (root3.rootfs() + "/etc/passwd").c_str()), 0);
  auto image_root = resolve_user(root3.rootfs(), "root");
  ASSERT_TRUE(image_root) << image_root.error().str();
  EXPECT_EQ(image_root->home, "/image-root");
}

}  // namespace
}  // namespace berth::specgen
