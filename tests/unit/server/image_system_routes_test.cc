#include <gtest/gtest.h>

#include "fake_backends.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

class Unavailable : public backend::BuildBackend, public backend::DistributionBackend {
 public:
  Result<std::string> build(const backend::BuildRequest&, const std::function<Result<size_t>(char*, size_t)>&,
                            const std::function<bool(const std::string&)>&) override {
    return fail(Errc::Unsupported, "no builder");
  }
  Result<backend::BuildPruneReport> prune(const std::string&, bool) override {
    return fail(Errc::Unsupported, "no builder");
  }
  Result<std::vector<backend::BuildCacheUsage>> usage() override { return fail(Errc::Unsupported, "no builder"); }
  Result<void> pull(const backend::PullRequest& r, const backend::DistributionBackend::Progress&) override {
    pulled = r.reference;
    pulled_platform = r.platform;
    return fail(Errc::Unsupported, "no registry client");
  }
  Result<void> push(const std::string&, const backend::RegistryAuth&, const backend::DistributionBackend::Progress&) override {
    return fail(Errc::Unsupported, "no registry client");
  }
  Result<backend::LoginResult> login(const backend::RegistryAuth& auth) override {
    logged_in = auth;
    if (identity_token.empty()) return fail(Errc::Unsupported, "no registry client");
    return backend::LoginResult{"Login Succeeded", identity_token};
  }
  Result<std::string> search(const std::string&, int) override { return fail(Errc::Unsupported, "no registry client"); }
  std::string pulled, pulled_platform;
  backend::RegistryAuth logged_in;
  std::string identity_token;  // login succeeds with it when set
};

TEST(ImageRoutes, ErrorsMapAndRemoveRenders) {
  Router router;
  FakeImages images;
  Unavailable registry;
  add_distribution_routes(router, registry);
  add_image_create_route(router, images, registry);
  add_image_routes(router, images);
  add_build_routes(router, registry);
  auto a = call(router, "DELETE", "/images/busybox");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json()[0]["Untagged"], "busybox:latest");
  images.error = Error{Errc::NotFound, 0, "No such image: nope:latest"};
  EXPECT_EQ(call(router, "GET", "/images/nope/json").status, 404);
  EXPECT_EQ(call(router, "GET", "/images/nope/history").status, 404);
  EXPECT_EQ(call(router, "POST", "/images/nope/tag?repo=x").status, 404);
  EXPECT_EQ(call(router, "DELETE", "/images/nope").status, 404);
  images.error.reset();
  // Pull, push, search, login and build are areas of their own; their errors map the same way.
  EXPECT_EQ(call(router, "POST", "/images/create?fromImage=busybox&tag=1.36&platform=linux/arm64").status, 501);
  EXPECT_EQ(registry.pulled, "busybox:1.36");
  EXPECT_EQ(registry.pulled_platform, "linux/arm64");
  EXPECT_EQ(call(router, "POST", "/images/create?fromImage=busybox&tag=sha256:" + std::string(64, 'a')).status, 501);
  EXPECT_EQ(registry.pulled, "busybox@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(call(router, "POST", "/images/busybox/push").status, 501);
  EXPECT_EQ(call(router, "GET", "/images/search?term=x").status, 501);
  EXPECT_EQ(call(router, "POST", "/auth", R"({"username":"u","password":"p"})").status, 501);
  EXPECT_EQ(call(router, "POST", "/build").status, 501);
  EXPECT_EQ(call(router, "POST", "/images/create?fromSrc=http://x").status, 501);
}

TEST(DistributionRoutes, LoginAnswersTheIdentityTokenTheBackendGot) {
  Router router;
  Unavailable registry;
  registry.identity_token = "refresh-1";
  add_distribution_routes(router, registry);
  auto r = call(router, "POST", "/auth",
                R"({"username":"u","password":"p","serveraddress":"127.0.0.1:5000","identitytoken":"old"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["Status"], "Login Succeeded");
  EXPECT_EQ(r.json()["IdentityToken"], "refresh-1");
  EXPECT_EQ(registry.logged_in.username, "u");
  EXPECT_EQ(registry.logged_in.server, "127.0.0.1:5000");
  EXPECT_EQ(registry.logged_in.identity_token, "old");
}

TEST(SystemRoutes, InfoListsTheRuntimesAndPingAnswers) {
  Router router;
  FakeSystem system;
  FakeContainers containers;
  FakeImages images;
  FakeVolumes volumes;
  add_system_routes(router, system, SystemInfo{"0.1.0", "/d", "/e", false}, {&containers, &images, &volumes});
  EXPECT_EQ(call(router, "GET", "/_ping").status, 200);
  auto info = call(router, "GET", "/info");
  ASSERT_EQ(info.status, 200);
  EXPECT_TRUE(info.json()["Runtimes"].contains("berth"));
  EXPECT_EQ(info.json()["DefaultRuntime"], "berth");
  EXPECT_EQ(call(router, "GET", "/events?since=yesterday").status, 400);
  EXPECT_EQ(call(router, "GET", "/events?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D").status, 400);
  auto df = call(router, "GET", "/system/df");
  EXPECT_EQ(df.status, 200) << df.body;
  containers.error = Error{Errc::Internal, 0, "store broken"};
  EXPECT_EQ(call(router, "GET", "/system/df").status, 500);
}

TEST(SystemRoutes, InfoHasDockersRegistryConfig) {
  Router router;
  FakeSystem system;
  FakeContainers containers;
  FakeImages images;
  FakeVolumes volumes;
  SystemInfo si{"0.1.0", "/d", "/e", false};
  si.insecure_registries = {"10.0.0.0/8", "reg.example:5000"};
  si.registry_mirrors = {"https://mirror.example/"};
  add_system_routes(router, system, si, {&containers, &images, &volumes});
  auto info = call(router, "GET", "/info");
  ASSERT_EQ(info.status, 200);
  auto rc = info.json()["RegistryConfig"];
  EXPECT_EQ(rc["Mirrors"], nlohmann::json::array({"https://mirror.example/"}));
  EXPECT_EQ(rc["InsecureRegistryCIDRs"], nlohmann::json::array({"127.0.0.0/8", "10.0.0.0/8"}));
  EXPECT_EQ(rc["IndexConfigs"]["docker.io"],
            nlohmann::json({{"Name", "docker.io"}, {"Mirrors", {"https://mirror.example/"}}, {"Secure", true}, {"Official", true}}));
  EXPECT_EQ(rc["IndexConfigs"]["reg.example:5000"]["Secure"], false);
}

TEST(SystemRoutes, InfoListsUsernsUnderRemapAsDockerd) {
  Router router;
  FakeSystem system;
  FakeContainers containers;
  FakeImages images;
  FakeVolumes volumes;
  SystemInfo si{"0.1.0", "/d", "/e", false};
  add_system_routes(router, system, si, {&containers, &images, &volumes});
  EXPECT_EQ(call(router, "GET", "/info").json()["SecurityOptions"], nlohmann::json::array({"name=seccomp,profile=default"}));
  Router remapped;
  si.userns_remap = true;
  add_system_routes(remapped, system, si, {&containers, &images, &volumes});
  auto info = call(remapped, "GET", "/info").json();
  EXPECT_EQ(info["SecurityOptions"], nlohmann::json::array({"name=seccomp,profile=default", "name=userns"}));
  EXPECT_EQ(info["DockerRootDir"], "/d");  // one store for every range (docs/userns.md)
}

}  // namespace
}  // namespace berth::server::testing
