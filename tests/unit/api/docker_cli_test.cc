// The real Docker CLI (28.x) against the server: it must negotiate down to
// 1.41 through HEAD /_ping and print what /version answers.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

#include <gtest/gtest.h>

#include "../http/test_server.h"

extern char** environ;

namespace berth::server {
namespace {

constexpr const char* kDocker = "/usr/local/bin/docker";

// Runs argv with env; returns (exit status, stdout+stderr).
std::pair<int, std::string> run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {-1, "pipe failed"};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(p[1]);
  UniqueFd out(p[0]);
  if (rc != 0) return {-1, "spawn failed"};
  std::string text = berth::testing::read_to_eof(out.get());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

TEST(DockerCli, VersionNegotiatesTo141) {
  if (::access(kDocker, X_OK) != 0) GTEST_SKIP() << kDocker << " is not installed: the real Docker CLI test is skipped";
  std::mutex mu;
  std::vector<std::string> seen;  // "METHOD target" in order
  auto record = [&](const Request& req) {
    std::lock_guard lock(mu);
    seen.push_back(req.method + " " + req.raw_target);
  };
  Router r;
  auto ping = [&](Request& req, ResponseWriter& w) -> Result<void> {
    record(req);
    (void)w.send(200, "text/plain; charset=utf-8", "OK",
                 {{"Builder-Version", ""}, {"Cache-Control", "no-cache, no-store, must-revalidate"}, {"Pragma", "no-cache"}});
    return {};
  };
  r.add("GET", "/_ping", ping);
  r.add("HEAD", "/_ping", ping);
  r.add("GET", "/version", [&](Request& req, ResponseWriter& w) -> Result<void> {
    record(req);
    nlohmann::json details = {{"ApiVersion", "1.41"}, {"Arch", "amd64"},
                              {"BuildTime", "2025-01-01T00:00:00.000000000+00:00"},
                              {"Experimental", "false"}, {"GitCommit", "c0ffee1"}, {"GoVersion", "none"},
                              {"KernelVersion", "6.1.0"}, {"MinAPIVersion", "1.24"}, {"Os", "linux"}};
    (void)w.json(200, {{"Platform", {{"Name", "berth"}}},
                       {"Components", {{{"Name", "Engine"}, {"Version", "0.1.0-httptest"}, {"Details", details}}}},
                       {"Version", "0.1.0-httptest"}, {"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"},
                       {"GitCommit", "c0ffee1"}, {"GoVersion", "none"}, {"Os", "linux"}, {"Arch", "amd64"},
                       {"KernelVersion", "6.1.0"}, {"BuildTime", "2025-01-01T00:00:00.000000000+00:00"}});
    return {};
  });
  berth::testing::TestServer ts(std::move(r));
  std::string home = ts.dir() + "/home";
  std::filesystem::create_directories(home + "/.docker");
  auto [status, out] = run({kDocker, "version"}, {"DOCKER_HOST=" + ts.address(), "HOME=" + home,
                                                   "DOCKER_CONFIG=" + home + "/.docker", "PATH=/usr/bin:/bin"});
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("Server: berth"), std::string::npos) << out;
  EXPECT_NE(out.find("0.1.0-httptest"), std::string::npos) << out;
  EXPECT_NE(out.find("1.41 (minimum version 1.24)"), std::string::npos) << out;
  EXPECT_NE(out.find("downgraded from 1.50"), std::string::npos) << out;
  std::lock_guard lock(mu);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), "HEAD /_ping");
  EXPECT_EQ(seen.back(), "GET /v1.41/version");
}

}  // namespace
}  // namespace berth::server
