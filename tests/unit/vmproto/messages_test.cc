// The vm agent protocol's message bodies and handshake (src/vmproto/messages.h).
#include "vmproto/messages.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "base/unique_fd.h"
#include "vmproto/frame.h"

using namespace berth;
using namespace berth::vmproto;
using nlohmann::json;

namespace {

template <class T>
T round_trip(const T& v) {
  auto text = dump_json(v.to_json());
  auto j = parse_json(text, "test");
  EXPECT_TRUE(j) << text;
  auto back = T::from_json(*j);
  EXPECT_TRUE(back) << back.error().str();
  return *back;
}

json oci_config() {
  return {{"ociVersion", "1.0.2"},
          {"process", {{"args", {"/bin/sh", "-c", "echo hi"}}, {"terminal", false}, {"cwd", "/"}}},
          {"root", {{"path", "/run/berth-vm/shares/rootfs"}}}};
}

TEST(VmMessages, HelloNegotiatesTheHighestCommonVersion) {
  Hello a{3, 1, "host", ""}, b{2, 2, "agent", "6.1.0"};
  auto v = negotiate(a, b);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 2u);
  Hello c{5, 4, "new agent", ""};
  auto none = negotiate(b, c);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::Unsupported);
  EXPECT_NE(none.error().message.find("new agent"), std::string::npos) << none.error().message;
  auto back = round_trip(b);
  EXPECT_EQ(back.kernel, "6.1.0");
  EXPECT_EQ(back.version, 2u);
}

TEST(VmMessages, HelloRejectsAnInvertedRange) {
  EXPECT_FALSE(Hello::from_json({{"version", 1}, {"min_version", 2}}));
  EXPECT_FALSE(Hello::from_json({{"version", 1}, {"min_version", 0}}));
  EXPECT_FALSE(Hello::from_json({{"version", -1}, {"min_version", 1}}));
  EXPECT_FALSE(Hello::from_json(json::array()));
}

TEST(VmMessages, RequestAndReplyRoundTrip) {
  Request r{42, "create", CreateContainer{"c1", 1, oci_config(), {}, true, TtySize{24, 80}}.to_json()};
  auto back = round_trip(r);
  EXPECT_EQ(back.id, 42u);
  EXPECT_EQ(back.op, "create");
  auto c = CreateContainer::from_json(back.args);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->id, "c1");
  EXPECT_TRUE(c->stdin_open);
  ASSERT_TRUE(c->tty_size);
  EXPECT_EQ(c->tty_size->rows, 24);
  EXPECT_EQ(c->tty_size->cols, 80);
  EXPECT_EQ(c->config["process"]["args"][2], "echo hi");

  auto ok = round_trip(Reply::ok(42, {{"pid", 7}}));
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.result["pid"], 7);
  auto err = round_trip(Reply::failed(43, Error{Errc::NotFound, ENOENT, "no container \"x\""}));
  ASSERT_TRUE(err.error);
  EXPECT_EQ(err.error->code, Errc::NotFound);
  EXPECT_NE(err.error->message.find("No such file"), std::string::npos) << err.error->message;
}

TEST(VmMessages, ErrorCodesMapBothWays) {
  for (Errc e : {Errc::NotFound, Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict, Errc::PermissionDenied,
                 Errc::Unavailable, Errc::Unsupported, Errc::Internal})
    EXPECT_EQ(errc_from_code(errc_code(e)), e);
  EXPECT_EQ(errc_from_code("Whatever"), Errc::Internal);
}

TEST(VmMessages, RequestRejectsBadShapes) {
  for (const char* bad : {R"([])", R"({"op":"x"})", R"({"id":1})", R"({"id":1,"op":""})", R"({"id":-1,"op":"x"})",
                          R"({"id":1,"op":"x","args":[]})", R"({"id":"1","op":"x"})"}) {
    auto j = parse_json(bad, "t");
    ASSERT_TRUE(j) << bad;
    EXPECT_FALSE(Request::from_json(*j)) << bad;
  }
  EXPECT_FALSE(parse_json("{nope", "request"));
}

TEST(VmMessages, CreateValidatesIdsStreamsAndTheConfig) {
  auto base = CreateContainer{"c1", 1, oci_config(), {}, false, {}}.to_json();
  EXPECT_TRUE(CreateContainer::from_json(base));
  for (const char* id : {"", "../x", "-a", ".a", "a/b", "a b"}) {
    auto j = base;
    j["id"] = id;
    auto r = CreateContainer::from_json(j);
    ASSERT_FALSE(r) << id;
    EXPECT_NE(r.error().message.find("container id"), std::string::npos);
  }
  auto j = base;
  j["stream"] = 0;
  EXPECT_FALSE(CreateContainer::from_json(j));
  j = base;
  j["stream"] = 1ull << 32;
  EXPECT_FALSE(CreateContainer::from_json(j));
  j = base;
  j["config"].erase("process");
  EXPECT_FALSE(CreateContainer::from_json(j));
  j = base;
  j["config"]["root"]["path"] = "relative";
  EXPECT_FALSE(CreateContainer::from_json(j));
  j = base;
  j["config"] = "{}";
  EXPECT_FALSE(CreateContainer::from_json(j));
}

TEST(VmMessages, SharesNeedATagAKnownTypeAndAnAbsoluteTarget) {
  Share s{"rootfs", "virtiofs", "/run/berth-vm/shares/rootfs", true};
  auto back = round_trip(s);
  EXPECT_EQ(back.tag, "rootfs");
  EXPECT_TRUE(back.readonly);
  EXPECT_EQ(round_trip(Share{"v0", "9p", "/v", false}).fstype, "9p");
  for (auto bad : {Share{"", "virtiofs", "/x", false}, Share{"a/b", "virtiofs", "/x", false},
                   Share{std::string(37, 't'), "virtiofs", "/x", false}, Share{"t", "nfs", "/x", false},
                   Share{"t", "virtiofs", "x", false}, Share{"t", "virtiofs", "/", false}})
    EXPECT_FALSE(Share::from_json(bad.to_json())) << bad.tag << " " << bad.fstype << " " << bad.target;
}

TEST(VmMessages, ExecNeedsArgs) {
  ExecProcess e{"c1", 2, {{"args", {"ls"}}, {"terminal", true}}, true, TtySize{10, 20}};
  auto back = round_trip(e);
  EXPECT_EQ(back.stream, 2u);
  EXPECT_EQ(back.process["args"][0], "ls");
  auto j = e.to_json();
  j["process"]["args"] = json::array();
  EXPECT_FALSE(ExecProcess::from_json(j));
  j["process"] = "ls";
  EXPECT_FALSE(ExecProcess::from_json(j));
}

TEST(VmMessages, SignalRangeIsChecked) {
  EXPECT_EQ(round_trip(SignalProcess{3, 15, true}).signal, 15);
  for (int sig : {0, 65, -9})
    EXPECT_FALSE(SignalProcess::from_json({{"stream", 1}, {"signal", sig}})) << sig;
}

TEST(VmMessages, ExitStatusAndStatsRoundTrip) {
  auto e = round_trip(ExitStatus{137, 9, true});
  EXPECT_EQ(e.exit_code, 137);
  EXPECT_EQ(e.signal, 9);
  EXPECT_TRUE(e.oom_killed);
  EXPECT_FALSE(ExitStatus::from_json({{"exit_code", 256}}));

  ContainerStats s;
  s.cpu_usage_ns = 123456789012ull;
  s.memory_usage = 1 << 20;
  s.memory_limit = 128ull << 20;
  s.memory_stat = {{"anon", 4096}, {"file", 8192}};
  s.pids_current = 2;
  s.online_cpus = 2;
  s.guest_mem_total = 120ull << 20;
  auto back = round_trip(s);
  EXPECT_EQ(back.cpu_usage_ns, s.cpu_usage_ns);
  EXPECT_EQ(back.memory_stat, s.memory_stat);
  EXPECT_EQ(back.guest_mem_total, s.guest_mem_total);
  EXPECT_FALSE(ContainerStats::from_json({{"memory_stat", {{"anon", "x"}}}}));
}

TEST(VmMessages, NetworkConfigChecksMacs) {
  NetworkConfig n{{Interface{"52:54:00:12:34:56", {"10.223.0.2/16"}, 1500}}, {Route{"0.0.0.0/0", "10.223.0.1"}}};
  auto back = round_trip(n);
  ASSERT_EQ(back.interfaces.size(), 1u);
  EXPECT_EQ(back.interfaces[0].addresses[0], "10.223.0.2/16");
  EXPECT_EQ(back.routes[0].gateway, "10.223.0.1");
  for (const char* mac : {"52:54:00:12:34", "52-54-00-12-34-56", "zz:54:00:12:34:56"}) {
    auto j = n.to_json();
    j["interfaces"][0]["mac"] = mac;
    EXPECT_FALSE(NetworkConfig::from_json(j)) << mac;
  }
}

TEST(VmMessages, InterfaceSetMacIsOptionalAndChecked) {
  NetworkConfig n{{Interface{"02:11:22:33:44:55", {"10.223.0.2/16"}, 0}}, {}};
  EXPECT_FALSE(n.to_json()["interfaces"][0].contains("set_mac"));  // older agents see what they know
  EXPECT_EQ(round_trip(n).interfaces[0].set_mac, "");
  n.interfaces[0].set_mac = "02:42:0a:f2:00:02";
  EXPECT_EQ(round_trip(n).interfaces[0].set_mac, "02:42:0a:f2:00:02");
  auto j = n.to_json();
  j["interfaces"][0]["set_mac"] = "02:42:0a:f2:00";
  EXPECT_FALSE(NetworkConfig::from_json(j));
  j["interfaces"][0]["set_mac"] = 5;
  EXPECT_FALSE(NetworkConfig::from_json(j));
}

TEST(VmMessages, DumpNeverThrowsOnInvalidUtf8) {
  json j = {{"env", "A=\xff\xfe"}};
  std::string s = dump_json(j);
  EXPECT_NE(s.find("A="), std::string::npos);
}

TEST(VmMessages, HandshakeOverASocketPair) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd host(sv[0]), guest(sv[1]);
  Result<Handshake> g;
  std::thread agent([&] { g = guest_handshake(guest.get(), Hello{1, 1, "berth-vm-agent", "6.1.0-test"}); });
  auto h = host_handshake(host.get(), Hello{2, 1, "test-host", ""});
  agent.join();
  ASSERT_TRUE(h) << h.error().str();
  ASSERT_TRUE(g) << g.error().str();
  EXPECT_EQ(h->version, 1u);
  EXPECT_EQ(g->version, 1u);
  EXPECT_EQ(h->peer.kernel, "6.1.0-test");
  EXPECT_EQ(g->peer.software, "test-host");
}

TEST(VmMessages, HandshakeRefusesAnotherFrameFirst) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd host(sv[0]), guest(sv[1]);
  ASSERT_TRUE(write_frame(host.get(), Frame::Stdin, 1, "x"));
  auto g = guest_handshake(guest.get(), Hello{});
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("expected a Hello"), std::string::npos) << g.error().message;
}

TEST(VmMessages, HandshakeFailsWhenThePeerLeaves) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd host(sv[0]), guest(sv[1]);
  std::thread agent([&] {
    auto f = read_frame(guest.get());  // takes the host's hello, then hangs up
    guest.reset();
  });
  auto h = host_handshake(host.get(), Hello{});
  agent.join();
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::Unavailable);
}

}  // namespace
