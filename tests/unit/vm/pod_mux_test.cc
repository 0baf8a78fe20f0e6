#include "vm/pod_mux.h"

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

#include "vmproto/messages.h"

namespace berth::vm {
namespace {

using vmproto::Frame;
using vmproto::FrameData;

struct Sent {
  uint32_t slot = 0;  // 0 = to the agent
  Frame type{};
  uint32_t stream = 0;
  std::string payload;
};

// The runners' connections and the agent channel are recording fakes.
class PodMuxTest : public ::testing::Test {
 protected:
  PodMuxTest()
      : mux_({[this](Frame t, uint32_t s, std::string_view p) { sent_.push_back({0, t, s, std::string(p)}); },
              [this](uint32_t slot, Frame t, uint32_t s, std::string_view p) {
                sent_.push_back({slot, t, s, std::string(p)});
              }}) {}

  static FrameData request(uint64_t id, const std::string& op, nlohmann::json args) {
    return {Frame::Request, 0, vmproto::dump_json(vmproto::Request{id, op, std::move(args)}.to_json())};
  }
  static FrameData reply_ok(uint64_t id, nlohmann::json result = nlohmann::json::object()) {
    return {Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::ok(id, std::move(result)).to_json())};
  }
  static FrameData reply_failed(uint64_t id) {
    return {Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::failed(id, Error{Errc::Internal, 0, "no"}).to_json())};
  }
  static vmproto::Request as_request(const Sent& s) {
    auto r = vmproto::parse_message<vmproto::Request>(s.payload, "test");
    EXPECT_TRUE(r.has_value());
    return r ? *r : vmproto::Request{};
  }
  static vmproto::Reply as_reply(const Sent& s) {
    auto r = vmproto::parse_message<vmproto::Reply>(s.payload, "test");
    EXPECT_TRUE(r.has_value());
    return r ? *r : vmproto::Reply{};
  }
  // A runner on `slot` creates container `id` with init stream n=1.
  void create(uint32_t slot, const std::string& id, uint64_t n = 1) {
    vmproto::CreateContainer c;
    c.id = id;
    c.stream = slot_stream(slot, 1);
    c.config = {{"root", {{"path", "/"}}}, {"process", {{"args", {"sh"}}}}};
    mux_.from_runner(slot, request(slot_id(slot, n), "create", c.to_json()));
  }
  std::vector<Sent> take() { return std::exchange(sent_, {}); }

  std::vector<Sent> sent_;
  PodMux mux_;
};

TEST_F(PodMuxTest, SlotsAreDistinctAndRangesDoNotOverlap) {
  uint32_t a = mux_.attach(), b = mux_.attach();
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(slot_of_stream(slot_stream(a, 0xffff)), a);
  EXPECT_EQ(slot_of_id(slot_id(b, 0xffffffffu)), b);
  EXPECT_NE(slot_of_stream(slot_stream(a, 7)), slot_of_stream(slot_stream(b, 7)));
}

TEST_F(PodMuxTest, RoutesRepliesByIdAndStreamsByStream) {
  uint32_t a = mux_.attach(), b = mux_.attach();
  create(a, "ca");
  create(b, "cb");
  auto out = take();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& s : out) EXPECT_EQ(s.slot, 0u);  // both to the agent, unchanged
  EXPECT_EQ(as_request(out[0]).id, slot_id(a, 1));
  EXPECT_EQ(as_request(out[1]).id, slot_id(b, 1));

  // Replies in the other order still find their runners.
  mux_.from_agent(reply_ok(slot_id(b, 1), {{"pid", 7}}));
  mux_.from_agent(reply_ok(slot_id(a, 1), {{"pid", 8}}));
  mux_.from_agent({Frame::Stdout, slot_stream(a, 1), "from a"});
  mux_.from_agent({Frame::Stderr, slot_stream(b, 1), "from b"});
  out = take();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].slot, b);
  EXPECT_EQ(as_reply(out[0]).result["pid"], 7);
  EXPECT_EQ(out[1].slot, a);
  EXPECT_EQ(out[2].slot, a);
  EXPECT_EQ(out[2].payload, "from a");
  EXPECT_EQ(out[2].stream, slot_stream(a, 1));
  EXPECT_EQ(out[3].slot, b);
  EXPECT_EQ(out[3].type, Frame::Stderr);
}

TEST_F(PodMuxTest, RunnerStdinGoesOnlyToItsOwnStreams) {
  uint32_t a = mux_.attach(), b = mux_.attach();
  mux_.from_runner(a, {Frame::Stdin, slot_stream(a, 1), "mine"});
  mux_.from_runner(a, {Frame::Stdin, slot_stream(b, 1), "theirs"});
  mux_.from_runner(a, {Frame::Resize, 0, "{}"});
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, 0u);
  EXPECT_EQ(out[0].payload, "mine");
}

TEST_F(PodMuxTest, RefusesWhatIsNotTheRunners) {
  uint32_t a = mux_.attach(), b = mux_.attach();
  create(b, "cb");
  take();
  struct Case {
    std::string op;
    nlohmann::json args;
  } cases[] = {
      {"start", {{"id", "cb"}}},                                // another runner's container
      {"stats", {{"id", "nobody"}}},                            // no one's
      {"delete", {{"id", "cb"}}},
      {"signal", {{"stream", slot_stream(b, 1)}, {"signal", 9}}},  // another's stream
      {"wait", {{"stream", slot_stream(b, 1)}}},
      {"exec", {{"container", "cb"}, {"stream", slot_stream(a, 2)}, {"process", {{"args", {"sh"}}}}}},
      {"network", {{"interfaces", nlohmann::json::array()}}},   // the VM's, the keeper's alone
      {"shutdown", nlohmann::json::object()},
      {"create", {{"id", "cb"}, {"stream", slot_stream(a, 1)}, {"config", {{"root", {{"path", "/"}}}}}}},  // taken id
      {"create", {{"id", "x"}, {"stream", slot_stream(b, 3)}, {"config", {{"root", {{"path", "/"}}}}}}},   // another's stream
  };
  uint64_t n = 10;
  for (const auto& c : cases) {
    mux_.from_runner(a, request(slot_id(a, n), c.op, c.args));
    auto out = take();
    ASSERT_EQ(out.size(), 1u) << c.op;
    EXPECT_EQ(out[0].slot, a) << c.op << " reached the agent";
    auto r = as_reply(out[0]);
    EXPECT_EQ(r.id, slot_id(a, n));
    ASSERT_TRUE(r.error.has_value()) << c.op;
    EXPECT_NE(r.error->message.find("refused"), std::string::npos) << r.error->message;
    ++n;
  }
  // An id outside its range is refused too, whatever the request.
  mux_.from_runner(a, request(slot_id(b, 99), "signal", {{"stream", slot_stream(a, 1)}, {"signal", 15}}));
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, a);
  EXPECT_TRUE(as_reply(out[0]).error.has_value());
  EXPECT_EQ(mux_.containers_of(b), std::set<std::string>{"cb"});
}

TEST_F(PodMuxTest, AllowedRequestsPassUnchanged) {
  uint32_t a = mux_.attach();
  create(a, "ca");
  mux_.from_agent(reply_ok(slot_id(a, 1)));
  take();
  std::vector<FrameData> reqs = {
      request(slot_id(a, 2), "start", {{"id", "ca"}}),
      request(slot_id(a, 3), "exec", {{"container", "ca"}, {"stream", slot_stream(a, 2)}, {"process", {{"args", {"id"}}}}}),
      request(slot_id(a, 4), "signal", {{"stream", slot_stream(a, 1)}, {"signal", 15}}),
      request(slot_id(a, 5), "stats", {{"id", "ca"}}),
      request(slot_id(a, 6), "pause", {{"id", "ca"}}),
  };
  for (const auto& r : reqs) mux_.from_runner(a, r);
  auto out = take();
  ASSERT_EQ(out.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(out[i].slot, 0u);
    EXPECT_EQ(out[i].payload, reqs[i].payload);  // byte for byte
  }
}

TEST_F(PodMuxTest, AFailedCreateOwnsNothingAndADeleteFrees) {
  uint32_t a = mux_.attach();
  create(a, "ca", 1);
  mux_.from_agent(reply_failed(slot_id(a, 1)));
  EXPECT_TRUE(mux_.containers_of(a).empty());
  create(a, "cb", 2);
  mux_.from_agent(reply_ok(slot_id(a, 2)));
  EXPECT_EQ(mux_.containers_of(a), std::set<std::string>{"cb"});
  mux_.from_runner(a, request(slot_id(a, 3), "delete", {{"id", "cb"}}));
  mux_.from_agent(reply_ok(slot_id(a, 3)));
  EXPECT_TRUE(mux_.containers_of(a).empty());
  take();
  mux_.detach(a);
  EXPECT_TRUE(take().empty());  // nothing left to kill
  EXPECT_FALSE(mux_.slot_in_use(a));
}

TEST_F(PodMuxTest, ARunnerThatLeavesHasItsContainersKilledWaitedAndDeleted) {
  uint32_t a = mux_.attach(), b = mux_.attach();
  create(a, "ca");
  create(b, "cb");
  mux_.from_agent(reply_ok(slot_id(a, 1)));
  mux_.from_agent(reply_ok(slot_id(b, 1)));
  take();
  mux_.detach(a);
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  auto kill = as_request(out[0]);
  EXPECT_EQ(out[0].slot, 0u);
  EXPECT_EQ(kill.op, "signal");
  EXPECT_EQ(slot_of_id(kill.id), 0u);  // the keeper's own
  EXPECT_EQ(kill.args["stream"], slot_stream(a, 1));
  EXPECT_EQ(kill.args["signal"], SIGKILL);
  EXPECT_EQ(kill.args["all"], true);
  EXPECT_TRUE(mux_.slot_in_use(a));  // not reused while being cleaned

  // Output of the dying container reaches nobody (its runner is gone).
  mux_.from_agent({Frame::Exited, slot_stream(a, 1), "{\"exit_code\":137}"});
  EXPECT_TRUE(take().empty());

  mux_.from_agent(reply_ok(kill.id));
  out = take();
  ASSERT_EQ(out.size(), 1u);
  auto wait = as_request(out[0]);
  EXPECT_EQ(wait.op, "wait");
  EXPECT_EQ(wait.args["stream"], slot_stream(a, 1));
  mux_.from_agent(reply_ok(wait.id, {{"exit_code", 137}}));
  out = take();
  ASSERT_EQ(out.size(), 1u);
  auto del = as_request(out[0]);
  EXPECT_EQ(del.op, "delete");
  EXPECT_EQ(del.args["id"], "ca");
  mux_.from_agent(reply_ok(del.id));
  EXPECT_TRUE(take().empty());
  EXPECT_FALSE(mux_.slot_in_use(a));
  EXPECT_TRUE(mux_.containers_of(a).empty());
  EXPECT_EQ(mux_.containers_of(b), std::set<std::string>{"cb"});  // the other runner's is untouched
  // The other runner is still routed to.
  mux_.from_agent({Frame::Stdout, slot_stream(b, 1), "still here"});
  out = take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].slot, b);
}

TEST_F(PodMuxTest, CleanupFinishesWhenTheCreateFailsAfterTheRunnerLeft) {
  uint32_t a = mux_.attach();
  create(a, "ca");
  take();
  mux_.detach(a);  // before the create's reply
  auto kill = as_request(take().at(0));
  mux_.from_agent(reply_failed(slot_id(a, 1)));  // the create failed: nothing to delete
  mux_.from_agent(reply_failed(kill.id));
  EXPECT_TRUE(take().empty());
  EXPECT_FALSE(mux_.slot_in_use(a));
}

TEST_F(PodMuxTest, KeeperRequestsGetTheirRepliesAndRunnersNever) {
  uint32_t a = mux_.attach();
  std::string got;
  mux_.keeper_request("shutdown", "{}", [&](std::string_view r) { got = std::string(r); });
  auto out = take();
  ASSERT_EQ(out.size(), 1u);
  auto req = as_request(out[0]);
  EXPECT_EQ(req.op, "shutdown");
  EXPECT_EQ(slot_of_id(req.id), 0u);
  mux_.from_agent(reply_ok(req.id));
  EXPECT_FALSE(got.empty());
  EXPECT_TRUE(take().empty());  // not to the runner
  (void)a;
}

TEST_F(PodMuxTest, MalformedFramesAreDropped) {
  uint32_t a = mux_.attach();
  mux_.from_runner(a, {Frame::Request, 0, "not json"});
  mux_.from_agent({Frame::Reply, 0, "{"});
  mux_.from_agent({Frame::Stdout, slot_stream(a + 7, 1), "to nobody"});
  mux_.from_runner(a + 7, request(slot_id(a + 7, 1), "start", {{"id", "x"}}));  // not attached
  EXPECT_TRUE(take().empty());
}

}  // namespace
}  // namespace berth::vm
