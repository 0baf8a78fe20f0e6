// PodServer (the VM pod keeper's loop) over real sockets: a socketpair stands
// for the agent's channel, runners connect to the keeper's listening socket.
#include "vm/pod_keeper.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <csignal>
#include <filesystem>
#include <thread>

#include "base/file.h"
#include "vmproto/messages.h"

namespace berth::vm {
namespace {

using vmproto::Frame;

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/vmpod-unit.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

UniqueFd listen_at(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::listen(s.get(), 8), 0);
  return s;
}

UniqueFd connect_to(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return s;
}

std::string request(uint64_t id, const std::string& op, nlohmann::json args) {
  return vmproto::dump_json(vmproto::Request{id, op, std::move(args)}.to_json());
}

TEST(PodServer, GreetsRoutesAndCleansUpAfterARunner) {
  TempDir dir;
  int agent[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent), 0);
  UniqueFd agent_keeper(agent[0]), agent_guest(agent[1]);
  int never[2];
  ASSERT_EQ(::pipe2(never, O_CLOEXEC | O_NONBLOCK), 0);  // no signal comes
  UniqueFd sig_r(never[0]), sig_w(never[1]);
  auto listen = listen_at(dir.path + "/pod.sock");
  PodServer server(agent_keeper.get(), listen.get(), sig_r.get(), {{"share_dir", dir.path + "/share"}, {"kernel", "6.1-g"}},
                   [] { return false; });
  std::thread t([&] { server.run(); });

  auto r1 = connect_to(dir.path + "/pod.sock");
  auto r2 = connect_to(dir.path + "/pod.sock");
  auto h1 = vmproto::read_frame(r1.get());
  auto h2 = vmproto::read_frame(r2.get());
  ASSERT_TRUE(h1 && h2);
  EXPECT_EQ(h1->type, Frame::Hello);
  auto g1 = nlohmann::json::parse(h1->payload), g2 = nlohmann::json::parse(h2->payload);
  uint32_t s1 = g1["slot"], s2 = g2["slot"];
  EXPECT_NE(s1, 0u);
  EXPECT_NE(s1, s2);
  EXPECT_EQ(g1["share_dir"], dir.path + "/share");
  EXPECT_EQ(g1["kernel"], "6.1-g");

  // A runner's create reaches the agent byte for byte; the reply comes back to it alone.
  std::string create = request(slot_id(s1, 1), "create",
                               {{"id", "c1"}, {"stream", slot_stream(s1, 1)}, {"config", {{"root", {{"path", "/"}}}}}});
  ASSERT_TRUE(vmproto::write_frame(r1.get(), Frame::Request, 0, create));
  auto got = vmproto::read_frame(agent_guest.get());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, create);
  ASSERT_TRUE(vmproto::write_frame(agent_guest.get(), Frame::Reply, 0,
                                   vmproto::dump_json(vmproto::Reply::ok(slot_id(s1, 1)).to_json())));
  auto reply = vmproto::read_frame(r1.get());
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, Frame::Reply);
  // Output of runner 2's stream goes to runner 2.
  ASSERT_TRUE(vmproto::write_frame(agent_guest.get(), Frame::Stdout, slot_stream(s2, 1), "to two"));
  auto out = vmproto::read_frame(r2.get());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->payload, "to two");

  // Runner 1 hangs up: its container is killed (all its processes) by the keeper.
  r1.reset();
  auto kill = vmproto::read_frame(agent_guest.get());
  ASSERT_TRUE(kill);
  auto k = vmproto::parse_message<vmproto::Request>(kill->payload, "kill");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->op, "signal");
  EXPECT_EQ(k->args["stream"], slot_stream(s1, 1));
  EXPECT_EQ(k->args["signal"], SIGKILL);

  // The VM goes (its channel closes): the loop ends and runner 2 sees EOF.
  agent_guest.reset();
  t.join();
  auto eof = vmproto::read_frame(r2.get());
  EXPECT_FALSE(eof.has_value());
}

TEST(PodServer, AContainerOfAVmPodFindsTheKeeperBesideItsNetns) {
  TempDir dir;
  nlohmann::json config = {{"linux", {{"namespaces", {{{"type", "network"}, {"path", dir.path + "/net"}}}}}}};
  EXPECT_EQ(vm_pod_socket(config), "");  // a namespace pod: no marker
  ASSERT_TRUE(write_file_atomic(dir.path + "/" + kVmPodMarker, "", 0644, false));
  EXPECT_EQ(vm_pod_socket(config), dir.path + "/vm/pod.sock");
  nlohmann::json own = {{"linux", {{"namespaces", {{{"type", "network"}}}}}}};
  EXPECT_EQ(vm_pod_socket(own), "");  // its own netns: a VM of its own
  EXPECT_EQ(vm_pod_socket(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace berth::vm
