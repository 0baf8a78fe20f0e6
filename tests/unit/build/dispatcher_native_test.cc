// The dispatcher's native mode over fake primitives: RUN --mount (parsed,
// resolved, keyed in the cache), the stages it reads, RUN --network.
#include <gtest/gtest.h>

#include "build/dispatcher.h"
#include "fake_primitives.h"

namespace berth::build {
namespace {

BuildOptions native() {
  BuildOptions opt;
  opt.skip_unused_stages = true;
  opt.run_mounts = true;
  return opt;
}

size_t runs_of(const FakePrimitives& p, const std::string& cmd) {
  return static_cast<size_t>(std::count(p.calls.begin(), p.calls.end(), "run " + cmd));
}

TEST(DispatcherNative, TheLegacyModeRefusesRunMountNamingTheFlag) {
  FakePrimitives p;
  auto b = build(p, "FROM busybox\nRUN --mount=type=cache,target=/c true\n");
  ASSERT_FALSE(b.id);
  EXPECT_NE(b.id.error().message.find("Dockerfile line 2: the --mount option requires BuildKit. Refer to "
                                      "https://docs.docker.com/go/buildkit/ to learn how to build images with "
                                      "BuildKit enabled"),
            std::string::npos)
      << b.id.error().message;
  EXPECT_NE(b.id.error().message.find("berth-native=1"), std::string::npos);
  EXPECT_TRUE(p.runs.empty());
}

TEST(DispatcherNative, MountsReachTheRunWithStagesResolvedAndVariablesExpanded) {
  FakePrimitives p;
  auto b = build(p,
                 "FROM busybox AS tools\nRUN make tools\n"
                 "FROM busybox\nARG CACHE=/var/cache/app\nWORKDIR /w\n"
                 "RUN --mount=type=cache,target=$CACHE,sharing=locked --mount=from=tools,source=/bin,target=t "
                 "--mount=type=secret,id=tok,required --mount=type=tmpfs,target=/scratch,size=1m make\n",
                 native());
  ASSERT_TRUE(b.id) << b.id.error().message;
  ASSERT_EQ(p.runs.size(), 2u);
  const auto& m = p.runs[1].mounts;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].type, MountType::cache);
  EXPECT_EQ(m[0].target, "/var/cache/app");
  EXPECT_EQ(m[0].id, "/var/cache/app");
  EXPECT_EQ(m[0].sharing, CacheSharing::locked);
  EXPECT_EQ(m[1].type, MountType::bind);
  EXPECT_EQ(m[1].target, "/w/t");
  EXPECT_EQ(m[1].source, "bin");
  ASSERT_TRUE(p.history.contains(m[1].from_image));  // the stage's image, not its base
  EXPECT_EQ(p.history.at(m[1].from_image).back(), "/bin/sh -c make tools");
  EXPECT_EQ(m[2].type, MountType::secret);
  EXPECT_EQ(m[2].target, "/run/secrets/tok");
  EXPECT_TRUE(m[2].required);
  EXPECT_EQ(m[3].type, MountType::tmpfs);
  EXPECT_EQ(m[3].size, 1 << 20);
  // The history shows the command alone, as BuildKit's does.
  EXPECT_EQ(p.history.at(*b.id).back(), "|1 CACHE=/var/cache/app /bin/sh -c make");
}

TEST(DispatcherNative, TheMountsAreInTheCacheKeyButNotWhatTheyHold) {
  FakePrimitives p;
  const char* cached = "FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=secret,id=s make\n";
  ASSERT_TRUE(build(p, cached, native()).id);
  ASSERT_TRUE(build(p, cached, native()).id);
  EXPECT_EQ(runs_of(p, "make"), 1u);  // the second build: from the cache
  ASSERT_TRUE(build(p, "FROM busybox\nRUN --mount=type=cache,target=/c,sharing=private --mount=type=secret,id=s make\n",
                    native())
                  .id);
  EXPECT_EQ(runs_of(p, "make"), 2u);  // another spec: another step
  ASSERT_TRUE(build(p, "FROM busybox\nRUN make\n", native()).id);
  EXPECT_EQ(runs_of(p, "make"), 3u);  // and without mounts, another again
  ASSERT_TRUE(build(p, "FROM busybox\nRUN make\n").id);
  EXPECT_EQ(runs_of(p, "make"), 3u);  // a RUN without mounts keys as the legacy builder's
}

TEST(DispatcherNative, ABindOfTheContextIsKeyedOnWhatItShows) {
  FakePrimitives p;
  const char* df = "FROM busybox\nRUN --mount=target=/src,source=go.mod make\n";
  ASSERT_TRUE(build(p, df, native()).id);
  ASSERT_TRUE(build(p, df, native()).id);
  EXPECT_EQ(runs_of(p, "make"), 1u);
  p.digests["go.mod,"] = "bbbb";  // the file changed
  ASSERT_TRUE(build(p, df, native()).id);
  EXPECT_EQ(runs_of(p, "make"), 2u);
  p.missing.insert("nope,");
  auto missing = build(p, "FROM busybox\nRUN --mount=target=/src,source=nope make\n", native());
  ASSERT_FALSE(missing.id);
  EXPECT_EQ(missing.id.error().message,
            "Dockerfile line 2: RUN --mount=type=bind,source=nope: file not found in build context: nope,");
}

TEST(DispatcherNative, BadMountsNameTheLineAndTheValue) {
  FakePrimitives p;
  auto bad = build(p, "FROM busybox\nRUN --mount=type=cache true\n", native());
  ASSERT_FALSE(bad.id);
  EXPECT_EQ(bad.id.error().message,
            "Dockerfile line 2: RUN --mount=type=cache: --mount=type=cache: a target is required (target=PATH)");
  auto twice = build(p, "FROM busybox\nRUN --mount=type=tmpfs,target=/t --mount=type=cache,target=/t true\n", native());
  ASSERT_FALSE(twice.id);
  EXPECT_EQ(twice.id.error().message, "Dockerfile line 2: RUN --mount: two mounts at /t");
  auto nostage = build(p, "FROM busybox\nRUN --mount=from=nowhere,target=/x true\n", native());
  ASSERT_FALSE(nostage.id);
  EXPECT_EQ(nostage.id.error().message, "Dockerfile line 2: No such image: nowhere");
}

TEST(DispatcherNative, AStageAMountReadsIsBuiltAndOneNobodyReadsIsNot) {
  FakePrimitives p;
  auto b = build(p,
                 "FROM busybox AS deps\nRUN make deps\n"
                 "FROM busybox AS unused\nRUN make unused\n"
                 "FROM busybox\nRUN --mount=type=bind,from=deps,target=/d make app\n",
                 native());
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(runs_of(p, "make deps"), 1u);
  EXPECT_EQ(runs_of(p, "make unused"), 0u);
  EXPECT_EQ(runs_of(p, "make app"), 1u);
}

TEST(DispatcherNative, AFromWithAVariableMayMeanAnyEarlierStage) {
  FakePrimitives p;
  auto b = build(p,
                 "FROM busybox AS one\nRUN make one\n"
                 "FROM busybox\nARG SRC=one\nCOPY --from=${SRC} /x /x\n",
                 native());
  ASSERT_TRUE(b.id) << b.id.error().message;  // not "stage one was not built"
  EXPECT_EQ(runs_of(p, "make one"), 1u);
  ASSERT_EQ(p.copies.size(), 1u);
  EXPECT_FALSE(p.copies[0].from.context);
}

TEST(DispatcherNative, AFromNamedByAGlobalArgIsAStage) {
  FakePrimitives p;
  auto b = build(p,
                 "ARG BASE=one\nFROM busybox AS one\nRUN make one\n"
                 "FROM busybox AS two\nRUN make two\n"
                 "FROM ${BASE}\nRUN make final\n",
                 native());
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(runs_of(p, "make one"), 1u);
  EXPECT_EQ(runs_of(p, "make two"), 0u);
}

TEST(DispatcherNative, RunNetworkReachesTheRunAndKeysTheCache) {
  FakePrimitives p;
  ASSERT_TRUE(build(p, "FROM busybox\nRUN --network=none make\n", native()).id);
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].network, "none");
  ASSERT_TRUE(build(p, "FROM busybox\nRUN --network=host make\n", native()).id);
  EXPECT_EQ(p.runs.back().network, "host");
  ASSERT_TRUE(build(p, "FROM busybox\nRUN --network=default make\n", native()).id);
  EXPECT_EQ(p.runs.back().network, "");
  EXPECT_EQ(p.runs.size(), 3u);
  auto bad = build(p, "FROM busybox\nRUN --network=bridge make\n", native());
  ASSERT_FALSE(bad.id);
  EXPECT_EQ(bad.id.error().message, "Dockerfile line 2: RUN --network=bridge: the network must be none, default or host");
}

}  // namespace
}  // namespace berth::build
