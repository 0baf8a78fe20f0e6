// run's exit status for a start the daemon refused comes from what the daemon
// recorded (State.ExitCode, the wait's StatusCode), never from its message.
#include "cli/start_status.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

api::Response answer(int status, std::string body) {
  api::Response r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  return r;
}

TEST(StartStatus, WaitAnswer) {
  EXPECT_EQ(wait_answer_status(answer(200, R"({"StatusCode":127,"Error":null})")), 127);
  EXPECT_EQ(wait_answer_status(answer(200, R"({"StatusCode":0})")), 0);
  auto failed = wait_answer_status(answer(200, R"({"StatusCode":255,"Error":{"Message":"gone"}})"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "gone");
  auto missing = wait_answer_status(answer(404, R"({"message":"No such container: x"})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_EQ(missing.error().message, "Error response from daemon: No such container: x");
  EXPECT_FALSE(wait_answer_status(answer(200, "not json")));
  EXPECT_FALSE(wait_answer_status(answer(200, R"({"StatusCode":"1"})")));
}

TEST(StartStatus, RecordedExitCode) {
  EXPECT_EQ(recorded_exit_code(Json::parse(R"({"State":{"ExitCode":127,"Error":"exec: not found"}})")), 127);
  EXPECT_EQ(recorded_exit_code(Json::parse(R"({"State":{"ExitCode":126}})")), 126);
  EXPECT_EQ(recorded_exit_code(Json::parse(R"({"State":{"ExitCode":0}})")), std::nullopt);
  EXPECT_EQ(recorded_exit_code(Json::parse(R"({"State":{}})")), std::nullopt);
  EXPECT_EQ(recorded_exit_code(Json::parse(R"({"Id":"x"})")), std::nullopt);
  EXPECT_EQ(recorded_exit_code(Json::parse(R"([])")), std::nullopt);
}

TEST(StartStatus, RecordedWinsElseTheOneMapping) {
  // The message says "not found", the record says 126: the record decides.
  Error refusal{Errc::Internal, 0, "Error response from daemon: executable file not found in $PATH"};
  EXPECT_EQ(refused_start_status(126, refusal), 126);
  // Nothing recorded: the refusal's code through exit_status_for.
  EXPECT_EQ(refused_start_status(std::nullopt, refusal), 125);
  EXPECT_EQ(refused_start_status(std::nullopt, Error{Errc::NotFound, 0, "x"}), 127);
  EXPECT_EQ(refused_start_status(std::nullopt, Error{Errc::PermissionDenied, 0, "x"}), 126);
  EXPECT_EQ(refused_start_status(std::nullopt, Error{Errc::Conflict, 0, "x"}), 125);
}

}  // namespace
}  // namespace berth::cli
