// The loader against files that exist only in memory: file discovery, env
// files, paths, profiles, order and labels.
#include <gtest/gtest.h>

#include "compose/labels.h"
#include "compose/loader.h"
#include "compose/order.h"
#include "fake_reader.h"

namespace berth::compose {
namespace {

using testing::FakeReader;

LoadOptions options(const FakeReader& reader) {
  LoadOptions o;
  o.working_directory = "/p/app";
  o.home = "/home/me";
  o.reader = &reader;
  return o;
}

TEST(Loader, FindsTheDefaultFileInAParentAndItsOverride) {
  FakeReader r;
  r.files["/p/docker-compose.yml"] = "services:\n  a:\n    image: a\n";
  r.files["/p/docker-compose.override.yml"] = "services:\n  a:\n    image: b\n";
  auto p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "p");
  EXPECT_EQ(p->working_dir, "/p");
  EXPECT_EQ(p->config_files, (std::vector<std::string>{"/p/docker-compose.yml", "/p/docker-compose.override.yml"}));
  EXPECT_EQ(p->services.at("a").image, "b");
}

TEST(Loader, CallerEnvironmentWinsOverDotEnv) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] = "services:\n  a:\n    image: img:${TAG}\n    user: ${WHO}\n";
  r.files["/p/app/.env"] = "TAG=fromfile\nWHO=dotenv\n";
  LoadOptions o = options(r);
  o.environment["TAG"] = "fromenv";
  auto p = load_project(o);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->services.at("a").image, "img:fromenv");
  EXPECT_EQ(p->services.at("a").user, "dotenv");
}

TEST(Loader, UnsetVariablesAndVersionWarn) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] = "version: '3'\nservices:\n  a:\n    image: a${NOPE}\n";
  auto p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->warnings.size(), 2u);
  EXPECT_EQ(p->warnings[1], "The \"NOPE\" variable is not set. Defaulting to a blank string.");
}

TEST(Loader, MissingEnvFileIsAnErrorUnlessOptional) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] =
      "services:\n  a:\n    image: a\n    env_file:\n      - path: ./opt.env\n        required: false\n  b:\n    image: b\n    env_file: ./req.env\n";
  auto p = load_project(options(r));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "env file /p/app/req.env not found: stat /p/app/req.env: no such file or directory");
}

// Keys berthd cannot honour are refused by name, never dropped.
TEST(Loader, SettingsBerthCannotHonourAreRefused) {
  for (const char* key : {"gpus: all", "cpu_count: 2", "cpu_rt_runtime: 1000", "storage_opt: {size: 1G}"}) {
    FakeReader r;
    r.files["/p/app/compose.yaml"] = std::string("services:\n  a:\n    image: a\n    ") + key + "\n";
    auto p = load_project(options(r));
    ASSERT_FALSE(p) << key;
    std::string name = std::string(key).substr(0, std::string(key).find(':'));
    EXPECT_NE(p.error().message.find("service \"a\": " + name + " is not supported by berth"), std::string::npos)
        << p.error().message;
  }
}

TEST(Loader, UnreadableFileNamesIt) {
  FakeReader r;
  LoadOptions o = options(r);
  o.config_files = {"missing.yaml"};
  auto p = load_project(o);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "open /p/app/missing.yaml: no such file or directory");
}

TEST(Loader, HomeAndExtendsCycle) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] =
      "services:\n  a:\n    image: a\n    volumes: ['~/src:/src']\n  b:\n    extends: c\n  c:\n    extends: b\n";
  auto p = load_project(options(r));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "Circular reference with extends: service \"b\" in /p/app/compose.yaml");
  r.files["/p/app/compose.yaml"] = "services:\n  a:\n    image: a\n    volumes: ['~/src:/src']\n";
  p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->services.at("a").volumes.at(0).source, "/home/me/src");
}

TEST(Loader, YamlErrorsAreReworded) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] = "services:\n  a:\n    image: a\n  a:\n    image: b\n";
  auto p = load_project(options(r));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "/p/app/compose.yaml:4:3: yaml: mapping key \"a\" already defined");
  r.files["/p/app/compose.yaml"] = "services: {a: &x [*x]}\n";  // not a mapping of services
  EXPECT_FALSE(load_project(options(r)));
}

TEST(Loader, AnchorsAndMergeKeys) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] =
      "x-common: &common\n  image: base\n  restart: always\nservices:\n  a:\n    <<: *common\n    restart: \"no\"\n";
  auto p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->services.at("a").image, "base");
  EXPECT_EQ(p->services.at("a").restart, "no");
}

TEST(Order, LevelsAndReverse) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] =
      "services:\n  web:\n    image: w\n    depends_on: [api]\n  api:\n    image: a\n    depends_on:\n      db: {condition: service_healthy}\n      cache: {condition: service_started}\n  db:\n    image: d\n  cache:\n    image: c\n";
  auto p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  Levels want = {{"cache", "db"}, {"api"}, {"web"}};
  EXPECT_EQ(*start_levels(*p), want);
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(*stop_levels(*p), want);
}

TEST(Labels, ContainerLabelsAndHash) {
  FakeReader r;
  r.files["/p/app/compose.yaml"] =
      "services:\n  web:\n    image: w\n    depends_on: [db]\n    labels: {mine: x}\n  db:\n    image: d\n";
  auto p = load_project(options(r));
  ASSERT_TRUE(p) << p.error().message;
  const Service& web = p->services.at("web");
  StringMap l = container_labels(*p, web, 1);
  EXPECT_EQ(l["mine"], "x");
  EXPECT_EQ(l[label::kProject], "app");
  EXPECT_EQ(l[label::kService], "web");
  EXPECT_EQ(l[label::kContainerNumber], "1");
  EXPECT_EQ(l[label::kOneoff], "False");
  EXPECT_EQ(l[label::kWorkingDir], "/p/app");
  EXPECT_EQ(l[label::kConfigFiles], "/p/app/compose.yaml");
  EXPECT_EQ(l[label::kDependsOn], "db:service_started:false");
  EXPECT_EQ(l[label::kImage], "w");
  EXPECT_EQ(l[label::kConfigHash].size(), 64u);
  // What the hash leaves out does not change it; what it keeps does.
  Service scaled = web;
  scaled.scale = 3;
  scaled.depends_on.clear();
  EXPECT_EQ(config_hash(scaled), config_hash(web));
  Service other = web;
  other.image = "w2";
  EXPECT_NE(config_hash(other), config_hash(web));
}

}  // namespace
}  // namespace berth::compose
