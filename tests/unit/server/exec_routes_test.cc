#include <gtest/gtest.h>

#include "fake_backends.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

TEST(ExecRoutes, CreateParsesAndErrorsMap) {
  Router router;
  FakeExec backend;
  add_exec_routes(router, backend);
  auto a = call(router, "POST", "/containers/c/exec", R"({"Cmd":["ls","/"],"Tty":true,"User":"app"})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(backend.created->cmd, (std::vector<std::string>{"ls", "/"}));
  EXPECT_TRUE(backend.created->tty);
  EXPECT_EQ(call(router, "POST", "/containers/c/exec", R"({"Cmd":["ls"],"Tty":"yes"})").status, 400);
  EXPECT_EQ(call(router, "POST", "/exec/e/start", R"({"Detach":1})").status, 400);
  backend.error = Error{Errc::NotFound, 0, "No such exec instance: e"};
  EXPECT_EQ(call(router, "GET", "/exec/e/json").status, 404);
  EXPECT_EQ(call(router, "POST", "/exec/e/start", R"({"Detach":true})").status, 404);
  EXPECT_EQ(call(router, "POST", "/exec/e/resize?h=1&w=1").status, 404);
  backend.error = Error{Errc::Conflict, 0, "Container c is not running"};
  EXPECT_EQ(call(router, "POST", "/containers/c/exec", R"({"Cmd":["ls"]})").status, 409);
}

}  // namespace
}  // namespace berth::server::testing
