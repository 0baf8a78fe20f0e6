// berth build's client side: --secret and --output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
#include "cli/build_output.h"
#include "cli/build_secrets.h"

namespace berth::cli {
namespace {

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
