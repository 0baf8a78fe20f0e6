// berth build's client side: the progress drawn from the daemon's messages
// (plain off a terminal; stage by stage on one), --secret and --output.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
#include "cli/build_output.h"
#include "cli/build_progress.h"
#include "cli/build_secrets.h"

namespace berth::cli {
namespace {

std::string stream(const std::string& text) { return nlohmann::json{{"stream", text}}.dump() + "\r\n"; }

// What BuildProgress writes, on a terminal or not, for these messages.
std::string drawn(bool terminal, const std::string& messages, BuildProgress::Outcome* outcome = nullptr) {
  int fd = ::memfd_create("progress", MFD_CLOEXEC);
  BuildProgress p(fd, terminal, false);
  p.feed(messages);
  auto o = p.finish();
  if (outcome) *outcome = o;
  std::string out(static_cast<size_t>(::lseek(fd, 0, SEEK_END)), '\0');
  ::pread(fd, out.data(), out.size(), 0);
  ::close(fd);
  return out;
}

// Without the colours and the step times.
std::string plain(std::string s) {
  for (size_t p; (p = s.find('\x1b')) != std::string::npos;) s.erase(p, s.find('m', p) - p + 1);
  for (size_t p; (p = s.find(" in ")) != std::string::npos && s.find('s', p + 4) != std::string::npos;) {
    size_t end = s.find('\n', p);
    s.erase(p, end - p);
  }
  return s;
}

TEST(BuildProgress, OffATerminalTheLogIsPrintedAsItComes) {
  std::string log = "Step 1/2 : FROM busybox\n ---> 0123456789ab\n[info] not a stage\n";
  EXPECT_EQ(drawn(false, stream(log)), log);
}

TEST(BuildProgress, OnATerminalEachStagesStepsAreFollowedOnTheirOwn) {
  BuildProgress::Outcome o;
  std::string out = drawn(true,
                          stream("[a] Step 1/4 : FROM busybox AS a\n[b] Step 3/4 : FROM busybox AS b\n") +
                              stream("[a]  ---> 111111111111\n[b]  ---> Using cache\n[b]  ---> 222222222222\n") +
                              stream("[a] Step 2/4 : RUN make\n[a]  ---> Running in 333333333333\n[a] [info] making\n") +
                              stream("[x] a line of no stage\n[a]  ---> 444444444444\n") +
                              nlohmann::json{{"aux", {{"ID", "sha256:feed"}}}}.dump() + "\n",
                          &o);
  EXPECT_EQ(plain(out),
            "[a] [1/4] FROM busybox AS a\n"
            "[b] [3/4] FROM busybox AS b\n"
            "[a]     done 111111111111\n"
            "[b]     cached 222222222222\n"
            "[a] [2/4] RUN make\n"
            "[a]     [info] making\n"
            "[x] a line of no stage\n"
            "[a]     done 444444444444\n");
  EXPECT_EQ(o.image_id, "sha256:feed");
}

TEST(BuildSecrets, FilesAndVariablesBecomeTheHeader) {
  std::string dir = ::testing::TempDir();
  ASSERT_TRUE(write_file_atomic(dir + "/tok", "file-bytes", 0600, false));
  ::setenv("BERTH_TEST_SECRET", "env-bytes", 1);
  auto h = secrets_header({"id=a,src=" + dir + "/tok", "id=b,env=BERTH_TEST_SECRET", "id=BERTH_TEST_SECRET",
                           "type=env,id=c,src=BERTH_TEST_SECRET"});
  ASSERT_TRUE(h) << h.error().message;
  auto j = nlohmann::json::parse(*base64::decode(*h));
  EXPECT_EQ(*base64::decode(j["a"].get<std::string>()), "file-bytes");
  EXPECT_EQ(*base64::decode(j["b"].get<std::string>()), "env-bytes");
  EXPECT_EQ(*base64::decode(j["BERTH_TEST_SECRET"].get<std::string>()), "env-bytes");  // no src, no env: $ID
  EXPECT_EQ(*base64::decode(j["c"].get<std::string>()), "env-bytes");
  EXPECT_EQ(*secrets_header({}), "");
  EXPECT_EQ(secrets_header({"src=/x"}).error().message, "invalid --secret src=/x: an id is required (id=ID)");
  EXPECT_EQ(secrets_header({"id=x,env=BERTH_TEST_UNSET_VAR"}).error().message,
            "secret x: environment variable BERTH_TEST_UNSET_VAR is not set");
  EXPECT_EQ(secrets_header({"id=x,color=red"}).error().message, "invalid --secret id=x,color=red: unexpected key 'color'");
  ::unsetenv("BERTH_TEST_SECRET");
}

TEST(BuildOutput, TheTwoExportersAndBuildxsShorthands) {
  auto local = parse_build_output("type=local,dest=out");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->kind, BuildOutput::Kind::local);
  EXPECT_EQ(local->dest, "out");
  auto tar = parse_build_output("type=tar,dest=-");
  ASSERT_TRUE(tar);
  EXPECT_TRUE(tar->to_stdout());
  EXPECT_EQ(parse_build_output("dir")->kind, BuildOutput::Kind::local);
  EXPECT_TRUE(parse_build_output("-")->to_stdout());
  EXPECT_EQ(parse_build_output("type=image,name=x").error().message,
            "invalid --output type=image,name=x: unexpected key 'name'");
  EXPECT_EQ(parse_build_output("type=registry,dest=x").error().message,
            "invalid --output type=registry,dest=x: berth exports type=local and type=tar (not registry)");
  EXPECT_EQ(parse_build_output("type=tar").error().message, "invalid --output type=tar: dest is required");
  EXPECT_EQ(parse_build_output("type=local,dest=-").error().message,
            "invalid --output type=local,dest=-: a local export needs a directory (dest=DIR)");
}

}  // namespace
}  // namespace berth::cli
