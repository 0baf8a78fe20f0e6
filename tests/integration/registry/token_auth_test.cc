// The registry's bearer-token flow against a real token service: Debian's
// docker-registry with `auth: token`, trusting tests/fixtures/token_server.py
// (registry.sh --mode token). Pull and push with credentials, Docker's words
// for a wrong password and for what an anonymous caller may not do, a token
// that expires in the middle of a pull, and the identity (refresh) token a
// login returns, used alone. The token server's request log shows what the
// client asked for.
// Needs root (overlay snapshots for the unpacked layers).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "image/service.h"
#include "registry/client.h"
#include "registry/puller.h"
#include "registry/pusher.h"
#include "support/local_registry.h"
#include "support/paths.h"

using namespace berth;
namespace fs = std::filesystem;
using berth::testing::LocalRegistry;
using berth::testing::LocalRegistryOptions;

namespace {

// The token server's requests.log: one JSON object a request.
std::vector<nlohmann::json> token_requests(const LocalRegistry& reg) {
  std::vector<nlohmann::json> out;
  std::ifstream in(reg.token_log());
  for (std::string line; std::getline(in, line);)
    if (auto j = nlohmann::json::parse(line, nullptr, false); j.is_object()) out.push_back(std::move(j));
  return out;
}

std::vector<nlohmann::json> issued_tokens(const LocalRegistry& reg) {
  std::vector<nlohmann::json> out;
  for (auto& r : token_requests(reg))
    if (r.value("status", 0) == 200 && r.contains("jti")) out.push_back(r);
  return out;
}

bool has_scope(const nlohmann::json& request, const std::string& scope) {
  for (const auto& s : request.value("scopes", nlohmann::json::array()))
    if (s == scope) return true;
  return false;
}

class TokenAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_FAIL() << "needs root: overlay snapshots";
    char tmpl[] = "/tmp/berth-token-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    auto svc = image::ImageService::open(tmp_ + "/root");
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
  }
  void TearDown() override {
    svc_.reset();
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  // Credentials and pull,push for the right user; anonymous callers get nothing.
  static LocalRegistry& token_registry() {
    static std::unique_ptr<LocalRegistry> reg = LocalRegistry::start({.mode = "token"});
    return *reg;
  }
  // Anonymous callers may pull; the service has no OAuth2 endpoint (POST: 404).
  static LocalRegistry& public_registry() {
    static std::unique_ptr<LocalRegistry> reg =
        LocalRegistry::start({.mode = "token", .anonymous_pull = true, .no_oauth = true});
    return *reg;
  }
  // Tokens the registry refuses 2 s after they were issued.
  static LocalRegistry& expiring_registry() {
    static std::unique_ptr<LocalRegistry> reg = LocalRegistry::start({.mode = "token", .token_expires_in = 2});
    return *reg;
  }

  static registry::AuthConfig credentials(const LocalRegistry& reg, const std::string& password = "") {
    registry::AuthConfig a;
    a.username = reg.options().user;
    a.password = password.empty() ? reg.options().password : password;
    return a;
  }

  Result<registry::PullResult> pull(const std::string& ref, registry::PullOptions o = {},
                                    const registry::ProgressSink& also = {}) {
    o.reference = ref;
    messages_.clear();
    return registry::pull(http_, *svc_, o, [&](const registry::ProgressMessage& m) {
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
      if (also) also(m);
    });
  }
  Result<registry::PushResult> push(const std::string& ref, registry::PushOptions o = {}) {
    o.reference = ref;
    messages_.clear();
    auto pushed = TRY(registry::push(http_, *svc_, o, [&](const registry::ProgressMessage& m) {
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
    }));
    if (pushed.size() != 1) return fail(Errc::Internal, "one tag pushed gave " + std::to_string(pushed.size()) + " results");
    return pushed.front();
  }
  bool said(const std::string& text) const {
    for (const auto& m : messages_)
      if (m.find(text) != std::string::npos) return true;
    return false;
  }
  // A one-layer image from a plain tar (as `docker import` makes it), tagged `ref`; its ID.
  std::string import_image(const std::string& ref) {
    std::string rootfs = tmp_ + "/rootfs";
    std::string cmd = berth::testing::fixture_path("make-rootfs.sh") + " " + rootfs + " >/dev/null 2>&1 && tar -C " +
                      rootfs + " -cf " + tmp_ + "/rootfs.tar .";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    UniqueFd fd(::open((tmp_ + "/rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC));
    image::ImportOptions options;
    options.created = "2024-01-02T03:04:05Z";
    auto info = svc_->import_rootfs(fd.get(), ref, options);
    EXPECT_TRUE(info) << info.error().str();
    return info ? info->id : "";
  }

  std::string tmp_;
  std::unique_ptr<image::ImageService> svc_;
  registry::Http http_;
  std::vector<std::string> messages_;
};

TEST_F(TokenAuth, PullAndPushWithTheBearerFlow) {
  auto& reg = token_registry();
  registry::PullOptions o;
  o.auth = credentials(reg);
  auto pulled = pull(reg.address() + "/test/busybox:v2s2", o);
  ASSERT_TRUE(pulled) << pulled.error().str();
  EXPECT_EQ(pulled->digest, reg.digest_of("test/busybox:v2s2"));
  // Docker's GET flow: Basic credentials, account=, the service and the pull scope.
  bool asked = false;
  for (const auto& r : issued_tokens(reg))
    asked |= r["method"] == "GET" && r["grant"] == "basic" && r["user"] == "tester" && r["account"] == "tester" &&
             r["service"] == "berth-test-registry" && has_scope(r, "repository:test/busybox:pull");
  EXPECT_TRUE(asked) << "no token asked for repository:test/busybox:pull with the credentials";

  registry::PushOptions p;
  p.auth = credentials(reg);
  std::string target = reg.address() + "/e2e/app:1";
  std::string id = import_image(target);
  auto pushed = push(target, p);
  ASSERT_TRUE(pushed) << pushed.error().str();
  EXPECT_TRUE(said("Pushed"));
  // A second repository mounts the layer: the token must also grant pull on the first.
  std::string copy = reg.address() + "/e2e/copy:1";
  ASSERT_TRUE(svc_->metadata().tag(copy, id));
  auto mounted = push(copy, p);
  ASSERT_TRUE(mounted) << mounted.error().str();
  EXPECT_TRUE(said("Mounted from e2e/app")) << ::testing::PrintToString(messages_);
  bool both = false;
  for (const auto& r : issued_tokens(reg))
    both |= has_scope(r, "repository:e2e/copy:pull,push") && has_scope(r, "repository:e2e/app:pull");
  EXPECT_TRUE(both) << "the mount's token did not ask for pull on e2e/app";
  EXPECT_EQ(mounted->digest, pushed->digest);
}

TEST_F(TokenAuth, AWrongPasswordIsRefusedInDockersWords) {
  auto& reg = token_registry();
  registry::PullOptions o;
  o.auth = credentials(reg, "wrong");
  auto r = pull(reg.address() + "/test/busybox:v2s2", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  EXPECT_EQ(r.error().message, "Get \"http://" + reg.address() +
                                   "/v2/test/busybox/manifests/v2s2\": unauthorized: incorrect username or password");
  EXPECT_EQ(token_requests(reg).back()["status"], 401);

  auto login = registry::login(http_, reg.address(), credentials(reg, "wrong"), {});
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, Errc::PermissionDenied);
  EXPECT_EQ(login.error().message,
            "Get \"http://" + reg.address() + "/v2/\": unauthorized: incorrect username or password");
  for (const auto& line : token_requests(reg)) EXPECT_EQ(line.dump().find("wrong"), std::string::npos) << line;
}

TEST_F(TokenAuth, AnonymousCallersGetWhatTheServiceGrants) {
  // No anonymous access: Docker's "pull access denied".
  auto& closed = token_registry();
  auto denied = pull(closed.address() + "/test/busybox:v2s2");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::PermissionDenied);
  EXPECT_EQ(denied.error().message, "pull access denied for " + closed.address() +
                                        "/test/busybox, repository does not exist or may require 'docker login': "
                                        "denied: requested access to the resource is denied");

  // Anonymous pull allowed: it pulls; a push is denied as Docker says it.
  auto& open = public_registry();
  auto pulled = pull(open.address() + "/test/busybox:oci");
  ASSERT_TRUE(pulled) << pulled.error().str();
  EXPECT_EQ(pulled->digest, open.digest_of("test/busybox:oci"));
  auto last = issued_tokens(open).back();
  EXPECT_EQ(last["grant"], "anonymous");
  EXPECT_EQ(last["access"][0]["actions"], nlohmann::json::array({"pull"}));

  std::string target = open.address() + "/anon/app:1";
  import_image(target);
  auto pushed = push(target);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().code, Errc::PermissionDenied);
  EXPECT_EQ(pushed.error().message, "denied: requested access to the resource is denied");
}

TEST_F(TokenAuth, AnExpiredTokenIsReplacedInTheMiddleOfAPull) {
  auto& reg = expiring_registry();
  size_t before = issued_tokens(reg).size();
  registry::PullOptions o;
  o.auth = credentials(reg);
  o.max_concurrent_downloads = 1;  // the other layers are fetched after the wait below
  bool waited = false;
  // When the first layer is in, wait (holding the pull) until the registry refuses
  // the token it used: the time the token server logged for it, not a guess.
  auto hold = [&](const registry::ProgressMessage& m) {
    if (waited || m.status != "Download complete") return;
    waited = true;
    auto tokens = issued_tokens(reg);
    ASSERT_GT(tokens.size(), before);
    auto refused_after = std::chrono::system_clock::from_time_t(tokens.back()["refused_after"].get<time_t>());
    std::this_thread::sleep_until(refused_after + std::chrono::milliseconds(300));
  };
  auto r = pull(reg.address() + "/test/multi:latest", o, hold);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(waited);
  EXPECT_EQ(r->digest, reg.digest_of("test/multi:latest"));
  size_t complete = 0;
  for (const auto& m : messages_) complete += m.ends_with(": Pull complete");
  EXPECT_EQ(complete, 5u);
  auto tokens = issued_tokens(reg);
  ASSERT_GT(tokens.size(), before + 1) << "one token for the whole pull: it never expired, or was not replaced";
  // The second was asked for after the first had expired, with the same credentials and scope.
  EXPECT_GE(tokens[before + 1]["iat"].get<int64_t>(), tokens[before]["refused_after"].get<int64_t>());
  EXPECT_EQ(tokens[before + 1]["user"], "tester");
  EXPECT_TRUE(has_scope(tokens[before + 1], "repository:test/multi:pull"));
}

TEST_F(TokenAuth, LoginGivesAnIdentityTokenThatPullsAndPushesAlone) {
  auto& reg = token_registry();
  auto identity = registry::login(http_, reg.address(), credentials(reg), {});
  ASSERT_TRUE(identity) << identity.error().str();
  ASSERT_FALSE(identity->empty()) << "the token service gave a refresh token: login must return it";
  auto login_request = token_requests(reg).back();
  EXPECT_EQ(login_request["method"], "GET");
  EXPECT_EQ(login_request["offline_token"], true);
  EXPECT_EQ(login_request["client_id"], "docker");
  EXPECT_EQ(login_request["refresh_token_issued"], true);

  // As the docker CLI sends it after such a login: the user name and the identity token.
  registry::PullOptions o;
  o.auth.username = reg.options().user;
  o.auth.identity_token = *identity;
  auto pulled = pull(reg.address() + "/test/busybox:oci", o);
  ASSERT_TRUE(pulled) << pulled.error().str();
  EXPECT_EQ(pulled->digest, reg.digest_of("test/busybox:oci"));
  auto refresh = issued_tokens(reg).back();
  EXPECT_EQ(refresh["method"], "POST");
  EXPECT_EQ(refresh["grant"], "refresh_token");
  EXPECT_EQ(refresh["client_id"], "docker");
  EXPECT_EQ(refresh["user"], "tester");
  EXPECT_TRUE(has_scope(refresh, "repository:test/busybox:pull"));

  std::string target = reg.address() + "/identity/app:1";
  import_image(target);
  registry::PushOptions p;
  p.auth.identity_token = *identity;
  auto pushed = push(target, p);
  ASSERT_TRUE(pushed) << pushed.error().str();

  // A token the service does not know is refused, in the service's words.
  o.auth.identity_token = "not-a-refresh-token";
  auto refused = pull(reg.address() + "/test/busybox:v2s2", o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::PermissionDenied);
  EXPECT_EQ(refused.error().message, "Get \"http://" + reg.address() +
                                         "/v2/test/busybox/manifests/v2s2\": unauthorized: invalid refresh token");
  for (const auto& line : token_requests(reg)) EXPECT_EQ(line.dump().find(*identity), std::string::npos) << line;
}

TEST_F(TokenAuth, AServiceWithoutOAuthGetsTheGetFlowForAnIdentityToken) {
  auto& reg = public_registry();
  size_t before = token_requests(reg).size();
  registry::PullOptions o;
  o.auth.identity_token = "kept-from-another-login";
  auto pulled = pull(reg.address() + "/test/busybox:v2s2", o);
  ASSERT_TRUE(pulled) << pulled.error().str();
  auto requests = token_requests(reg);
  ASSERT_GE(requests.size(), before + 2);
  EXPECT_EQ(requests[before]["method"], "POST");
  EXPECT_EQ(requests[before]["status"], 404);
  EXPECT_EQ(requests[before + 1]["method"], "GET");
  EXPECT_EQ(requests[before + 1]["status"], 200);
}

}  // namespace
