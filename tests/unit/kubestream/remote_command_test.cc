#include "kubestream/remote_command.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::kubestream {
namespace {

TEST(RemoteCommand, VersionNames) {
  EXPECT_EQ(remote_command_version("channel.k8s.io"), 1);
  EXPECT_EQ(remote_command_version("v2.channel.k8s.io"), 2);
  EXPECT_EQ(remote_command_version("v3.channel.k8s.io"), 3);
  EXPECT_EQ(remote_command_version("v4.channel.k8s.io"), 4);
  EXPECT_EQ(remote_command_version("v5.channel.k8s.io"), 5);
  EXPECT_EQ(remote_command_version("portforward.k8s.io"), 0);
}

TEST(RemoteCommand, V4StatusCarriesTheExitCode) {
  auto ok = nlohmann::json::parse(status_message(0, 4));
  EXPECT_EQ(ok, nlohmann::json::parse(R"({"metadata":{},"status":"Success"})"));
  auto bad = nlohmann::json::parse(status_message(3, 4));
  EXPECT_EQ(bad["status"], "Failure");
  EXPECT_EQ(bad["reason"], "NonZeroExitCode");
  EXPECT_EQ(bad["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(bad["details"]["causes"][0]["message"], "3");
  auto err = nlohmann::json::parse(status_message(fail(Errc::NotFound, "container x not found"), 5));
  EXPECT_EQ(err["status"], "Failure");
  EXPECT_EQ(err["reason"], "InternalError");
  EXPECT_EQ(err["code"], 500);
  EXPECT_NE(err["message"].get<std::string>().find("container x not found"), std::string::npos);
}

TEST(RemoteCommand, OlderVersionsWriteTextAndNothingOnSuccess) {
  EXPECT_EQ(status_message(0, 2), "");
  EXPECT_EQ(status_message(5, 3), "command terminated with non-zero exit code: exit status 5");
  EXPECT_EQ(status_message(fail(Errc::NotFound, "gone"), 1), "error executing command in container: gone");
}

TEST(RemoteCommand, ResizeMessagesSplitAnywhere) {
  std::vector<std::pair<unsigned, unsigned>> sizes;
  ResizeDecoder d([&](unsigned rows, unsigned cols) { sizes.emplace_back(rows, cols); });
  std::string stream = "{\"Width\":80,\"Height\":24}\n{\"Height\":50,\"Width\":132}{\"Width\":\"x}\",\"Height\":1}";
  for (char c : stream) d.data(std::string_view(&c, 1));
  d.data("{\"Width\":1,\"Height\":2}");
  std::vector<std::pair<unsigned, unsigned>> want = {{24, 80}, {50, 132}, {2, 1}};
  EXPECT_EQ(sizes, want);  // the object with a string width is skipped
}

TEST(RemoteCommand, ResizeBeforeTheHandlerIsKeptAndNothingAfterClose) {
  ResizeDispatcher d;
  std::vector<std::pair<unsigned, unsigned>> got;
  d.deliver(10, 20);
  d.deliver(11, 21);  // only the latest waits
  d.set_handler([&](unsigned r, unsigned c) { got.emplace_back(r, c); });
  d.deliver(12, 22);
  d.close();
  d.deliver(13, 23);
  std::vector<std::pair<unsigned, unsigned>> want = {{11, 21}, {12, 22}};
  EXPECT_EQ(got, want);
}

TEST(RemoteCommand, TtyMergesStderr) {
  auto o = command_options(ExecRequest{"c", {"sh"}, true, true, true, true});
  EXPECT_TRUE(o.stdout_);
  EXPECT_FALSE(o.stderr_);
  EXPECT_TRUE(o.tty);
}

}  // namespace
}  // namespace berth::kubestream
