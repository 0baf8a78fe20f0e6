// Each tests/unit/compose/testdata/<case>/ is a project: compose files, maybe
// a .env, an `args` file (one option a line: `-f FILE`, `-p NAME`,
// `--profile P`, `--env-file F`, `--project-directory D`, `env K=V`,
// `format json`) and either expected.yaml (what `config` prints, with the
// case's directory written <dir>) or expected_error.txt (the message, the
// directory written <dir>).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compose/loader.h"
#include "compose/render.h"

namespace berth::compose {
namespace {

namespace fs = std::filesystem;

const fs::path kTestdata = BERTH_COMPOSE_TESTDATA;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

class Fixture : public ::testing::TestWithParam<std::string> {};

TEST_P(Fixture, LoadsAsExpected) {
  fs::path dir = kTestdata / GetParam();
  LoadOptions o;
  o.working_directory = dir.string();
  o.home = "/home/tester";
  bool json = false;
  if (fs::exists(dir / "args")) {
    std::istringstream lines(slurp(dir / "args"));
    std::string flag, value;
    while (lines >> flag >> value) {
      if (flag == "-f") o.config_files.push_back(value);
      if (flag == "-p") o.project_name = value;
      if (flag == "--profile") o.profiles.push_back(value);
      if (flag == "--env-file") o.env_files.push_back(value);
      if (flag == "--project-directory") o.project_directory = value;
      if (flag == "env") o.environment[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
      if (flag == "format") json = value == "json";
    }
  }
  auto project = load_project(o);
  std::string d = dir.string();
  if (fs::exists(dir / "expected_error.txt")) {
    ASSERT_FALSE(project) << "loaded, expected an error:\n" << render_yaml(*project);
    std::string want = slurp(dir / "expected_error.txt");
    while (!want.empty() && want.back() == '\n') want.pop_back();
    EXPECT_EQ(replace_all(project.error().message, d, "<dir>"), want);
    return;
  }
  ASSERT_TRUE(project) << project.error().message;
  std::string got = replace_all(json ? render_json(*project) : render_yaml(*project), d, "<dir>");
  std::string want = slurp(dir / (json ? "expected.json" : "expected.yaml"));
  if (got != want && std::getenv("BERTH_UPDATE_FIXTURES")) {
    std::ofstream(dir / (json ? "expected.json" : "expected.yaml")) << got;
  }
  EXPECT_EQ(got, want);
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kTestdata))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Compose, Fixture, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace berth::compose
