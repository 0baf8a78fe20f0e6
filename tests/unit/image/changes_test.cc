#include "image/changes.h"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::image;

TEST(Changes, ExecAndShellForms) {
  ContainerConfig c;
  ASSERT_TRUE(apply_change(c, R"(CMD ["sh", "-c", "echo hi"])"));
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change(c, "entrypoint top -b"));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "top -b"}));
}

TEST(Changes, EnvAndLabelPairs) {
  ContainerConfig c;
  ASSERT_TRUE(apply_changes(c, {"ENV A=1 B=\"x y\"", "ENV PATH /bin:/usr/bin", "ENV A=2",
                                "LABEL a=b \"c d\"=e"}));
  EXPECT_EQ(*c.env, (std::vector<std::string>{"A=2", "B=x y", "PATH=/bin:/usr/bin"}));
  EXPECT_EQ(c.labels->at("a"), "b");
  EXPECT_EQ(c.labels->at("c d"), "e");
  auto bad = apply_change(c, "ENV =x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

TEST(Changes, PortsVolumesWorkdirUserSignal) {
  ContainerConfig c;
  ASSERT_TRUE(apply_changes(c, {"EXPOSE 80 53/udp", "VOLUME [\"/a\", \"/b\"]", "VOLUME /c",
                                "WORKDIR /srv", "WORKDIR app", "USER 1000:1000",
                                "STOPSIGNAL SIGQUIT"}));
  EXPECT_EQ(*c.exposed_ports, (std::set<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(*c.volumes, (std::set<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(*c.working_dir, "/srv/app");
  EXPECT_EQ(*c.user, "1000:1000");
  EXPECT_EQ(*c.stop_signal, "SIGQUIT");
  EXPECT_FALSE(apply_change(c, "EXPOSE http"));
}

TEST(Changes, RefusesOtherInstructions) {
  ContainerConfig c;
  for (const char* ch : {"RUN true", "COPY a b", "FROM x", "", "CMD"}) {
    auto r = apply_change(c, ch);
    ASSERT_FALSE(r) << ch;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << ch;
  }
  EXPECT_EQ(c, ContainerConfig{});
}
