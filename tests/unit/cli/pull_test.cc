// berth pull: what it asks the daemon for, and how it draws the answer.
#include "cli/pull.h"

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "cli/app.h"
#include "cli/credentials.h"
#include "cli/progress_display.h"
#include "run_cli.h"

namespace berth::cli {
namespace {

using testing::Outcome;

Outcome berth(std::vector<std::string> args) { return testing::run_cli(main, std::move(args)); }

TEST(PullTarget, NamesTagsDigestsAndTheCanonicalForm) {
  auto t = pull_target("busybox").value();
  EXPECT_EQ(t.name, "busybox");
  EXPECT_EQ(t.tag, "latest");
  EXPECT_TRUE(t.defaulted);
  EXPECT_EQ(t.domain, "docker.io");
  EXPECT_EQ(t.canonical, "docker.io/library/busybox:latest");

  t = pull_target("127.0.0.1:5000/test/busybox:v2s2").value();
  EXPECT_EQ(t.name, "127.0.0.1:5000/test/busybox");
  EXPECT_EQ(t.tag, "v2s2");
  EXPECT_FALSE(t.defaulted);
  EXPECT_EQ(t.domain, "127.0.0.1:5000");
  EXPECT_EQ(t.canonical, "127.0.0.1:5000/test/busybox:v2s2");

  std::string digest = "sha256:" + std::string(64, 'a');
  t = pull_target("me/app:1@" + digest).value();
  EXPECT_EQ(t.name, "me/app");
  EXPECT_EQ(t.tag, digest);
  EXPECT_EQ(t.canonical, "docker.io/me/app@" + digest);

  t = pull_target("localhost/app").value();
  EXPECT_EQ(t.domain, "localhost");
  EXPECT_EQ(t.canonical, "localhost/app:latest");
  t = pull_target("registry.example:5000/app").value();
  EXPECT_EQ(t.domain, "registry.example:5000");

  EXPECT_EQ(pull_target("busybox").value().repository, "docker.io/library/busybox");
  EXPECT_EQ(pull_target("127.0.0.1:5000/a/b:1").value().repository, "127.0.0.1:5000/a/b");

  EXPECT_FALSE(pull_target(""));
  EXPECT_FALSE(pull_target(":tag"));
}

std::string drawn(bool terminal, const std::string& stream, std::string* error = nullptr) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  ProgressDisplay d(fds[1], terminal);
  // Split anywhere: lines arrive in pieces.
  for (size_t i = 0; i < stream.size(); i += 7) d.feed(std::string_view(stream).substr(i, 7));
  auto r = d.finish();
  if (error) *error = r ? "" : r.error().message;
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  return out;
}

const char* kStream =
    "{\"status\":\"Pulling from test/busybox\",\"id\":\"v1\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaaaaaaaaaaa\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},\"progress\":\"[==>   ] 1B/2B\",\"id\":\"aaaaaaaaaaaa\"}\r\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"aaaaaaaaaaaa\"}\r\n"
    "{\"status\":\"Digest: sha256:abc\"}\r\n";

TEST(ProgressDisplay, OffATerminalEachStatusOnItsOwnLineAndNoBars) {
  EXPECT_EQ(drawn(false, kStream),
            "v1: Pulling from test/busybox\n"
            "aaaaaaaaaaaa: Pulling fs layer\n"
            "aaaaaaaaaaaa: Download complete\n"
            "Digest: sha256:abc\n");
}

TEST(ProgressDisplay, OnATerminalALayerKeepsItsLine) {
  std::string out = drawn(true, kStream);
  // Two ids: two lines, each redrawn in place (cursor up N, clear, text, back down N).
  EXPECT_NE(out.find("\x1b[1A\x1b[2K\rv1: Pulling from test/busybox\r\x1b[1B"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[1A\x1b[2K\raaaaaaaaaaaa: Downloading [==>   ] 1B/2B\r\x1b[1B"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[2K\rDigest: sha256:abc\n"), std::string::npos) << out;
}

TEST(ProgressDisplay, AnErrorInTheStreamEndsItAsAnError) {
  std::string error;
  std::string out = drawn(false, std::string(kStream) + "{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\r\n", &error);
  EXPECT_EQ(error, "boom");
  drawn(false, "not json\r\n{\"status\":\"ok\"}", &error);
  EXPECT_EQ(error, "");
}

TEST(PullCommand, DockersFlagsAndArgumentCounts) {
  Outcome r = berth({"pull", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-a, --all-tags"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--platform string"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-q, --quiet"), std::string::npos) << r.out;

  r = berth({"pull", "--nosuch", "busybox"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("unknown flag: --nosuch"), std::string::npos) << r.err;

  r = berth({"pull"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("'berth pull' requires exactly 1 argument"), std::string::npos) << r.err;

  r = berth({"-H", "unix:///nonexistent/berth.sock", "pull", "busybox"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("Using default tag: latest"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Cannot connect to the berth daemon"), std::string::npos) << r.err;

  // -a: a repository, no default tag; NAME:TAG is refused as Docker refuses it.
  r = berth({"-H", "unix:///nonexistent/berth.sock", "pull", "-a", "busybox"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.find("Using default tag"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Cannot connect to the berth daemon"), std::string::npos) << r.err;
  r = berth({"-H", "unix:///nonexistent/berth.sock", "pull", "--all-tags", "busybox:1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tag can't be used with --all-tags/-a"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::cli

namespace berth::cli {
namespace {

TEST(PushCommand, DockersFlagsAndWhatItRefuses) {
  Outcome r = berth({"push", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Usage:  berth push [OPTIONS] NAME[:TAG]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-a, --all-tags"), std::string::npos) << r.out;
  r = berth({"push"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("'berth push' requires exactly 1 argument"), std::string::npos) << r.err;
  // -a takes a repository, as Docker's: a tag is refused before the daemon is asked.
  r = berth({"-H", "unix:///nonexistent/berth.sock", "push", "--all-tags", "me/app:1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tag can't be used with --all-tags/-a"), std::string::npos) << r.err;
  r = berth({"-H", "unix:///nonexistent/berth.sock", "push", "-a", "me/app"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.find("Using default tag"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Cannot connect to the berth daemon"), std::string::npos) << r.err;
  r = berth({"-H", "unix:///nonexistent/berth.sock", "push", "me/app@sha256:" + std::string(64, 'a')});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot push a digest reference"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::cli

namespace berth::cli {
namespace {

class Logout : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cli-config-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::setenv("DOCKER_CONFIG", dir_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("DOCKER_CONFIG");
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(Logout, RemovesTheServersCredentialsAndKeepsTheRest) {
  Outcome r = berth({"logout"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Not logged in to https://index.docker.io/v1/\n");
  {
    std::ofstream f(dir_ + "/config.json");
    f << R"({"auths":{"127.0.0.1:5000":{"auth":"dTpw"},"https://index.docker.io/v1/":{"auth":"eDp5"}},"psFormat":"x"})";
  }
  r = berth({"logout", "http://127.0.0.1:5000/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Removing login credentials for 127.0.0.1:5000\n");
  std::ifstream f(dir_ + "/config.json");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("127.0.0.1:5000"), std::string::npos) << text;
  EXPECT_NE(text.find("https://index.docker.io/v1/"), std::string::npos) << text;
  EXPECT_NE(text.find("psFormat"), std::string::npos) << text;
}

TEST_F(Logout, AnIdentityTokenGoesInXRegistryAuthWithTheUser) {
  {
    std::ofstream f(dir_ + "/config.json");
    f << R"({"auths":{"127.0.0.1:5000":{"auth":"ZTJlOg==","identitytoken":"refresh-1"}}})";
  }
  auto header = registry_auth_header("127.0.0.1:5000");
  ASSERT_TRUE(header) << header.error().str();
  auto json = base64::decode(*header);
  ASSERT_TRUE(json);
  auto sent = nlohmann::json::parse(*json);
  EXPECT_EQ(sent["identitytoken"], "refresh-1");
  EXPECT_EQ(sent["auth"], "ZTJlOg==");  // "e2e:": the user, no password
  EXPECT_EQ(sent["serveraddress"], "127.0.0.1:5000");
  EXPECT_FALSE(sent.contains("password"));
}

TEST_F(Logout, LoginRefusesWhatItCannotAsk) {
  Outcome r = berth({"-H", "unix:///nonexistent/berth.sock", "login", "--password-stdin", "127.0.0.1:5000"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Must provide --username with --password-stdin"), std::string::npos) << r.err;
  r = berth({"-H", "unix:///nonexistent/berth.sock", "login", "-u", "me", "-p", "pw", "--password-stdin"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("mutually exclusive"), std::string::npos) << r.err;
  r = berth({"-H", "unix:///nonexistent/berth.sock", "login", "-u", "me", "-p", "pw", "127.0.0.1:5000"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("WARNING! Using --password via the CLI is insecure"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Cannot connect to the berth daemon"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/config.json")) << "nothing is stored unless the daemon said yes";
}

}  // namespace
}  // namespace berth::cli
