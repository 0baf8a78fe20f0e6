#include <gtest/gtest.h>

#include "spec/runtime_spec.h"

using namespace berth;

TEST(SpecParse, MinimalConfig) {
  auto s = spec::parse_spec(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"}})");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->root.path, "rootfs");
}

TEST(SpecParse, WrongTypeNamesThePath) {
  auto s = spec::parse_spec(
      R"({"ociVersion":"1.0.2","root":{"path":"r"},"linux":{"resources":{"memory":{"limit":"big"}}}})");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("linux.resources.memory.limit"), std::string::npos) << s.error().message;
}
