// Temp roots for snapshot integration tests, removed even when a test fails.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mount_ns.h"
#include "snapshot/fs_tree.h"
#include "snapshot/native.h"
#include "snapshot/overlay.h"

namespace berth::testing {

inline std::string option_value(const snapshot::Mount& m, const std::string& name) {
  for (const auto& o : m.options)
    if (o.starts_with(name + "=")) return o.substr(name.size() + 1);
  return "";
}

// The directory that receives writes made through an active snapshot's mount.
inline std::string writable_dir(const std::vector<snapshot::Mount>& ms) {
  const auto& m = ms.at(0);
  if (m.type == "bind") return m.source;
  return m.chdir + "/" + option_value(m, "upperdir");
}

class TempRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-snap-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)snapshot::remove_tree(dir_);
  }
  std::string dir_;
};

}  // namespace berth::testing
