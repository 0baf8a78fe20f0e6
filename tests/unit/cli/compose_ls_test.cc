// berth compose ls: projects found by their containers' labels, shown as Compose v2 shows them.
#include "cli/compose_ls.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

Json container(const std::string& project, const std::string& state, const std::string& files = "/p/compose.yaml") {
  Json labels = Json::object();
  if (!project.empty()) labels["com.docker.compose.project"] = project;
  if (!files.empty()) labels["com.docker.compose.project.config_files"] = files;
  return {{"Id", "x"}, {"State", state}, {"Labels", labels}};
}

TEST(ComposeLs, StacksGroupTheirContainersStatesAndFiles) {
  Json list = Json::array({container("web", "running"), container("web", "exited"), container("web", "running"),
                           container("api", "paused", "/a/compose.yaml,/a/override.yaml"), container("", "running"),
                           container("web", "created", "/other/compose.yaml"), Json("not an object")});
  auto stacks = compose_stacks(list, {});
  ASSERT_EQ(stacks.size(), 2u);
  EXPECT_EQ(stacks[0].name, "api");
  EXPECT_EQ(stacks[0].status, "paused(1)");
  EXPECT_EQ(stacks[0].config_files, "/a/compose.yaml,/a/override.yaml");
  EXPECT_EQ(stacks[1].name, "web");
  EXPECT_EQ(stacks[1].status, "created(1), exited(1), running(2)");
  EXPECT_EQ(stacks[1].config_files, "/p/compose.yaml,/other/compose.yaml");
}

TEST(ComposeLs, NameFiltersAreExactOrRegularExpressions) {
  Json list = Json::array({container("web", "running"), container("webapp", "running"), container("db", "running")});
  auto names = [&](std::vector<std::string> filters) {
    std::string out;
    for (const auto& s : compose_stacks(list, filters)) out += s.name + " ";
    return out;
  };
  EXPECT_EQ(names({"web"}), "web webapp ");
  EXPECT_EQ(names({"^web$"}), "web ");
  EXPECT_EQ(names({"d", "app"}), "db webapp ");
  EXPECT_EQ(names({"("}), "");  // no regular expression, no exact name
}

TEST(ComposeLs, TableJsonAndQuiet) {
  std::vector<ComposeStack> stacks = {{"proj", "running(2)", "/p/compose.yaml"}};
  EXPECT_EQ(*render_compose_stacks(stacks, "table", false),
            "NAME                STATUS              CONFIG FILES\n"
            "proj                running(2)          /p/compose.yaml\n");
  EXPECT_EQ(*render_compose_stacks(stacks, "json", false),
            R"j([{"Name":"proj","Status":"running(2)","ConfigFiles":"/p/compose.yaml"}])j" "\n");
  EXPECT_EQ(*render_compose_stacks({}, "json", false), "[]\n");
  EXPECT_EQ(*render_compose_stacks(stacks, "table", true), "proj\n");
  auto bad = render_compose_stacks(stacks, "{{.Name}}", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "format value \"{{.Name}}\" could not be parsed: parsing failed");
}

}  // namespace
}  // namespace berth::cli
