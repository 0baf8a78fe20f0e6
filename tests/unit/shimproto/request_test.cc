// Request and Reply frames: the daemon asks, the shim answers on the same connection.
#include <gtest/gtest.h>

#include "shimproto/protocol.h"
#include "shimproto/request.h"

using namespace berth;
using namespace berth::shimproto;

TEST(ShimRequest, ArgumentsSitBesideIdAndOp) {
  Request r{7, std::string(op::kKill), {{"signal", 15}}};
  auto j = nlohmann::json::parse(r.encode());
  EXPECT_EQ(j, (nlohmann::json{{"id", 7}, {"op", "kill"}, {"signal", 15}}));
  auto back = Request::decode(r.encode());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->id, 7u);
  EXPECT_EQ(back->op, "kill");
  EXPECT_EQ(back->args, (nlohmann::json{{"signal", 15}}));
}

TEST(ShimRequest, WithoutArguments) {
  Request r{1, std::string(op::kPids), nlohmann::json::object()};
  EXPECT_EQ(nlohmann::json::parse(r.encode()), (nlohmann::json{{"id", 1}, {"op", "pids"}}));
  auto back = Request::decode(R"({"op":"stats","id":18446744073709551615})");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, UINT64_MAX);
  EXPECT_TRUE(back->args.is_object() && back->args.empty());
}

TEST(ShimRequest, MalformedRequestsAreInvalidArgument) {
  for (const char* bad : {"", "[]", "{}", R"({"op":"kill"})", R"({"id":-1,"op":"kill"})", R"({"id":"1","op":"kill"})",
                          R"({"id":1})", R"({"id":1,"op":3})", "{\"id\":1,"}) {
    auto r = Request::decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << bad;
  }
}

TEST(ShimReply, ResultOrError) {
  Reply ok{3, nlohmann::json::array({1, 2})};
  EXPECT_EQ(nlohmann::json::parse(ok.encode()), (nlohmann::json{{"id", 3}, {"result", {1, 2}}}));
  auto back = Reply::decode(ok.encode());
  ASSERT_TRUE(back && back->outcome);
  EXPECT_EQ(*back->outcome, nlohmann::json::array({1, 2}));

  Reply none{4, nlohmann::json()};
  EXPECT_EQ(nlohmann::json::parse(none.encode()), (nlohmann::json{{"id", 4}, {"result", nullptr}}));

  Reply err{5, fail(Errc::Conflict, "the container's process has exited")};
  EXPECT_EQ(nlohmann::json::parse(err.encode()),
            (nlohmann::json{{"id", 5}, {"error", {{"message", "the container's process has exited"}, {"code", "Conflict"}}}}));
  back = Reply::decode(err.encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 5u);
  ASSERT_FALSE(back->outcome);
  EXPECT_EQ(back->outcome.error().code, Errc::Conflict);
  EXPECT_EQ(back->outcome.error().message, "the container's process has exited");
}

TEST(ShimReply, EveryErrcSurvivesTheWire) {
  for (Errc e : {Errc::NotFound, Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict, Errc::PermissionDenied,
                 Errc::Unavailable, Errc::Unsupported, Errc::Internal}) {
    auto back = Reply::decode(Reply{1, fail(e, "x")}.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->outcome.error().code, e) << errc_code(e);
  }
  // A word from a newer shim, or none: Internal, and the message kept.
  auto odd = Reply::decode(R"({"id":1,"error":{"message":"m","code":"Quux"}})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->outcome.error().code, Errc::Internal);
  EXPECT_EQ(odd->outcome.error().message, "m");
  auto bare = Reply::decode(R"({"id":1,"error":"nope"})");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->outcome);
}

TEST(ShimReply, MissingResultIsNull) {
  auto r = Reply::decode(R"({"id":9})");
  ASSERT_TRUE(r && r->outcome);
  EXPECT_TRUE(r->outcome->is_null());
  EXPECT_FALSE(Reply::decode(R"({"result":1})"));
}

TEST(ShimRequest, NewFrameTypesKeepTheirNumbers) {
  // The wire is shared by shims and daemons of different builds (live restore).
  EXPECT_EQ(static_cast<int>(Frame::Reply), 14);
  EXPECT_EQ(static_cast<int>(Frame::Request), 24);
  EXPECT_EQ(static_cast<int>(Frame::Control), 25);
  std::string f = encode_frame(Frame::Request, Request{1, "pause", nlohmann::json::object()}.encode());
  FrameDecoder d;
  d.feed(f);
  auto got = d.next();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->first, Frame::Request);
}
