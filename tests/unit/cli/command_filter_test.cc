// main() declares only the command a command line names (declaring every
// command's flags cost more than the rest of a short command). These tests
// hold it to the same answers as the whole tree: help, flags and mistakes.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/app.h"
#include "cli/command.h"
#include "run_cli.h"

namespace berth::cli {
namespace {

CommandFilter scan(std::vector<const char*> args) {
  args.insert(args.begin(), "berth");
  return scan_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandFilter, FindsTheCommandAfterTheGlobalFlags) {
  EXPECT_EQ(scan({"run", "--rm", "busybox"}).command, "run");
  EXPECT_EQ(scan({"run", "--rm", "busybox"}).subcommand, "");
  EXPECT_EQ(scan({"-H", "unix:///x.sock", "ps", "-a"}).command, "ps");
  EXPECT_EQ(scan({"--host", "unix:///x.sock", "-D", "ps"}).command, "ps");
  EXPECT_EQ(scan({"--host=unix:///x.sock", "--log-level", "debug", "ps"}).command, "ps");
  EXPECT_EQ(scan({"-Hunix:///x.sock", "images"}).command, "images");
  EXPECT_EQ(scan({"-DH", "unix:///x.sock", "images"}).command, "images");
  EXPECT_EQ(scan({"-l", "info", "version"}).command, "version");
}

TEST(CommandFilter, GroupsNameTheirSubcommand) {
  CommandFilter f = scan({"container", "ls", "-a"});
  EXPECT_EQ(f.command, "container");
  EXPECT_EQ(f.subcommand, "ls");
  f = scan({"-H", "unix:///x.sock", "network", "create", "n1"});
  EXPECT_EQ(f.command, "network");
  EXPECT_EQ(f.subcommand, "create");
  // A flag before the subcommand: every subcommand of the group.
  f = scan({"image", "--help"});
  EXPECT_EQ(f.command, "image");
  EXPECT_EQ(f.subcommand, "");
  // Not a group: the next word is an argument, not a subcommand.
  EXPECT_EQ(scan({"rm", "ls"}).subcommand, "");
}

TEST(CommandFilter, HelpVersionAndBareLinesDeclareEverything) {
  for (auto args : std::vector<std::vector<const char*>>{{}, {"--help"}, {"-h"}, {"-v"}, {"--version"}, {"--", "ps"},
                                                         {"-D"}, {"-H", "unix:///x.sock"}}) {
    CommandFilter f = scan(args);
    EXPECT_EQ(f.command, "") << args.size();
    EXPECT_EQ(f.subcommand, "");
  }
}

// The names a help text lists under "Commands:".
std::vector<std::string> listed_commands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help);
  std::string line;
  bool in_list = false;
  while (std::getline(in, line)) {
    if (line == "Commands:") {
      in_list = true;
      continue;
    }
    if (in_list && line.empty()) break;
    if (in_list) names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

// Every command path of the whole tree: ["run"], ["container", "ls"], ...
std::vector<std::vector<std::string>> every_command_path() {
  std::vector<std::vector<std::string>> paths;
  for (const std::string& name : listed_commands(testing::run_cli(main_every_command, {"--help"}).out)) {
    auto subs = listed_commands(testing::run_cli(main_every_command, {name, "--help"}).out);
    if (subs.empty()) paths.push_back({name});
    for (const std::string& sub : subs) paths.push_back({name, sub});
  }
  return paths;
}

TEST(CommandFilter, TheTreeHasEveryCommand) {
  auto paths = every_command_path();
  EXPECT_GT(paths.size(), 60u);
  auto has = [&](std::vector<std::string> p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  EXPECT_TRUE(has({"run"}));
  EXPECT_TRUE(has({"container", "ls"}));
  EXPECT_TRUE(has({"system", "df"}));
  EXPECT_TRUE(has({"volume", "rm"}));
}

void expect_same(std::vector<std::string> args) {
  testing::Outcome lazy = testing::run_cli(main, args), whole = testing::run_cli(main_every_command, args);
  std::string line;
  for (const auto& a : args) line += a + " ";
  EXPECT_EQ(lazy.status, whole.status) << line;
  EXPECT_EQ(lazy.out, whole.out) << line;
  EXPECT_EQ(lazy.err, whole.err) << line;
}

TEST(CommandFilter, EveryCommandAnswersAsInTheWholeTree) {
  for (auto path : every_command_path()) {
    auto with = [&](std::vector<std::string> extra) {
      auto a = path;
      a.insert(a.end(), extra.begin(), extra.end());
      return a;
    };
    expect_same(with({"--help"}));
    expect_same(with({"--no-such-flag"}));
    expect_same(with({"-H", "unix:///nonexistent/berth.sock", "--help"}));
  }
  expect_same({"--help"});
  expect_same({"no-such-command"});
  expect_same({"container", "no-such-command"});
  expect_same({"container"});
  expect_same({"--version"});
}

}  // namespace
}  // namespace berth::cli
