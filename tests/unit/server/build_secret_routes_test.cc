// POST /build's berth-specific parts: the native mode and the secrets of
// X-Berth-Build-Secrets (decoded, size-checked, refused with the ID only).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

class CapturingBuilder : public backend::BuildBackend {
 public:
  Result<std::string> build(const backend::BuildRequest& r, const std::function<Result<size_t>(char*, size_t)>&,
                            const std::function<bool(const std::string&)>& progress) override {
    request = r;
    progress("{\"stream\":\"built\\n\"}\r\n");
    return std::string("sha256:x");
  }
  Result<backend::BuildPruneReport> prune(const std::string&, bool) override { return backend::BuildPruneReport{}; }
  Result<std::vector<backend::BuildCacheUsage>> usage() override { return std::vector<backend::BuildCacheUsage>{}; }
  backend::BuildRequest request;
};

std::string secrets_header(const nlohmann::json& j) { return base64::encode_url(j.dump()); }

TEST(BuildSecretRoutes, SecretsComeFromTheirHeaderAndTheNativeModeFromItsParameter) {
  Router router;
  CapturingBuilder b;
  add_build_routes(router, b);
  auto a = call(router, "POST", "/build?berth-native=1", "",
                {{"x-berth-build-secrets",
                  secrets_header({{"tok", base64::encode("s3cr3t\n")}, {"key", base64::encode(std::string("\0\1", 2))}})}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(b.request.native);
  EXPECT_EQ(b.request.secrets.at("tok"), "s3cr3t\n");
  EXPECT_EQ(b.request.secrets.at("key"), std::string("\0\1", 2));
  ASSERT_EQ(call(router, "POST", "/build").status, 200);
  EXPECT_FALSE(b.request.native);
  EXPECT_TRUE(b.request.secrets.empty());
}

TEST(BuildSecretRoutes, BadSecretsAreRefusedNamingOnlyTheirId) {
  Router router;
  CapturingBuilder b;
  add_build_routes(router, b);
  auto garbage = call(router, "POST", "/build", "", {{"x-berth-build-secrets", "%%%"}});
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find("X-Berth-Build-Secrets: not base64 of a JSON object"), std::string::npos) << garbage.body;
  auto not_b64 = call(router, "POST", "/build", "", {{"x-berth-build-secrets", secrets_header({{"tok", "plain text!"}})}});
  EXPECT_EQ(not_b64.status, 400);
  EXPECT_NE(not_b64.body.find("secret \\\"tok\\\" is not base64"), std::string::npos) << not_b64.body;
  EXPECT_EQ(not_b64.body.find("plain text"), std::string::npos);
  auto big = call(router, "POST", "/build", "",
                  {{"x-berth-build-secrets", secrets_header({{"huge", base64::encode(std::string(600 * 1024, 'x'))}})}});
  EXPECT_EQ(big.status, 400);
  EXPECT_NE(big.body.find("secret huge is larger than 500 KiB"), std::string::npos) << big.body;
}

}  // namespace
}  // namespace berth::server::testing
