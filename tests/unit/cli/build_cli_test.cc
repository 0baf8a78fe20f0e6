// berth build's client side: --secret.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
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

}  // namespace
}  // namespace berth::cli
