// The rootless pieces that need no namespaces: default places, the choice and
// command line of the network stack, the port driver's requests and its
// forwarding (over loopback, within this process).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rootless/ns_holder.h"

#include "rootless/netstack.h"
#include "rootless/paths.h"
#include "rootless/port_driver.h"

namespace berth::rootless {
namespace {

Getenv env_of(std::map<std::string, std::string> m) {
  auto held = std::make_shared<std::map<std::string, std::string>>(std::move(m));
  return [held](const char* name) -> const char* {
    auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}

TEST(Paths, FromXdgRuntimeDirAndHome) {
  auto p = default_paths(env_of({{"XDG_RUNTIME_DIR", "/run/user/1000/"}, {"HOME", "/home/a"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->socket, "unix:///run/user/1000/berth.sock");
  EXPECT_EQ(p->exec_root, "/run/user/1000/berth");
  EXPECT_EQ(p->data_root, "/home/a/.local/share/berth");
  EXPECT_EQ(p->config_file, "/home/a/.config/berth/daemon.json");
}

TEST(Paths, XdgDataAndConfigHomeWin) {
  auto p = default_paths(env_of({{"XDG_RUNTIME_DIR", "/r"}, {"XDG_DATA_HOME", "/d"}, {"XDG_CONFIG_HOME", "/c"}}));
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->data_root, "/d/berth");
  EXPECT_EQ(p->config_file, "/c/berth/daemon.json");
}

TEST(Paths, MissingOrRelativeVariablesAreNamed) {
  auto a = default_paths(env_of({{"HOME", "/home/a"}}));
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("XDG_RUNTIME_DIR"), std::string::npos);
  auto b = default_paths(env_of({{"XDG_RUNTIME_DIR", "/r"}}));
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("HOME"), std::string::npos);
  auto c = default_paths(env_of({{"XDG_RUNTIME_DIR", "run"}, {"HOME", "/h"}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("absolute"), std::string::npos);
}

TEST(NetStack, AutoPrefersPastaThenSlirp) {
  auto all = [](const std::string&) { return true; };
  auto slirp_only = [](const std::string& p) { return p == "slirp4netns"; };
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(*choose_netstack("auto", all), NetStack::Pasta);
  EXPECT_EQ(*choose_netstack("auto", slirp_only), NetStack::Slirp4netns);
  EXPECT_EQ(*choose_netstack("slirp4netns", all), NetStack::Slirp4netns);
  auto missing = choose_netstack("pasta", slirp_only);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("passt"), std::string::npos);
  auto nothing = choose_netstack("auto", none);
  ASSERT_FALSE(nothing);
  EXPECT_NE(nothing.error().message.find("slirp4netns"), std::string::npos);
  EXPECT_FALSE(choose_netstack("vpnkit", all));
}

TEST(NetStack, CommandLines) {
  NetStackOptions o;
  o.target = 42;
  o.pid_file = "/r/pasta.pid";
  auto pasta = netstack_argv(NetStack::Pasta, o);
  EXPECT_EQ(pasta.front(), "pasta");
  EXPECT_EQ(pasta.back(), "42");
  EXPECT_NE(std::find(pasta.begin(), pasta.end(), "--no-map-gw"), pasta.end());  // no host loopback by default
  o.host_loopback = true;
  pasta = netstack_argv(NetStack::Pasta, o);
  EXPECT_EQ(std::find(pasta.begin(), pasta.end(), "--no-map-gw"), pasta.end());
  o.ready_fd = 5;
  o.exit_fd = 6;
  o.host_loopback = false;
  auto slirp = netstack_argv(NetStack::Slirp4netns, o);
  EXPECT_EQ(slirp.front(), "slirp4netns");
  EXPECT_EQ(slirp[slirp.size() - 2], "/proc/42/ns/net");
  EXPECT_EQ(slirp.back(), "tap0");
  EXPECT_NE(std::find(slirp.begin(), slirp.end(), "--ready-fd=5"), slirp.end());
  EXPECT_NE(std::find(slirp.begin(), slirp.end(), "--userns-path=/proc/42/ns/user"), slirp.end());
  EXPECT_NE(std::find(slirp.begin(), slirp.end(), "--disable-host-loopback"), slirp.end());
}

TEST(PortDriver, ParsesRequests) {
  auto r = parse_port_request("tcp 127.0.0.1 8080");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->ip, "127.0.0.1");
  EXPECT_EQ(r->port, 8080);
  EXPECT_TRUE(parse_port_request("tcp :: 1"));
  for (const char* bad : {"udp 0.0.0.0 53", "tcp 0.0.0.0", "tcp 0.0.0.0 0", "tcp 0.0.0.0 65536", "tcp host 80",
                          "tcp 1.2.3.4 80x", ""})
    EXPECT_FALSE(parse_port_request(bad)) << bad;
}

uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// The outer process's server and berthd's client over a socket pair, then a
// Forwarder from the host listener to an echo server: bytes go both ways.
TEST(PortDriver, ListensThroughThePeerAndForwards) {
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd server_end(sp[0]);
  std::thread server([&] {
    while (serve_port_request(server_end.get())) {
    }
  });
  // An echo server standing in for the published port inside the namespace.
  auto echo_listener = listen_on_host({"127.0.0.1", 0}).value_or(UniqueFd());
  ASSERT_TRUE(echo_listener);
  uint16_t echo_port = bound_port(echo_listener.get());
  std::thread echo([&] {
    int c = ::accept(echo_listener.get(), nullptr, nullptr);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(c, buf, sizeof buf)) > 0) (void)!::write(c, buf, static_cast<size_t>(n));
    ::close(c);
  });
  {
    PortClient client{UniqueFd(sp[1])};
    net::PortBinding b;
    b.host_ip = "127.0.0.1";
    b.host_port = 0;  // any: the test reads back which
    b.container_port = 80;
    // Port 0 is refused by the request parser: ask for a real free port instead.
    auto probe = listen_on_host({"127.0.0.1", 0});
    ASSERT_TRUE(probe);
    b.host_port = bound_port(probe->get());
    probe->reset();
    auto host = client.listen(b);
    ASSERT_TRUE(host) << host.error().str();
    // The same port again: taken on the host, said as Docker says it.
    auto again = client.listen(b);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::Conflict);
    net::PortBinding udp = b;
    udp.proto = net::Proto::Udp;
    EXPECT_EQ(client.listen(udp).error().code, Errc::Unsupported);

    auto fw = Forwarder::start(std::move(*host), "127.0.0.1", echo_port);
    ASSERT_TRUE(fw);
    UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(b.host_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string msg(100000, 'x');
    std::thread writer([&] {
      (void)!::write(c.get(), msg.data(), msg.size());
      ::shutdown(c.get(), SHUT_WR);
    });
    std::string got;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(c.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    writer.join();
    EXPECT_EQ(got, msg);
    fw->reset();  // stops accepting: the host port is free again
    auto rebound = listen_on_host({"127.0.0.1", b.host_port});
    EXPECT_TRUE(rebound) << rebound.error().str();
  }  // the client's end closes: the server loop ends
  server.join();
  echo.join();
}

}  // namespace
}  // namespace berth::rootless

namespace berth::rootless {
namespace {

TEST(NamespaceHolder, RequestsAndRepliesRoundTrip) {
  EXPECT_EQ(join_request(NetStack::Pasta), "join pasta");
  EXPECT_EQ(*parse_join_request(join_request(NetStack::Slirp4netns)), NetStack::Slirp4netns);
  EXPECT_FALSE(parse_join_request("join vde"));
  EXPECT_FALSE(parse_join_request("hello"));
  auto ok = parse_holder_reply("ok slirp4netns");
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->retire);
  EXPECT_EQ(ok->net_kind, NetStack::Slirp4netns);
  auto retire = parse_holder_reply("retire");
  ASSERT_TRUE(retire);
  EXPECT_TRUE(retire->retire);
  EXPECT_FALSE(parse_holder_reply("ok"));
  EXPECT_FALSE(parse_holder_reply(""));
}

// The holder's "is anything still running in my namespaces" scan: this test
// process is in the host's user namespace, like every other process here.
TEST(NamespaceHolder, FindsOtherProcessesOfAUserNamespace) {
  struct stat st {};
  ASSERT_EQ(::stat("/proc/self/ns/user", &st), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto all = processes_in_user_namespace(st.st_ino, ::getpid(), 0, 1000000);
  auto without_child = processes_in_user_namespace(st.st_ino, ::getpid(), child, 1000000);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_NE(std::find(all.begin(), all.end(), child), all.end()) << "a child shares it";
  EXPECT_EQ(std::find(all.begin(), all.end(), ::getpid()), all.end()) << "self is left out";
  EXPECT_EQ(std::find(without_child.begin(), without_child.end(), child), without_child.end()) << "`except` is left out";
  EXPECT_EQ(processes_in_user_namespace(st.st_ino, ::getpid(), 0, 1).size(), 1u) << "the limit holds";
  EXPECT_TRUE(processes_in_user_namespace(st.st_ino + 0x7fffffff, ::getpid(), 0, 10).empty())
      << "nothing has a made-up inode";
}

TEST(NamespaceHolder, NoHolderIsNotAnError) {
  auto none = join_holder("/tmp/berth-no-such-holder-" + std::to_string(::getpid()) + ".sock", NetStack::Pasta);
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace berth::rootless
