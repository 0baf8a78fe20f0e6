// The specgen tests write their cases as Docker's JSON, as clients send
// them; this reads them into the engine's types the way the API edge does.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dockerapi/container_create.h"

namespace berth::specgen::testing {

inline Result<model::HostConfig> host_of(const nlohmann::json& j) {
  auto r = TRY(dockerapi::FieldReader::of(j, "HostConfig"));
  return dockerapi::parse_host_config(r);
}

inline Result<model::ContainerConfig> config_of(const nlohmann::json& j) {
  auto r = TRY(dockerapi::FieldReader::of(j, ""));
  return dockerapi::parse_config(r);
}

// For cases that must parse: a parse error fails the test.
inline model::HostConfig must_host(const nlohmann::json& j) {
  auto h = host_of(j);
  EXPECT_TRUE(h) << h.error().str() << " in " << j.dump();
  return h ? *h : model::HostConfig{};
}

inline model::ContainerConfig must_config(const nlohmann::json& j) {
  auto c = config_of(j);
  EXPECT_TRUE(c) << c.error().str() << " in " << j.dump();
  return c ? *c : model::ContainerConfig{};
}

}  // namespace berth::specgen::testing
