#include <gtest/gtest.h>

#include <csignal>

#include "docker_json.h"
#include "dockerapi/container_json.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

using nlohmann::json;

// Docker's JSON in (as a client sends it), the merged Config back as Docker's JSON.
struct Merged {
  json config;
  std::string path;
  std::vector<std::string> args;
};

Result<Merged> merge(const json& config, const json& image) {
  auto request = TRY(testing::config_of(config));
  auto from_image = TRY(testing::config_of(image));
  auto m = TRY(merge_config(request, from_image));
  return Merged{dockerapi::render_config(m.config), m.path, m.args};
}

struct MergeCase {
  const char* name;
  json config, image;
  std::string path;
  std::vector<std::string> args;
};

TEST(MergeConfig, CommandRules) {
  const json image = {{"Entrypoint", {"/entry", "-x"}}, {"Cmd", {"serve", "--port=80"}}};
  const MergeCase cases[] = {
      {"image entrypoint and cmd", json::object(), image, "/entry", {"-x", "serve", "--port=80"}},
      {"request cmd replaces the image's", {{"Cmd", {"ls"}}}, image, "/entry", {"-x", "ls"}},
      {"request entrypoint drops the image cmd", {{"Entrypoint", {"/bin/sh"}}}, image, "/bin/sh", {}},
      {"request entrypoint and cmd", {{"Entrypoint", {"/bin/sh"}}, {"Cmd", {"-c", "id"}}}, image,
       "/bin/sh", {"-c", "id"}},
      {"empty entrypoint resets it", {{"Entrypoint", {""}}, {"Cmd", {"ls", "-l"}}}, image, "ls", {"-l"}},
      {"string cmd (old API)", {{"Cmd", "date"}}, json::object(), "date", {}},
      {"null fields use the image", {{"Cmd", nullptr}, {"Entrypoint", nullptr}}, image, "/entry",
       {"-x", "serve", "--port=80"}},
      {"image cmd only", json::object(), {{"Cmd", {"sh"}}}, "sh", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = merge(c.config, c.image);
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(m->path, c.path);
    EXPECT_EQ(m->args, c.args);
  }
}

TEST(MergeConfig, EntrypointResetIsStoredAsNull) {
  auto m = merge({{"Entrypoint", {""}}, {"Cmd", {"ls"}}}, {{"Entrypoint", {"/e"}}});
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->config["Entrypoint"].is_null());
  EXPECT_EQ(m->config["Cmd"], json({"ls"}));
}

TEST(MergeConfig, NoCommand) {
  for (const auto& [config, image] : std::vector<std::pair<json, json>>{
           {json::object(), json::object()},
           {{{"Entrypoint", {""}}}, {{"Cmd", {"sh"}}}},  // reset entrypoint drops the image cmd too
           {{{"Cmd", json::array()}}, json::object()}}) {
    auto m = merge(config, image);
    ASSERT_FALSE(m) << config.dump();
    EXPECT_EQ(m.error().code, Errc::InvalidArgument);
    EXPECT_EQ(m.error().message, "No command specified");
  }
}

TEST(MergeConfig, EnvAndDefaults) {
  json image = {{"Env", {"PATH=/image/bin", "A=image", "B=image"}},
                {"WorkingDir", "/srv"},
                {"User", "app"},
                {"StopSignal", "SIGQUIT"},
                {"Labels", {{"l1", "image"}, {"l2", "image"}}},
                {"ExposedPorts", {{"80/tcp", json::object()}}},
                {"Volumes", {{"/data", json::object()}}},
                {"Healthcheck", {{"Test", {"CMD", "true"}}, {"Interval", 5}, {"Retries", 3}}},
                {"Cmd", {"run"}}};
  json config = {{"Env", {"A=request", "C=request"}},
                 {"Labels", {{"l1", "request"}}},
                 {"ExposedPorts", {{"443/tcp", json::object()}}},
                 {"Healthcheck", {{"Interval", 9}}}};
  auto m = merge(config, image);
  ASSERT_TRUE(m) << m.error().str();
  const json& c = m->config;
  // Docker's order: the request's entries, then the image's keys the request lacks.
  EXPECT_EQ(c["Env"], json({"A=request", "C=request", "PATH=/image/bin", "B=image"}));
  EXPECT_EQ(c["WorkingDir"], "/srv");
  EXPECT_EQ(c["User"], "app");
  EXPECT_EQ(c["StopSignal"], "SIGQUIT");
  EXPECT_EQ(c["Labels"], json({{"l1", "request"}, {"l2", "image"}}));
  EXPECT_TRUE(c["ExposedPorts"].contains("80/tcp"));
  EXPECT_TRUE(c["ExposedPorts"].contains("443/tcp"));
  EXPECT_TRUE(c["Volumes"].contains("/data"));
  EXPECT_EQ(c["Healthcheck"]["Interval"], 9);
  EXPECT_EQ(c["Healthcheck"]["Retries"], 3);
  EXPECT_EQ(c["Healthcheck"]["Test"], json({"CMD", "true"}));

  // The request's own values win.
  m = merge({{"User", "1:1"}, {"WorkingDir", "/w"}, {"Cmd", {"x"}}}, image);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->config["User"], "1:1");
  EXPECT_EQ(m->config["WorkingDir"], "/w");
}

TEST(MergeConfig, Errors) {
  auto m = merge({{"WorkingDir", "rel/dir"}, {"Cmd", {"x"}}}, json::object());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "the working directory 'rel/dir' is invalid, it needs to be an absolute path");
  m = merge({{"Cmd", {1, 2}}}, json::object());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::InvalidArgument);
  EXPECT_NE(m.error().message.find("field Cmd"), std::string::npos) << m.error().message;
}

TEST(ProcessEnv, DockerOrderAndReplacement) {
  EXPECT_EQ(process_env(testing::must_config({{"Env", {"FOO=1"}}}), "abc"),
            (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                      "HOSTNAME=abc", "FOO=1"}));
  auto env = process_env(testing::must_config({{"Tty", true}, {"Env", {"PATH=/x", "TERM=vt100", "HOSTNAME=mine"}}}), "abc");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/x", "HOSTNAME=mine", "TERM=vt100"}));
  env = process_env(testing::must_config({{"Tty", true}}), "h");
  EXPECT_EQ(env.back(), "TERM=xterm");
}

TEST(ParseStopSignal, Table) {
  const std::pair<const char*, int> ok[] = {
      {"SIGTERM", SIGTERM}, {"TERM", SIGTERM}, {"term", SIGTERM}, {"15", 15},
      {"SIGKILL", SIGKILL}, {"QUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1}, {"WINCH", SIGWINCH},
      {"SIGRTMIN", 34},     {"RTMIN+3", 37},   {"SIGRTMAX-1", 63}, {"64", 64}};
  for (const auto& [text, sig] : ok) {
    auto r = parse_stop_signal(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(*r, sig) << text;
  }
  for (const char* bad : {"", "SIGFOO", "0", "65", "-1", "RTMIN+40", "SIG"}) {
    auto r = parse_stop_signal(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, std::string("Invalid signal: ") + bad);
  }
}

}  // namespace
}  // namespace berth::specgen
