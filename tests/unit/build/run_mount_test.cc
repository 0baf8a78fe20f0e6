// RUN --mount's value: fields, aliases, defaults per type, expansion, errors.
#include <gtest/gtest.h>

#include "build/run_mount.h"

namespace berth::build {
namespace {

Result<std::string> same(std::string_view w) { return std::string(w); }

Result<RunMount> parse(std::string_view spec, const std::string& workdir = "/") {
  return parse_run_mount(spec, workdir, same);
}

TEST(RunMount, BindIsTheDefaultTypeReadOnlyFromTheContext) {
  auto m = parse("target=/src");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, MountType::bind);
  EXPECT_EQ(m->target, "/src");
  EXPECT_TRUE(m->read_only);
  EXPECT_EQ(m->source, "");
  EXPECT_EQ(m->from, "");
  auto rw = parse("type=bind,src=./a/../b,dst=x,from=builder,rw");
  ASSERT_TRUE(rw) << rw.error().message;
  EXPECT_FALSE(rw->read_only);
  EXPECT_EQ(rw->source, "b");
  EXPECT_EQ(rw->from, "builder");
  EXPECT_EQ(rw->target, "/x");
  auto ro_false = parse("type=bind,target=/x,readonly=false");
  ASSERT_TRUE(ro_false);
  EXPECT_FALSE(ro_false->read_only);
}

TEST(RunMount, CacheIsWritableAndKeyedByItsTargetUnlessGivenAnId) {
  auto m = parse("type=cache,target=cache/go", "/work");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->target, "/work/cache/go");  // a relative target starts at WORKDIR
  EXPECT_EQ(m->id, "/work/cache/go");
  EXPECT_FALSE(m->read_only);
  EXPECT_EQ(m->sharing, CacheSharing::shared);
  auto n = parse("type=cache,id=gomod,target=/go,sharing=locked,mode=0700,uid=1000,gid=1001,ro");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->id, "gomod");
  EXPECT_EQ(n->sharing, CacheSharing::locked);
  EXPECT_EQ(n->mode, 0700u);
  EXPECT_EQ(n->uid, 1000u);
  EXPECT_EQ(n->gid, 1001u);
  EXPECT_TRUE(n->read_only);
  EXPECT_EQ(parse("type=cache,target=/x,sharing=private")->sharing, CacheSharing::private_);
}

TEST(RunMount, SecretDefaultsToRunSecretsAndItsIdFromTheTarget) {
  auto m = parse("type=secret,id=token");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->target, "/run/secrets/token");
  EXPECT_TRUE(m->read_only);
  EXPECT_FALSE(m->required);
  auto t = parse("type=secret,target=/root/.npmrc,required,mode=0440,uid=1");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->id, ".npmrc");
  EXPECT_TRUE(t->required);
  EXPECT_EQ(t->mode, 0440u);
  auto src = parse("type=secret,source=aws");  // source is the id, as BuildKit reads it
  ASSERT_TRUE(src);
  EXPECT_EQ(src->id, "aws");
}

TEST(RunMount, TmpfsTakesASize) {
  auto m = parse("type=tmpfs,target=/tmp,size=64m");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->size, 64 << 20);
  EXPECT_FALSE(m->read_only);
  EXPECT_EQ(parse("type=tmpfs,target=/t,size=1024")->size, 1024);
}

TEST(RunMount, ValuesAreExpandedAndFieldsMayBeQuoted) {
  auto expand = [](std::string_view w) -> Result<std::string> {
    std::string s(w);
    if (auto p = s.find("$DIR"); p != std::string::npos) s.replace(p, 4, "/cache");
    return s;
  };
  auto m = parse_run_mount("type=cache,target=$DIR,\"id=a,b\"", "/", expand);  // CSV: a quoted field
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->target, "/cache");
  EXPECT_EQ(m->id, "a,b");
}

TEST(RunMount, BadSpecsAreRefusedWithTheFieldAndWhy) {
  struct Case {
    const char* spec;
    const char* message;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"type=cache", "--mount=type=cache: a target is required (target=PATH)"},
           {"type=weird,target=/x", "unsupported mount type \"weird\""},
           {"type=ssh", "mount type ssh is not supported by berth's builder"},
           {"type=bind,target=/x,color=red", "unexpected key 'color' in 'color=red'"},
           {"type=bind,target=/x,sharing=locked", "--mount=type=bind: sharing is for cache mounts only"},
           {"type=cache,target=/x,sharing=sometimes", "unsupported sharing value \"sometimes\" (shared, private or locked)"},
           {"type=secret", "--mount=type=secret: an id or a target is required"},
           {"type=secret,id=a,from=builder", "--mount=type=secret: a secret mount takes no from"},
           {"type=secret,id=a,rw", "--mount=type=secret: a secret is read-only"},
           {"type=tmpfs,target=/x,uid=1", "--mount=type=tmpfs: mode, uid and gid are for cache and secret mounts only"},
           {"type=cache,target=/x,mode=abc", "invalid value for mode: abc (an octal mode, e.g. 0644)"},
           {"type=cache,target=/x,uid=-1", "invalid value for uid: -1"},
           {"type=bind,target=/x,ro=maybe", "invalid value for ro: maybe"},
           {"type=bind,target=/", "--mount=type=bind: cannot mount over the root (target=/)"},
           {"type=cache,target=/x,id", "invalid field 'id' must be a key=value pair"},
           {"type=bind,\"target=/x", "an unterminated quote in \"type=bind,\"target=/x\""},
       }) {
    auto m = parse(c.spec);
    ASSERT_FALSE(m) << c.spec;
    EXPECT_EQ(m.error().message, c.message) << c.spec;
  }
}

TEST(RunMount, TheKeyTextHoldsEveryFieldAndNothingElse) {
  auto a = *parse("type=cache,target=/x");
  auto b = *parse("type=cache,target=/x,sharing=locked");
  auto c = *parse("type=cache,target=/x,id=/x");
  EXPECT_NE(mount_key_text(a), mount_key_text(b));
  EXPECT_EQ(mount_key_text(a), mount_key_text(c));  // the default id is the target
  EXPECT_EQ(mount_key_text(*parse("type=secret,id=t")),
            "mount type=secret target=\"/run/secrets/t\" source=\"\" from=\"\" id=\"t\" sharing=shared ro=1 "
            "required=0 mode=- uid=- gid=- size=0\n");
}

}  // namespace
}  // namespace berth::build
