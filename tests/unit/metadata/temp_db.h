// A fresh database path per test under $TMPDIR, removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "metadata/image_store.h"

namespace berth::metadata::testing {

class TempDb : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-metadata-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/metadata.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_, path_;
};

// "sha256:" + 64 hex made from a small number, for readable tests.
inline std::string id(unsigned n, char fill = '0') {
  std::string hex = std::to_string(n);
  return "sha256:" + std::string(64 - hex.size(), fill) + hex;
}

inline ImageRecord image(unsigned n, int layers = 2, std::string parent = {}) {
  ImageRecord r{id(n), "2024-01-01T00:00:00Z", 100 * n, std::move(parent), {}, {}};
  for (int i = 0; i < layers; ++i) r.layers.push_back({id(1000 + i, 'd'), id(2000 + n * 10 + i, 'c')});
  r.content.push_back(id(3000 + n, 'b'));
  return r;
}

}  // namespace berth::metadata::testing
