// resolve_owner: USER's rules (runc's GetExecUser) and --chown's (Docker's
// parseChownFlag), with their messages, read through the root only.
#include <gtest/gtest.h>

#include "buildfs/users.h"
#include "fs_fixture.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;

namespace {

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put(root / "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\n"
        "  daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin  \n"
        "\n"
        "app:x:1000:1001::/home/app:/bin/sh\n"
        "svc:x:2000:3000::/:/bin/false\n");
    put(root / "etc/group",
        "root:x:0:\n"
        "daemon:x:1:\n"
        "app:x:1000:\n"
        "staff:x:1001:app\n"
        "web:x:33:app,svc\n");
    fd = root.fd();
  }

  Result<Owner> user(const std::string& spec) { return resolve_owner(fd.get(), spec, ResolveFor::user); }
  Result<Owner> chown(const std::string& spec) { return resolve_owner(fd.get(), spec, ResolveFor::chown); }

  TempDir root{"users"};
  UniqueFd fd;
};

void expect_owner(const Result<Owner>& r, uid_t uid, gid_t gid, const std::string& spec) {
  ASSERT_TRUE(r) << spec << ": " << r.error().str();
  EXPECT_EQ(r->uid, uid) << spec;
  EXPECT_EQ(r->gid, gid) << spec;
}

TEST_F(UsersTest, UserTakesThePasswdEntrysPrimaryGroup) {
  expect_owner(user("app"), 1000, 1001, "app");
  expect_owner(user("1000"), 1000, 1001, "1000");  // a number found in passwd brings its group too
  expect_owner(user("daemon"), 1, 1, "daemon");      // spaces around a line are trimmed
  expect_owner(user("root"), 0, 0, "root");
}

TEST_F(UsersTest, UserANumberMissingFromPasswdHasGroupZero) {
  expect_owner(user("4242"), 4242, 0, "4242");
  expect_owner(user("4242:4343"), 4242, 4343, "4242:4343");
}

TEST_F(UsersTest, UserWithAGroup) {
  expect_owner(user("app:web"), 1000, 33, "app:web");
  expect_owner(user("app:33"), 1000, 33, "app:33");
  expect_owner(user("svc:0"), 2000, 0, "svc:0");
  expect_owner(user("4242:staff"), 4242, 1001, "4242:staff");
}

TEST_F(UsersTest, UserErrorsAreRuncs) {
  auto r = user("nobody");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find user nobody: no matching entries in passwd file");
  r = user("app:nogroup");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find group nogroup: no matching entries in group file");
  r = user("3000000000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "uids and gids must be in range 0-2147483647");
}

TEST_F(UsersTest, ChownWithoutAGroupUsesTheSameSpecForIt) {
  expect_owner(chown("1000"), 1000, 1000, "1000");  // not passwd's 1001: the string names the group
  expect_owner(chown("app"), 1000, 1000, "app");    // group "app" is 1000
  expect_owner(chown("4242"), 4242, 4242, "4242");
  expect_owner(chown("app:staff"), 1000, 1001, "app:staff");
  expect_owner(chown("10:11"), 10, 11, "10:11");
  expect_owner(chown("svc:33"), 2000, 33, "svc:33");
}

TEST_F(UsersTest, ChownErrorsAreDockers) {
  auto r = chown("svc");  // there is no group "svc"
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "unable to convert uid/gid chown string to host mapping: can't find gid for group svc: no such group: svc");
  r = chown("bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "unable to convert uid/gid chown string to host mapping: can't find uid for user bob: no such user: bob");
  r = chown("root:bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "unable to convert uid/gid chown string to host mapping: can't find gid for group bob: no such group: bob");
  r = chown("bob:1:555");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to convert uid/gid chown string to host mapping: invalid chown string format: bob:1:555");
}

TEST(UsersNoFilesTest, WithoutPasswdNumbersStillWork) {
  TempDir root("users-empty");
  auto fd = root.fd();
  expect_owner(resolve_owner(fd.get(), "1234", ResolveFor::user), 1234, 0, "1234");
  expect_owner(resolve_owner(fd.get(), "1234:5", ResolveFor::user), 1234, 5, "1234:5");
  expect_owner(resolve_owner(fd.get(), "1234", ResolveFor::chown), 1234, 1234, "1234");
  auto r = resolve_owner(fd.get(), "app", ResolveFor::user);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find user app: no matching entries in passwd file");
  r = resolve_owner(fd.get(), "app", ResolveFor::chown);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "unable to convert uid/gid chown string to host mapping: can't find uid for user app: open /etc/passwd: "
            "no such file or directory");
}

// A root whose /etc/passwd is a symlink to a host file: followed inside the
// root, it names nothing, and the host's users stay unknown.
TEST(UsersEscapeTest, ASymlinkedPasswdIsReadInsideTheRoot) {
  TempDir outer("users-outer");
  put(outer / "host-passwd", "hostuser:x:777:777::/:/bin/sh\n");
  put(outer / "host-group", "hostgroup:x:778:\n");
  std::string root = outer / "root";
  mkdirs(root + "/etc");
  ::symlink((outer / "host-passwd").c_str(), (root + "/etc/passwd").c_str());
  ::symlink("../../host-group", (root + "/etc/group").c_str());
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto r = resolve_owner(fd.get(), "hostuser", ResolveFor::user);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find user hostuser: no matching entries in passwd file");
  r = resolve_owner(fd.get(), "0:hostgroup", ResolveFor::user);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unable to find group hostgroup: no matching entries in group file");
  // The same files inside the root are found through the same links.
  put(root + outer.path() + "/host-passwd", "inside:x:55:56::/:/bin/sh\n");
  put(root + "/host-group", "insidegroup:x:57:\n");
  expect_owner(resolve_owner(fd.get(), "inside", ResolveFor::user), 55, 56, "inside");
  expect_owner(resolve_owner(fd.get(), "inside:insidegroup", ResolveFor::chown), 55, 57, "inside:insidegroup");
}

}  // namespace
