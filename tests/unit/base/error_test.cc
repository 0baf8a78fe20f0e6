#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "base/defer.h"
#include "base/error.h"

using namespace berth;

namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Errc::InvalidArgument, "value " + std::to_string(v) + " is not positive");
  return v;
}

Result<int> doubled(int v) {
  int x = TRY(parse_positive(v));
  return x * 2;
}

Result<int> doubled_ctx(int v) {
  int x = TRY_CTX(parse_positive(v), "doubling");
  return x * 2;
}

Result<void> check(int v) {
  if (v < 0) return fail_errno("checking " + std::to_string(v), ENOENT);
  return {};
}

Result<void> check_twice(int a, int b) {
  TRYV(check(a));
  TRYV_CTX(check(b), "second value");
  return {};
}

Result<std::unique_ptr<int>> make_ptr(int v) {
  if (v < 0) return fail(Errc::Internal, "negative");
  return std::make_unique<int>(v);
}

Result<int> deref_ptr(int v) {
  // TRY must move the value out: unique_ptr is move-only.
  std::unique_ptr<int> p = TRY(make_ptr(v));
  return *p;
}

int g_calls = 0;
Result<int> counted(int v) {
  ++g_calls;
  return parse_positive(v);
}
Result<int> evaluate_once(int v) {
  int x = TRY(counted(v));
  return x;
}

}  // namespace

TEST(Result, TryYieldsTheValue) {
  auto r = doubled(21);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
}

TEST(Result, TryPropagatesTheErrorUnchanged) {
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().sys_errno, 0);
  EXPECT_EQ(r.error().message, "value -1 is not positive");
}

TEST(Result, TryCtxPrependsContext) {
  auto r = doubled_ctx(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message, "doubling: value 0 is not positive");
  auto ok = doubled_ctx(3);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 6);
}

TEST(Result, TryvPropagatesVoidResults) {
  EXPECT_TRUE(check_twice(1, 2));
  auto first = check_twice(-1, 2);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, "checking -1");
  auto second = check_twice(1, -2);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "second value: checking -2");
  EXPECT_EQ(second.error().code, Errc::NotFound);
  EXPECT_EQ(second.error().sys_errno, ENOENT);
}

TEST(Result, TryMovesMoveOnlyValues) {
  auto r = deref_ptr(7);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
  EXPECT_FALSE(deref_ptr(-7));
}

TEST(Result, TryEvaluatesTheExpressionOnce) {
  g_calls = 0;
  EXPECT_TRUE(evaluate_once(5));
  EXPECT_EQ(g_calls, 1);
  EXPECT_FALSE(evaluate_once(-5));
  EXPECT_EQ(g_calls, 2);
}

TEST(Error, StrAppendsStrerrorOnlyForSyscalls) {
  Error plain{Errc::Conflict, 0, "container x is running"};
  EXPECT_EQ(plain.str(), "container x is running");
  Error sys{Errc::NotFound, ENOENT, "opening /nope"};
  EXPECT_EQ(sys.str(), std::string("opening /nope: ") + std::strerror(ENOENT));
}

TEST(Error, WrapNestsContextOutermostFirst) {
  Error e{Errc::PermissionDenied, EACCES, "mounting /proc"};
  e.wrap("preparing rootfs").wrap("creating container c1");
  EXPECT_EQ(e.message, "creating container c1: preparing rootfs: mounting /proc");
  EXPECT_EQ(e.code, Errc::PermissionDenied);
  EXPECT_EQ(e.sys_errno, EACCES);
  Error moved = Error{Errc::Internal, 0, "x"}.wrap("y");
  EXPECT_EQ(moved.message, "y: x");
}

TEST(Error, FailErrnoCapturesErrnoAndMapsTheCode) {
  errno = EEXIST;
  auto r = []() -> Result<void> { return fail_errno("mkdir /run/berth/c1"); }();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EEXIST);
  EXPECT_EQ(r.error().code, Errc::AlreadyExists);
  EXPECT_EQ(r.error().message, "mkdir /run/berth/c1");
  auto explicit_errno = []() -> Result<void> { return fail_errno("kill", ESRCH); }();
  EXPECT_EQ(explicit_errno.error().code, Errc::NotFound);
  EXPECT_EQ(explicit_errno.error().sys_errno, ESRCH);
}

TEST(Error, ErrnoMapping) {
  struct Case {
    int err;
    Errc code;
  } cases[] = {
      {ENOENT, Errc::NotFound},          {ESRCH, Errc::NotFound},
      {ENXIO, Errc::NotFound},           {EEXIST, Errc::AlreadyExists},
      {EINVAL, Errc::InvalidArgument},   {ENAMETOOLONG, Errc::InvalidArgument},
      {ENOTDIR, Errc::InvalidArgument},  {EISDIR, Errc::InvalidArgument},
      {ELOOP, Errc::InvalidArgument},    {E2BIG, Errc::InvalidArgument},
      {EBUSY, Errc::Conflict},           {ETXTBSY, Errc::Conflict},
      {EPERM, Errc::PermissionDenied},   {EACCES, Errc::PermissionDenied},
      {EROFS, Errc::PermissionDenied},   {EAGAIN, Errc::Unavailable},
      {ENOSPC, Errc::Unavailable},       {ENOMEM, Errc::Unavailable},
      {EMFILE, Errc::Unavailable},       {ENFILE, Errc::Unavailable},
      {ENOSYS, Errc::Unsupported},       {EOPNOTSUPP, Errc::Unsupported},
      {EIO, Errc::Internal},             {0, Errc::Internal},
  };
  for (const auto& c : cases) EXPECT_EQ(errc_from_errno(c.err), c.code) << std::strerror(c.err);
}

TEST(Error, EveryCodeHasAName) {
  for (Errc c : {Errc::NotFound, Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict,
                 Errc::PermissionDenied, Errc::Unavailable, Errc::Unsupported, Errc::Internal}) {
    std::string name = errc_name(c);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "error");
  }
  EXPECT_STREQ(errc_name(Errc::NotFound), "not found");
}

TEST(Defer, RunsAtScopeExitUnlessDismissed) {
  int runs = 0;
  {
    Defer d([&] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
  {
    Defer d([&] { ++runs; });
    d.dismiss();
  }
  EXPECT_EQ(runs, 1);
}
