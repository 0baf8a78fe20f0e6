#include "ui/proxy_rules.h"

#include <gtest/gtest.h>

namespace berth::ui {
namespace {

TEST(ProxyRules, ThePagesCallsPass) {
  EXPECT_TRUE(proxy_allowed("GET", "/containers/json"));
  EXPECT_TRUE(proxy_allowed("GET", "/containers/abc/logs"));
  EXPECT_TRUE(proxy_allowed("GET", "/containers/abc/stats"));
  EXPECT_TRUE(proxy_allowed("POST", "/containers/abc/stop"));
  EXPECT_TRUE(proxy_allowed("DELETE", "/containers/abc"));
  EXPECT_TRUE(proxy_allowed("GET", "/images/localhost:5000/a/b:c/json"));
  EXPECT_TRUE(proxy_allowed("GET", "/images/sha256:0123/history"));
  EXPECT_TRUE(proxy_allowed("DELETE", "/images/library/busybox:latest"));
  EXPECT_TRUE(proxy_allowed("POST", "/images/create"));
  EXPECT_TRUE(proxy_allowed("GET", "/events"));
  EXPECT_TRUE(proxy_allowed("GET", "/volumes"));
  EXPECT_TRUE(proxy_allowed("DELETE", "/networks/n1"));
}

TEST(ProxyRules, WhatThePagesNeverDoIsRefused) {
  EXPECT_FALSE(proxy_allowed("POST", "/containers/create"));
  EXPECT_FALSE(proxy_allowed("POST", "/containers/abc/exec"));  // the terminal has its own endpoint
  EXPECT_FALSE(proxy_allowed("POST", "/exec/abc/start"));
  EXPECT_FALSE(proxy_allowed("PUT", "/containers/abc/archive"));
  EXPECT_FALSE(proxy_allowed("GET", "/containers/abc/archive"));
  EXPECT_FALSE(proxy_allowed("GET", "/containers/abc/export"));
  EXPECT_FALSE(proxy_allowed("POST", "/build"));
  EXPECT_FALSE(proxy_allowed("POST", "/images/load"));
  EXPECT_FALSE(proxy_allowed("POST", "/images/abc/push"));
  EXPECT_FALSE(proxy_allowed("POST", "/auth"));
  EXPECT_FALSE(proxy_allowed("POST", "/berth/ui/login")) << "a session must not mint login tokens";
  EXPECT_FALSE(proxy_allowed("GET", "/containers/json/../../secrets"));
  EXPECT_FALSE(proxy_allowed("GET", "/v1.41/containers/json"));
  EXPECT_FALSE(proxy_allowed("GET", "/containers//json"));
  EXPECT_FALSE(proxy_allowed("GET", "containers/json"));
  EXPECT_FALSE(proxy_allowed("GET", ""));
  EXPECT_FALSE(proxy_allowed("GET", "/images/json/x"));
  EXPECT_FALSE(proxy_allowed("POST", "/containers/json"));
}

}  // namespace
}  // namespace berth::ui
