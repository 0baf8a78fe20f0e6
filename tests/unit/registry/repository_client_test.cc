// RepositoryClient over several endpoints (mirrors, then the registry), with
// scripted loopback servers: a request goes only to endpoints with the
// capability it needs, passes a mirror that is down or has not got it (404),
// carries ?ns= to mirrors, and a mirror's token never goes to another host.
#include <gtest/gtest.h>

#include "fake_registry.h"
#include "registry/client.h"

using namespace berth;
using namespace berth::registry;
using berth::testing::FakeRegistry;

namespace {

constexpr const char* kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";
const content::Digest kBlob = content::sha256("blob bytes");

FakeRegistry::Reply serve_everything(const FakeRegistry::Request& r) {
  if (r.target.find("/manifests/") != std::string::npos)
    return {200, {"Content-Type: application/vnd.oci.image.manifest.v1+json"}, kManifest};
  if (r.target.find("/blobs/uploads/") != std::string::npos) return {202, {"Location: /v2/a/b/blobs/uploads/1"}, ""};
  if (r.target.find("/blobs/") != std::string::npos) return {200, {}, "blob bytes"};
  return {404, {}, ""};
}

FakeRegistry::Reply not_found(const FakeRegistry::Request&) {
  return {404, {"Content-Type: application/json"}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"};
}

Endpoint endpoint(const std::string& host, unsigned caps, bool upstream) {
  Endpoint e;
  e.scheme = "http";
  e.host = host;
  e.capabilities = caps;
  e.upstream = upstream;
  if (!upstream) e.ns = "registry.example";
  return e;
}

std::vector<std::string> targets(const FakeRegistry& f) {
  std::vector<std::string> out;
  for (const auto& r : f.requests()) out.push_back(r.method + " " + r.target);
  return out;
}

class Client : public ::testing::Test {
 protected:
  RepositoryClient client(std::vector<Endpoint> es, std::string actions = "pull") {
    return RepositoryClient(http_, std::move(es), "registry.example", "a/b", {}, std::move(actions));
  }
  Result<std::string> blob(RepositoryClient& c) {
    std::string got;
    BodySink sink = [&](std::string_view chunk) {
      got.append(chunk);
      return true;
    };
    TRYV(c.blob(kBlob, 0, sink));
    return got;
  }
  Http http_;
};

TEST_F(Client, TagsAreResolvedOnlyWhereResolveIsAllowedBlobsComeFromTheMirror) {
  FakeRegistry mirror(serve_everything), upstream(serve_everything);
  auto c = client({endpoint(mirror.address(), kCapPull, false), endpoint(upstream.address(), kCapAll, true)});
  auto m = c.manifest("v1", "registry.example/a/b:v1");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_TRUE(targets(mirror).empty()) << "a pull-only mirror resolved a tag";
  EXPECT_EQ(targets(upstream), std::vector<std::string>{"GET /v2/a/b/manifests/v1"});
  // By digest, pulling is enough: the mirror, with the registry's name as ns.
  auto by_digest = c.manifest(m->digest.str(), "registry.example/a/b@" + m->digest.str());
  ASSERT_TRUE(by_digest) << by_digest.error().str();
  auto b = blob(c);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(*b, "blob bytes");
  EXPECT_EQ(targets(mirror), (std::vector<std::string>{"GET /v2/a/b/manifests/" + m->digest.str() + "?ns=registry.example",
                                                       "GET /v2/a/b/blobs/" + kBlob.str() + "?ns=registry.example"}));
  EXPECT_EQ(upstream.requests().size(), 1u);
}

TEST_F(Client, AMirrorWithoutItPassesToTheNextAndTheRegistry) {
  FakeRegistry empty(not_found), upstream(serve_everything);
  auto c = client({endpoint(empty.address(), kCapPull | kCapResolve, false), endpoint(upstream.address(), kCapAll, true)});
  ASSERT_TRUE(c.manifest("v1", "registry.example/a/b:v1"));
  auto b = blob(c);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(*b, "blob bytes") << "only the registry's bytes reach the sink";
  EXPECT_EQ(targets(empty), (std::vector<std::string>{"GET /v2/a/b/manifests/v1?ns=registry.example",
                                                      "GET /v2/a/b/blobs/" + kBlob.str() + "?ns=registry.example"}));
  EXPECT_EQ(targets(upstream), (std::vector<std::string>{"GET /v2/a/b/manifests/v1", "GET /v2/a/b/blobs/" + kBlob.str()}));
}

TEST_F(Client, NotFoundEverywhereIsDockersNotFound) {
  FakeRegistry a(not_found), b(not_found);
  auto c = client({endpoint(a.address(), kCapAll, false), endpoint(b.address(), kCapAll, true)});
  auto m = c.manifest("v1", "registry.example/a/b:v1");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::NotFound);
  EXPECT_EQ(m.error().message, "manifest for registry.example/a/b:v1 not found: manifest unknown: manifest unknown");
}

TEST_F(Client, AMirrorThatIsDownIsPassedAndThenTriedLast) {
  FakeRegistry upstream(serve_everything);
  std::string down = FakeRegistry::refused_address();
  auto c = client({endpoint(down, kCapAll, false), endpoint(upstream.address(), kCapAll, true)});
  ASSERT_TRUE(c.manifest("v1", "registry.example/a/b:v1"));
  ASSERT_TRUE(blob(c));
  EXPECT_EQ(upstream.requests().size(), 2u);
  // Everything down: the first error, in Go's words.
  auto dead = client({endpoint(down, kCapAll, true)});
  auto m = dead.manifest("v1", "registry.example/a/b:v1");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::Unavailable);
  EXPECT_EQ(m.error().message,
            "Get \"http://" + down + "/v2/a/b/manifests/v1\": dial tcp " + down + ": connect: connection refused");
}

TEST_F(Client, PushGoesOnlyWherePushIsAllowedAndANotFoundThereIsAnAnswer) {
  FakeRegistry mirror(serve_everything), upstream(not_found);
  auto c = client({endpoint(mirror.address(), kCapPull | kCapResolve, false), endpoint(upstream.address(), kCapAll, true)},
                  "pull,push");
  auto has = c.has_blob(kBlob);
  ASSERT_TRUE(has) << has.error().str();
  EXPECT_FALSE(*has);
  EXPECT_TRUE(mirror.requests().empty());
  EXPECT_EQ(targets(upstream), std::vector<std::string>{"HEAD /v2/a/b/blobs/" + kBlob.str()});
}

TEST_F(Client, NoHostMayPushIsAClearError) {
  FakeRegistry mirror(serve_everything);
  auto c = client({endpoint(mirror.address(), kCapPull | kCapResolve, true)}, "pull,push");
  auto r = c.put_manifest("v1", "application/vnd.oci.image.manifest.v1+json", kManifest);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unsupported);
  EXPECT_EQ(r.error().message, "no host configured for registry.example may push (see the capabilities in its hosts.toml)");
  EXPECT_TRUE(mirror.requests().empty());
}

TEST_F(Client, AMirrorsTokenStaysWithTheMirror) {
  std::string mirror_address;
  FakeRegistry mirror([&](const FakeRegistry::Request& r) -> FakeRegistry::Reply {
    if (r.target.rfind("/token", 0) == 0) return {200, {"Content-Type: application/json"}, R"({"token":"mirror-secret"})"};
    if (r.header("authorization") != "Bearer mirror-secret")
      return {401, {"WWW-Authenticate: Bearer realm=\"http://" + mirror_address + "/token\",service=\"m\""}, ""};
    return not_found(r);
  });
  mirror_address = mirror.address();
  FakeRegistry upstream(serve_everything);
  auto c = client({endpoint(mirror.address(), kCapAll, false), endpoint(upstream.address(), kCapAll, true)});
  ASSERT_TRUE(c.manifest("v1", "registry.example/a/b:v1"));
  auto m = mirror.requests();
  ASSERT_EQ(m.size(), 3u);  // 401, token, again with it (404)
  EXPECT_EQ(m[1].target, "/token?service=m&scope=repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(m[2].header("authorization"), "Bearer mirror-secret");
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_EQ(upstream.requests()[0].header("authorization"), "") << "the mirror's token went to the registry";
}

TEST_F(Client, HeadersOfTheHostAreSent) {
  FakeRegistry mirror(serve_everything);
  Endpoint e = endpoint(mirror.address(), kCapAll, true);
  e.headers = {"X-Site: berth-test"};
  auto c = client({e});
  ASSERT_TRUE(c.manifest("v1", "registry.example/a/b:v1"));
  EXPECT_EQ(mirror.requests().at(0).header("x-site"), "berth-test");
}

TEST_F(Client, AnApiRootWithAPrefix) {
  FakeRegistry mirror(serve_everything);
  Endpoint e = endpoint(mirror.address(), kCapAll, false);
  e.path = "/cache/v2";
  auto c = client({e});
  ASSERT_TRUE(c.manifest("v1", "registry.example/a/b:v1"));
  EXPECT_EQ(targets(mirror), std::vector<std::string>{"GET /cache/v2/a/b/manifests/v1?ns=registry.example"});
}

}  // namespace
