// Docker's -p / -P forms and HostConfig.PortBindings JSON (src/net/ports.h);
// port reservation on loopback only.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/ports.h"

using namespace berth;
using namespace berth::net;
using nlohmann::json;

namespace {

std::vector<PortBinding> parse_ok(std::string_view spec) {
  auto r = parse_publish(spec);
  EXPECT_TRUE(r) << spec << ": " << (r ? "" : r.error().str());
  return r ? *r : std::vector<PortBinding>{};
}

Errc parse_err(std::string_view spec) {
  auto r = parse_publish(spec);
  EXPECT_FALSE(r) << spec << " parsed";
  return r ? Errc::Internal : r.error().code;
}

}  // namespace

TEST(Ports, ContainerPortOnlyIsDynamic) {
  auto b = parse_ok("80");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (PortBinding{"", 0, 0, 80, Proto::Tcp}));
}

TEST(Ports, HostAndContainer) {
  EXPECT_EQ(parse_ok("8080:80"), (std::vector<PortBinding>{{"", 8080, 0, 80, Proto::Tcp}}));
  EXPECT_EQ(parse_ok("8080:80/tcp"), (std::vector<PortBinding>{{"", 8080, 0, 80, Proto::Tcp}}));
  EXPECT_EQ(parse_ok("53:53/udp"), (std::vector<PortBinding>{{"", 53, 0, 53, Proto::Udp}}));
}

TEST(Ports, HostIp) {
  EXPECT_EQ(parse_ok("127.0.0.1:8080:80"),
            (std::vector<PortBinding>{{"127.0.0.1", 8080, 0, 80, Proto::Tcp}}));
  EXPECT_EQ(parse_ok("127.0.0.1::80/udp"),
            (std::vector<PortBinding>{{"127.0.0.1", 0, 0, 80, Proto::Udp}}));
  EXPECT_EQ(parse_ok("0.0.0.0:8080:80"), (std::vector<PortBinding>{{"", 8080, 0, 80, Proto::Tcp}}));
}

TEST(Ports, Ranges) {
  EXPECT_EQ(parse_ok("8000-8002:80-82"), (std::vector<PortBinding>{{"", 8000, 0, 80, Proto::Tcp},
                                                                   {"", 8001, 0, 81, Proto::Tcp},
                                                                   {"", 8002, 0, 82, Proto::Tcp}}));
  EXPECT_EQ(parse_ok("80-81/udp"), (std::vector<PortBinding>{{"", 0, 0, 80, Proto::Udp},
                                                             {"", 0, 0, 81, Proto::Udp}}));
  // A host range for one container port: the first free port of the range.
  EXPECT_EQ(parse_ok("8000-8010:80"), (std::vector<PortBinding>{{"", 8000, 8010, 80, Proto::Tcp}}));
}

TEST(Ports, Errors) {
  EXPECT_EQ(parse_err(""), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("abc"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("0"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("65536"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("8080:"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("x:80"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("80/icmp"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("80/sctp"), Errc::Unsupported);
  EXPECT_EQ(parse_err("90-80"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("8000-8001:80-82"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("300.1.1.1:80:80"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("[::1]:80:80"), Errc::Unsupported);
  EXPECT_EQ(parse_err("::1:80:80"), Errc::InvalidArgument);
  EXPECT_EQ(parse_err("1:2:3:4"), Errc::InvalidArgument);
  auto r = parse_publish("8000-8001:80-82");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
}

TEST(Ports, SeveralFlags) {
  auto r = parse_publish(std::vector<std::string>{"8080:80", "53/udp"});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<PortBinding>{{"", 8080, 0, 80, Proto::Tcp}, {"", 0, 0, 53, Proto::Udp}}));
}

TEST(Ports, PortKey) {
  EXPECT_EQ(parse_port_key("80/tcp").value(), (std::pair<uint16_t, Proto>{80, Proto::Tcp}));
  EXPECT_EQ(parse_port_key("53/udp").value(), (std::pair<uint16_t, Proto>{53, Proto::Udp}));
  EXPECT_EQ(parse_port_key("80").value(), (std::pair<uint16_t, Proto>{80, Proto::Tcp}));
  EXPECT_FALSE(parse_port_key("80-81/tcp"));
  EXPECT_FALSE(parse_port_key("x/tcp"));
  EXPECT_EQ(port_key(80, Proto::Udp), "80/udp");
}

TEST(Ports, JsonFromDocker) {
  auto j = json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":""}],
                           "53/udp":[{"HostPort":"5300-5310"}], "443/tcp":null, "22/tcp":[{}]})");
  auto r = port_bindings_from_json(j);
  ASSERT_TRUE(r) << r.error().str();
  // nlohmann's object is ordered by key.
  EXPECT_EQ(*r, (std::vector<PortBinding>{{"", 0, 0, 22, Proto::Tcp},
                                          {"", 5300, 5310, 53, Proto::Udp},
                                          {"", 8080, 0, 80, Proto::Tcp},
                                          {"127.0.0.1", 0, 0, 80, Proto::Tcp}}));
  EXPECT_TRUE(port_bindings_from_json(json()).value().empty());
  EXPECT_FALSE(port_bindings_from_json(json::parse(R"({"80/tcp":[{"HostPort":8080}]})")));
  EXPECT_FALSE(port_bindings_from_json(json::parse(R"({"80/tcp":[{"HostPort":"x"}]})")));
  EXPECT_FALSE(port_bindings_from_json(json::parse(R"({"x/tcp":[]})")));
  EXPECT_FALSE(port_bindings_from_json(json::parse(R"([1])")));
}

TEST(Ports, JsonRoundTrip) {
  std::vector<PortBinding> in{{"", 8080, 0, 80, Proto::Tcp},
                              {"127.0.0.1", 0, 0, 80, Proto::Tcp},
                              {"", 5300, 5310, 53, Proto::Udp}};
  json j = port_bindings_to_json(in);
  EXPECT_EQ(j, json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":""}],
                               "53/udp":[{"HostIp":"","HostPort":"5300-5310"}]})"));
  auto back = port_bindings_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, (std::vector<PortBinding>{in[2], in[0], in[1]}));
  // What `docker inspect` shows for a running container.
  EXPECT_EQ(port_bindings_to_json({{"", 49153, 49153, 80, Proto::Tcp}}, true),
            json::parse(R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"49153"}]})"));
}

TEST(Ports, PublishAll) {
  auto exposed = json::parse(R"({"80/tcp":{}, "53/udp":{}, "443/tcp":{}})");
  auto r = publish_all({{"", 8080, 0, 80, Proto::Tcp}}, exposed);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<PortBinding>{{"", 8080, 0, 80, Proto::Tcp},
                                          {"", 0, 0, 443, Proto::Tcp},
                                          {"", 0, 0, 53, Proto::Udp}}));
  EXPECT_FALSE(publish_all({}, json::parse(R"({"bad":{}})")));
}

TEST(Ports, HostStr) {
  EXPECT_EQ((PortBinding{"", 8080, 0, 80, Proto::Tcp}).host_str(), "0.0.0.0:8080");
  EXPECT_EQ((PortBinding{"127.0.0.1", 8000, 8010, 80, Proto::Tcp}).host_str(), "127.0.0.1:8000-8010");
}

// Reservation binds on 127.0.0.1 only: no traffic, nothing outside loopback.
TEST(Ports, ReserveDynamicAndConflict) {
  auto r = reserve_ports({{"127.0.0.1", 0, 0, 80, Proto::Tcp}, {"127.0.0.1", 0, 0, 53, Proto::Udp}});
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->bindings().size(), 2u);
  for (const auto& b : r->bindings()) {
    EXPECT_GE(b.host_port, kDynamicPortFirst);
    EXPECT_EQ(b.host_port_end, b.host_port);
  }
  // The same host port again: Docker's message.
  uint16_t taken = r->bindings()[0].host_port;
  auto again = reserve_ports({{"127.0.0.1", taken, 0, 81, Proto::Tcp}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Conflict);
  EXPECT_EQ(again.error().message,
            "Bind for 127.0.0.1:" + std::to_string(taken) + " failed: port is already allocated");
  // A range that starts at the taken port moves on to the next free one.
  auto ranged = reserve_ports({{"127.0.0.1", taken, uint16_t(taken == 65535 ? 65535 : taken + 1),
                                81, Proto::Tcp}});
  if (taken < 65535) {
    ASSERT_TRUE(ranged) << ranged.error().str();
    EXPECT_EQ(ranged->bindings()[0].host_port, taken + 1);
  }
  // All or nothing: the first binding is released when the second fails.
  auto partial = reserve_ports({{"127.0.0.1", 0, 0, 90, Proto::Tcp},
                                {"127.0.0.1", taken, 0, 91, Proto::Tcp}});
  EXPECT_FALSE(partial);
  // Released: the port can be had again.
  r->release();
  auto after = reserve_ports({{"127.0.0.1", taken, 0, 80, Proto::Tcp}});
  EXPECT_TRUE(after) << after.error().str();
}

TEST(Ports, ReserveSeesForeignListener) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  uint16_t port = ntohs(sa.sin_port);
  auto r = reserve_ports({{"127.0.0.1", port, 0, 80, Proto::Tcp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "Bind for 127.0.0.1:" + std::to_string(port) + " failed: port is already allocated");
  // UDP on the same number is a different port.
  EXPECT_TRUE(reserve_ports({{"127.0.0.1", port, 0, 80, Proto::Udp}}));
  ::close(fd);
}
