// Docker's reference rules (distribution/reference normalize_test.go and
// reference_test.go cases), table-driven.
#include "image/reference.h"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::image;

namespace {

struct Good {
  const char* input;
  const char* normalized;  // str()
  const char* familiar;    // familiar()
  const char* domain;
  const char* path;
};

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(Reference, NormalizesLikeDocker) {
  const std::string d = "sha256:" + kHex;
  const Good cases[] = {
      {"busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io", "library/busybox"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "docker.io", "library/busybox"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io", "library/busybox"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io", "library/busybox"},
      {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
       "library/busybox"},
      {"index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
       "library/busybox"},
      {"user/app", "docker.io/user/app:latest", "user/app:latest", "docker.io", "user/app"},
      {"docker.io/user/app:v2", "docker.io/user/app:v2", "user/app:v2", "docker.io", "user/app"},
      {"library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest", "docker.io", "library/a/b"},
      {"localhost/x", "localhost/x:latest", "localhost/x:latest", "localhost", "x"},
      {"localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000", "x"},
      {"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000", "docker.io", "library/localhost"},
      {"registry.example.com/a/b/c:tag", "registry.example.com/a/b/c:tag", "registry.example.com/a/b/c:tag",
       "registry.example.com", "a/b/c"},
      {"127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest", "127.0.0.1:5000", "app"},
      {"[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest", "[::1]:5000", "app"},
      {"Example.COM/app", "Example.COM/app:latest", "Example.COM/app:latest", "Example.COM", "app"},
      {"Uppercase/lower", "Uppercase/lower:latest", "Uppercase/lower:latest", "Uppercase", "lower"},
      {"a-b_c__d---e/x.y", "docker.io/a-b_c__d---e/x.y:latest", "a-b_c__d---e/x.y:latest", "docker.io",
       "a-b_c__d---e/x.y"},
      {"busybox:Tag_1.0-rc", "docker.io/library/busybox:Tag_1.0-rc", "busybox:Tag_1.0-rc", "docker.io",
       "library/busybox"},
  };
  for (const auto& c : cases) {
    auto r = Reference::parse(c.input);
    ASSERT_TRUE(r) << c.input << ": " << r.error().str();
    EXPECT_EQ(r->str(), c.normalized) << c.input;
    EXPECT_EQ(r->familiar(), c.familiar) << c.input;
    EXPECT_EQ(r->domain(), c.domain) << c.input;
    EXPECT_EQ(r->path(), c.path) << c.input;
    // Normalizing is idempotent.
    auto again = Reference::parse(r->str());
    ASSERT_TRUE(again) << r->str();
    EXPECT_EQ(*again, *r);
  }
}

TEST(Reference, Digests) {
  const std::string d = "sha256:" + kHex;
  auto a = Reference::parse("busybox@" + d);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_FALSE(a->has_tag());  // no default tag next to a digest
  EXPECT_EQ(a->digest(), d);
  EXPECT_EQ(a->str(), "docker.io/library/busybox@" + d);
  EXPECT_EQ(a->familiar(), "busybox@" + d);

  auto b = Reference::parse("localhost:5000/x:1.0@" + d);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(b->tag(), "1.0");
  EXPECT_EQ(b->digest(), d);
  EXPECT_EQ(b->str(), "localhost:5000/x:1.0@" + d);
  EXPECT_EQ(b->without_digest().str(), "localhost:5000/x:1.0");
}

TEST(Reference, ParseNamedHasNoDefaultTag) {
  auto r = Reference::parse_named("busybox");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str(), "docker.io/library/busybox");
  EXPECT_EQ(r->with_tag("1").familiar(), "busybox:1");
}

// Found by fuzzing (tests/fuzz/image_reference.cc): the short form must name
// the same repository when it is parsed again, where Docker's would not.
TEST(Reference, FamiliarFormParsesBackToTheSameReference) {
  for (const std::string& input : std::vector<std::string>{"docker.io/us.io/app:v2", "docker.io/localhost/app",
                                                         "docker.io/a.b/c/d",
                                                         "library/" + kHex, "busybox", "user/app", "library/a/b"}) {
    auto r = Reference::parse(input);
    ASSERT_TRUE(r) << input << ": " << r.error().str();
    auto again = Reference::parse(r->familiar());
    ASSERT_TRUE(again) << r->familiar() << ": " << again.error().str();
    EXPECT_EQ(*again, *r) << input << " shown as " << r->familiar();
    auto repo = Reference::parse_named(r->familiar_name());
    ASSERT_TRUE(repo) << r->familiar_name() << ": " << repo.error().str();
    EXPECT_EQ(repo->name(), r->name()) << input;
  }
  EXPECT_EQ(Reference::parse("docker.io/us.io/app:v2")->familiar(), "docker.io/us.io/app:v2");
  EXPECT_EQ(Reference::parse("library/" + kHex)->familiar_name(), "library/" + kHex);
  EXPECT_EQ(Reference::parse("docker.io/user/app")->familiar(), "user/app:latest");
}

struct Bad {
  std::string input;
  const char* rule;  // part of the message naming the rule broken
};

TEST(Reference, RejectsNamingInputAndRule) {
  const Bad cases[] = {
      {"", "empty"},
      {"Busybox", "must be lowercase"},
      {"docker.io/User/app", "must be lowercase"},
      {"busybox:", "tag ''"},
      {":latest", "repository name is empty"},
      {"busybox:-bad", "tag '-bad'"},
      {"busybox:.bad", "tag '.bad'"},
      {"busybox:" + std::string(129, 'a'), "tag"},
      {"busybox:a/b", "registry 'busybox:a'"},  // ':' before the last '/' makes a host:port
      {"-busybox", "path component '-busybox'"},
      {"busybox-", "path component 'busybox-'"},
      {"a..b", "path component 'a..b'"},  // no '/', so no registry part
      {"a//b", "path component ''"},
      {"a/b/", "path component ''"},
      {"a___b", "path component 'a___b'"},
      {"a_.b", "path component 'a_.b'"},
      {"bad host!/x", "path component 'bad host!'"},  // no '.', ':' or capital: not a registry
      {"a_b.com/x", "registry 'a_b.com'"},
      {"-host.com/x", "registry '-host.com'"},
      {"host.com:/x", "registry 'host.com:'"},
      {"host.com:50a/x", "registry"},
      {"busybox@sha256:abc", "digest"},
      {"busybox@md5:" + kHex, "digest"},
      {"busybox@sha256:" + std::string(64, 'A'), "digest"},
      {kHex, "64-character hexadecimal"},
      {"registry.example.com/" + std::string(240, 'a'), "255"},
      {"busybox latest", "path component"},
      {"busybox@", "digest"},
  };
  for (const auto& c : cases) {
    auto r = Reference::parse(c.input);
    ASSERT_FALSE(r) << "accepted '" << c.input << "' as " << r->str();
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << c.input;
    EXPECT_NE(r.error().message.find("'" + c.input + "'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.rule), std::string::npos)
        << c.input << " -> " << r.error().message << " (want '" << c.rule << "')";
  }
}

TEST(Reference, Rules) {
  EXPECT_TRUE(valid_tag("latest"));
  EXPECT_TRUE(valid_tag("_x"));
  EXPECT_TRUE(valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(valid_tag(std::string(129, 'a')));
  EXPECT_FALSE(valid_tag("a+b"));
  EXPECT_TRUE(valid_path_component("a--b"));
  EXPECT_TRUE(valid_path_component("a__b"));
  EXPECT_FALSE(valid_path_component("a-_b"));
  EXPECT_FALSE(valid_path_component("A"));
  EXPECT_TRUE(valid_domain("localhost:5000"));
  EXPECT_TRUE(valid_domain("[2001:db8::1]:443"));
  EXPECT_FALSE(valid_domain("host:"));
  EXPECT_FALSE(valid_domain("a_b.com"));
}

}  // namespace
