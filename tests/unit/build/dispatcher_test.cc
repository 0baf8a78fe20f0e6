// The dispatcher over fake primitives: what each instruction does to the
// config, the history texts, the step log, the cache, stages, args, errors.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>

#include "build/dispatcher.h"
#include "fake_primitives.h"

namespace berth::build {
namespace {

TEST(Dispatcher, MetadataStepsSetTheConfigAndWriteTheLegacyHistory) {
  FakePrimitives p;
  auto b = build(p,
                 "FROM busybox\n"
                 "ENV A=1 B=\"two words\"\n"
                 "LABEL k=v\n"
                 "WORKDIR /app\n"
                 "WORKDIR sub\n"
                 "USER app\n"
                 "EXPOSE 80 53/udp 8000-8001\n"
                 "VOLUME [\"/data\"]\n"
                 "STOPSIGNAL SIGINT\n"
                 "HEALTHCHECK --interval=30s --retries=3 CMD true\n"
                 "SHELL [\"/bin/bash\", \"-c\"]\n"
                 "ENTRYPOINT echo\n"
                 "CMD [\"x\"]\n");
  ASSERT_TRUE(b.id) << b.id.error().message;
  const auto& c = p.images.at(*b.id).config;
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/bin", "A=1", "B=two words"}));
  EXPECT_EQ(c.labels.at("k"), "v");
  EXPECT_EQ(c.working_dir, "/app/sub");
  EXPECT_EQ(c.user, "app");
  EXPECT_EQ(c.exposed_ports, (std::set<std::string>{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}));
  EXPECT_EQ(c.volumes, (std::set<std::string>{"/data"}));
  EXPECT_EQ(c.stop_signal, "SIGINT");
  ASSERT_TRUE(c.healthcheck);
  EXPECT_EQ(c.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "true"}));  // shell form
  EXPECT_EQ(c.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(c.healthcheck->retries, 3);
  EXPECT_EQ(c.shell, (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/bash", "-c", "echo"}));
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"x"}));
  const auto& h = p.history.at(*b.id);
  ASSERT_EQ(h.size(), 12u);
  EXPECT_EQ(h[0], "/bin/sh -c #(nop)  ENV A=1 B=two words");
  EXPECT_EQ(h[1], "/bin/sh -c #(nop)  LABEL k=v");
  EXPECT_EQ(h[2], "/bin/sh -c #(nop)  WORKDIR /app");
  EXPECT_EQ(h[5], "/bin/sh -c #(nop)  EXPOSE 80 53/udp 8000-8001");
  EXPECT_EQ(h[6], "/bin/sh -c #(nop)  VOLUME [/data]");
  EXPECT_EQ(h[8], "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"true\"] \"30s\" \"0s\" \"0s\" '\\x03'}");
  EXPECT_EQ(h[9], "/bin/sh -c #(nop)  SHELL [/bin/bash -c]");
  EXPECT_EQ(h[10], "/bin/bash -c #(nop)  ENTRYPOINT [\"/bin/bash\" \"-c\" \"echo\"]");
  EXPECT_EQ(h[11], "/bin/bash -c #(nop)  CMD [\"x\"]");
}

TEST(Dispatcher, TheStepLogCountsEveryLineAndTheArgsBeforeFrom) {
  FakePrimitives p;
  auto b = build(p, "ARG BASE=busybox\nFROM ${BASE}\nRUN echo hi\n");
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_NE(b.log.find("Step 1/3 : ARG BASE=busybox\nStep 2/3 : FROM ${BASE}\n ---> 000000000000"), std::string::npos)
      << b.log;
  EXPECT_NE(b.log.find("Step 3/3 : RUN echo hi\noutput of echo hi\n ---> "), std::string::npos) << b.log;
  EXPECT_EQ(p.calls.front(), "from busybox");
}

TEST(Dispatcher, AnIdenticalRebuildTakesEveryStepFromTheCacheAndRunsNothing) {
  FakePrimitives p;
  const char* df = "FROM busybox\nENV A=1\nWORKDIR /w\nCOPY . /src/\nRUN make\nCMD [\"x\"]\n";
  auto first = build(p, df);
  ASSERT_TRUE(first.id);
  p.calls.clear();
  auto second = build(p, df);
  ASSERT_TRUE(second.id);
  EXPECT_EQ(*first.id, *second.id);
  EXPECT_EQ(p.calls, (std::vector<std::string>{"from busybox"}));  // no run, copy or commit
  size_t hits = 0;
  for (size_t pos = 0; (pos = second.log.find(" ---> Using cache", pos)) != std::string::npos; ++pos) ++hits;
  EXPECT_EQ(hits, 5u);
}

TEST(Dispatcher, ChangedSourcesInvalidateFromTheCopyOn) {
  FakePrimitives p;
  const char* df = "FROM busybox\nENV A=1\nCOPY . /src/\nRUN make\n";
  ASSERT_TRUE(build(p, df).id);
  p.digests[".,"] = "bbbb";
  p.calls.clear();
  auto b = build(p, df);
  ASSERT_TRUE(b.id);
  EXPECT_EQ(p.calls, (std::vector<std::string>{"from busybox", "copy /src/", "run make"}));
  EXPECT_NE(p.history.at(*b.id)[1].find("COPY file:bbbb in /src/ "), std::string::npos);
}

TEST(Dispatcher, NoCacheRebuildsEveryStep) {
  FakePrimitives p;
  const char* df = "FROM busybox\nENV A=1\nRUN make\n";
  ASSERT_TRUE(build(p, df).id);
  p.calls.clear();
  BuildOptions opt;
  opt.no_cache = true;
  ASSERT_TRUE(build(p, df, opt).id);
  EXPECT_EQ(p.calls, (std::vector<std::string>{"from busybox", "commit", "run make"}));
}

TEST(Dispatcher, BuildArgsReachRunAndItsHistoryAndInvalidateIt) {
  FakePrimitives p;
  const char* df = "FROM busybox\nARG V=1\nARG UNSET\nENV E=e\nRUN echo $V\n";
  auto a = build(p, df);
  ASSERT_TRUE(a.id);
  EXPECT_EQ(p.history.at(*a.id).back(), "|1 V=1 /bin/sh -c echo $V");
  EXPECT_EQ(p.run_env.at("echo $V"), (std::vector<std::string>{"PATH=/bin", "E=e", "V=1"}));
  BuildOptions opt;
  opt.build_args["V"] = "2";
  p.calls.clear();
  auto b = build(p, df, opt);
  ASSERT_TRUE(b.id);
  EXPECT_EQ(p.history.at(*b.id).back(), "|1 V=2 /bin/sh -c echo $V");
  EXPECT_EQ(p.calls.back(), "run echo $V");
  // The ARG steps themselves stay cached: their text does not hold the value.
  EXPECT_EQ(p.calls.size(), 2u);
}

TEST(Dispatcher, AnUnusedBuildArgIsWarnedAboutAndProxyArgsAreNot) {
  FakePrimitives p;
  BuildOptions opt;
  opt.build_args["NOPE"] = "x";
  opt.build_args["HTTP_PROXY"] = "http://127.0.0.1:3128";
  auto b = build(p, "FROM busybox\nRUN env\n", opt);
  ASSERT_TRUE(b.id);
  EXPECT_NE(b.log.find("[Warning] One or more build-args [NOPE] were not consumed\n"), std::string::npos) << b.log;
  EXPECT_EQ(p.history.at(*b.id).back(), "/bin/sh -c env");  // proxies stay out of history
  auto env = p.run_env.at("env");
  EXPECT_NE(std::find(env.begin(), env.end(), "HTTP_PROXY=http://127.0.0.1:3128"), env.end());
}

TEST(Dispatcher, GlobalArgsFeedFromAndAStageArgWithoutValue) {
  FakePrimitives p;
  p.named["busybox:2"] = p.named["busybox"];
  auto b = build(p, "ARG TAG=2\nARG BOTH=global\nFROM busybox:${TAG}\nARG BOTH\nENV GOT=${BOTH}-${TAG}\n");
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(p.calls.front(), "from busybox:2");
  EXPECT_EQ(p.images.at(*b.id).config.env.back(), "GOT=global-");  // TAG is not declared in the stage
}

TEST(Dispatcher, AFailedRunNamesTheLineAndKeepsItsExitCode) {
  FakePrimitives p;
  p.exit_codes["exit 3"] = 3;
  auto b = build(p, "FROM busybox\nRUN true\nRUN exit 3\n");
  ASSERT_FALSE(b.id);
  EXPECT_EQ(b.id.error().message, "Dockerfile line 3: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  EXPECT_EQ(b.exit_code, 3);
}

TEST(Dispatcher, CopyErrorsAreDockersWordsWithTheLine) {
  FakePrimitives p;
  p.missing.insert("nope,");
  auto b = build(p, "FROM busybox\nCOPY nope /x\n");
  ASSERT_FALSE(b.id);
  EXPECT_EQ(b.id.error().message, "Dockerfile line 2: COPY failed: file not found in build context: nope,");
  auto one = parse_dockerfile("FROM busybox\nCOPY onlyone\n");  // refused as it is parsed, with its line
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().message, "dockerfile parse error line 2: COPY requires at least two arguments, but only one "
                                 "was provided. Destination could not be determined.");
}

TEST(Dispatcher, EntrypointDropsAnInheritedCmdButNotOneSetInTheStage) {
  FakePrimitives p;
  auto a = build(p, "FROM busybox\nENTRYPOINT [\"e\"]\n");
  ASSERT_TRUE(a.id);
  EXPECT_FALSE(p.images.at(*a.id).config.cmd);
  auto b = build(p, "FROM busybox\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n");
  ASSERT_TRUE(b.id);
  EXPECT_EQ(*p.images.at(*b.id).config.cmd, (std::vector<std::string>{"c"}));
}

TEST(Dispatcher, StagesCopyFromEachOtherAndTheTargetStopsTheBuild) {
  FakePrimitives p;
  const char* df =
      "FROM busybox AS one\nRUN make one\n"
      "FROM busybox AS two\nRUN make two\n"
      "FROM scratch\nCOPY --from=one /out /one\nCOPY --from=0 /out /zero\n";
  auto b = build(p, df);
  ASSERT_TRUE(b.id) << b.id.error().message;
  ASSERT_EQ(p.copies.size(), 2u);
  EXPECT_FALSE(p.copies[0].from.context);
  EXPECT_EQ(p.copies[0].from.image, p.copies[1].from.image);
  EXPECT_EQ(p.copies[0].parent.id, "");  // scratch
  EXPECT_NE(std::find(p.calls.begin(), p.calls.end(), "run make two"), p.calls.end());  // legacy: every stage

  FakePrimitives q;
  BuildOptions native;
  native.skip_unused_stages = true;
  ASSERT_TRUE(build(q, df, native).id);
  EXPECT_EQ(std::find(q.calls.begin(), q.calls.end(), "run make two"), q.calls.end());  // not needed: skipped

  FakePrimitives r;
  BuildOptions target;
  target.target = "one";
  auto t = build(r, df, target);
  ASSERT_TRUE(t.id);
  EXPECT_NE(t.log.find("Step 2/2 : RUN make one"), std::string::npos) << t.log;
  target.target = "three";
  auto missing = build(r, df, target);
  ASSERT_FALSE(missing.id);
  EXPECT_EQ(missing.id.error().message, "failed to reach build target three in Dockerfile");
}

TEST(Dispatcher, OnbuildTriggersRunInTheChildAndAreNotInherited) {
  FakePrimitives p;
  auto parent = build(p, "FROM busybox\nONBUILD RUN echo trig\n");
  ASSERT_TRUE(parent.id);
  EXPECT_EQ(p.images.at(*parent.id).config.on_build, (std::vector<std::string>{"RUN echo trig"}));
  p.named["parent"] = *parent.id;
  auto child = build(p, "FROM parent\nENV X=1\n");
  ASSERT_TRUE(child.id);
  EXPECT_NE(child.log.find("# Executing 1 build trigger\noutput of echo trig\n"), std::string::npos) << child.log;
  EXPECT_TRUE(p.images.at(*child.id).config.on_build.empty());
}

TEST(Dispatcher, LabelOptionsAddAFinalLabelStep) {
  FakePrimitives p;
  BuildOptions opt;
  opt.labels["org.x"] = "y z";
  auto b = build(p, "FROM busybox\nRUN true\n", opt);
  ASSERT_TRUE(b.id);
  EXPECT_NE(b.log.find("Step 3/3 : LABEL \"org.x\"='y z'\n"), std::string::npos) << b.log;
  EXPECT_EQ(p.images.at(*b.id).config.labels.at("org.x"), "y z");
}

TEST(Dispatcher, ScratchGetsTheDefaultPathAndABareScratchBuildIsAnError) {
  FakePrimitives p;
  auto b = build(p, "FROM scratch\nENV A=1\n");
  ASSERT_TRUE(b.id);
  EXPECT_EQ(p.images.at(*b.id).config.env.front(),
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  auto bare = build(p, "FROM scratch\n");
  ASSERT_FALSE(bare.id);
  EXPECT_EQ(bare.id.error().message, "No image was generated. Is your Dockerfile empty?");
}

TEST(Dispatcher, InstructionsBeforeFromAndBadValuesAreRefused) {
  FakePrimitives p;
  auto early = build(p, "RUN x\nFROM busybox\n");
  ASSERT_FALSE(early.id);
  EXPECT_NE(early.id.error().message.find("line 1: RUN: no build stage"), std::string::npos);
  auto port = build(p, "FROM busybox\nEXPOSE 99999\n");
  ASSERT_FALSE(port.id);
  EXPECT_EQ(port.id.error().message, "Dockerfile line 2: invalid containerPort: 99999");
  auto sig = build(p, "FROM busybox\nSTOPSIGNAL NOPE\n");
  ASSERT_FALSE(sig.id);
  EXPECT_EQ(sig.id.error().message, "Dockerfile line 2: Invalid signal: NOPE");
}

}  // namespace
}  // namespace berth::build
