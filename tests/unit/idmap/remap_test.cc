#include "idmap/remap.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::idmap {
namespace {

// The system's files as strings; add_user appends a passwd and a group line.
struct FakeSystem {
  std::map<std::string, std::string> files;
  std::vector<std::string> added;
  uint32_t next_id = 998;

  RemapFiles remap_files() {
    RemapFiles f;
    f.read = [this](const std::string& p) -> Result<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return fail(Errc::NotFound, p + ": no such file");
      return it->second;
    };
    f.write = [this](const std::string& p, const std::string& t) -> Result<void> {
      files[p] = t;
      return {};
    };
    f.add_user = [this](const std::string& name) -> Result<void> {
      added.push_back(name);
      auto id = std::to_string(next_id--);
      files["/etc/passwd"] += name + ":x:" + id + ":" + id + "::/nonexistent:/bin/false\n";
      files["/etc/group"] += name + ":x:" + id + ":\n";
      return {};
    };
    return f;
  }
};

FakeSystem base_system() {
  FakeSystem s;
  s.files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/home/bob:/bin/sh\n";
  s.files["/etc/group"] = "root:x:0:\nusers:x:100:\nalice:x:1000:\nstaff:x:50:\n";
  s.files["/etc/subuid"] = "alice:100000:65536\n";
  s.files["/etc/subgid"] = "alice:100000:65536\nstaff:300000:1000\n";
  return s;
}

TEST(Remap, DefaultCreatesTheUserAndFreeRangesOnce) {
  auto s = base_system();
  auto r = resolve_remap("default", s.remap_files());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(s.added, std::vector<std::string>{"berthremap"});
  EXPECT_EQ(r->user, "berthremap");
  EXPECT_EQ(r->group, "berthremap");
  EXPECT_EQ(r->root_uid(), 165536u);
  EXPECT_EQ(r->root_gid(), 165536u);
  EXPECT_EQ(s.files["/etc/subuid"], "alice:100000:65536\nberthremap:165536:65536\n");
  EXPECT_EQ(s.files["/etc/subgid"], "alice:100000:65536\nstaff:300000:1000\nberthremap:165536:65536\n");
  // A second start finds everything in place.
  auto again = resolve_remap("default", s.remap_files());
  ASSERT_TRUE(again);
  EXPECT_EQ(s.added.size(), 1u);
  EXPECT_EQ(again->uids, r->uids);
  EXPECT_EQ(s.files["/etc/subuid"], "alice:100000:65536\nberthremap:165536:65536\n");
}

TEST(Remap, DockremapIsCreatedLikeDefaultWhenMissing) {
  auto s = base_system();
  s.files.erase("/etc/subuid");  // a host without the file yet
  auto r = resolve_remap("dockremap", s.remap_files());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->user, "dockremap");
  EXPECT_EQ(r->root_uid(), 100000u);
  EXPECT_EQ(s.files["/etc/subuid"], "dockremap:100000:65536\n");
}

TEST(Remap, NamedUserUsesItsRangesAndItsGroupsRanges) {
  auto s = base_system();
  auto r = resolve_remap("alice", s.remap_files());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(s.added.empty());
  EXPECT_EQ(r->group, "alice");
  EXPECT_EQ(r->uids, (std::vector<IdMapping>{{0, 100000, 65536}}));
  auto g = resolve_remap("alice:staff", s.remap_files());
  ASSERT_TRUE(g) << g.error().str();
  EXPECT_EQ(g->gids, (std::vector<IdMapping>{{0, 300000, 1000}}));
  auto n = resolve_remap("1000:50", s.remap_files());
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(n->user, "alice");
  EXPECT_EQ(n->group, "staff");
}

TEST(Remap, SeveralRangesFollowEachOther) {
  auto s = base_system();
  s.files["/etc/subuid"] += "1000:500000:10\n";
  auto r = resolve_remap("alice", s.remap_files());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uids, (std::vector<IdMapping>{{0, 100000, 65536}, {65536, 500000, 10}}));
  EXPECT_EQ(Remap::to_host(r->uids, 65537), 500001u);
  EXPECT_EQ(Remap::to_container(r->uids, 100005), 5u);
  EXPECT_FALSE(Remap::to_container(r->uids, 0).has_value());
  EXPECT_FALSE(Remap::to_host(r->uids, 65546).has_value());
  EXPECT_EQ(Remap::map_text(r->uids), "0 100000 65536\n65536 500000 10\n");
}

TEST(Remap, ClearErrors) {
  auto s = base_system();
  auto e = [&](const std::string& setting) {
    auto r = resolve_remap(setting, s.remap_files());
    EXPECT_FALSE(r) << setting;
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(e("bob").find("no subordinate uid ranges found for user bob in /etc/subuid"), std::string::npos);
  EXPECT_NE(e("alice:users").find("no subordinate gid ranges found for group users in /etc/subgid"), std::string::npos);
  EXPECT_NE(e("nobody-here").find("no user named nobody-here"), std::string::npos);
  EXPECT_NE(e("4242").find("uid 4242 has no entry"), std::string::npos);
  EXPECT_NE(e("alice:nogroup").find("no group named nogroup"), std::string::npos);
  EXPECT_NE(e("a:b:c").find("Invalid user/group specification"), std::string::npos);
  EXPECT_NE(e("alice:").find("Invalid user/group specification"), std::string::npos);
  EXPECT_TRUE(s.added.empty());
  EXPECT_EQ(s.files["/etc/subuid"], "alice:100000:65536\n");  // nothing written on failure
}

TEST(Remap, FailedUserCreationIsReported) {
  auto s = base_system();
  auto f = s.remap_files();
  f.add_user = [](const std::string&) -> Result<void> { return fail(Errc::Internal, "useradd berthremap failed: boom"); };
  auto r = resolve_remap("default", f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("creating the user berthremap for userns-remap"), std::string::npos);
  EXPECT_NE(r.error().message.find("boom"), std::string::npos);
}

}  // namespace
}  // namespace berth::idmap
