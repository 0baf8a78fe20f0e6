// docker stats' figures from the runtime's cgroup JSON.
#include <gtest/gtest.h>

#include "task/stats.h"

using namespace berth;
using namespace berth::task;

namespace {

TEST(TaskStats, FromTheRuntimesCgroupFigures) {
  auto s = nlohmann::json::parse(R"({
    "cpu": {"usage": {"total": 1000, "kernel": 300, "user": 700, "percpu": [600, 400]},
            "throttling": {"periods": 10, "throttledPeriods": 2, "throttledTime": 5000}},
    "memory": {"usage": {"usage": 4096, "max": 8192, "failcnt": 1, "limit": 67108864},
               "raw": {"cache": 100, "rss": 200}},
    "pids": {"current": 3, "limit": 50},
    "blkio": {"ioServiceBytesRecursive": [{"major": 8, "minor": 0, "op": "Read", "value": 512}],
              "ioServicedRecursive": [{"major": 8, "minor": 0, "op": "Write", "value": 2}]}
  })");
  stats::HostFacts host{123456789, 4, 1ull << 34};
  auto st = stats_from_cgroup_json(s, host);
  EXPECT_TRUE(st.running);
  EXPECT_EQ(st.cpu.total_ns, 1000u);
  EXPECT_EQ(st.cpu.kernel_ns, 300u);
  EXPECT_EQ(st.cpu.user_ns, 700u);
  EXPECT_EQ(st.cpu.per_cpu_ns, (std::vector<uint64_t>{600, 400}));
  EXPECT_EQ(st.cpu.periods, 10u);
  EXPECT_EQ(st.cpu.throttled_periods, 2u);
  EXPECT_EQ(st.cpu.throttled_ns, 5000u);
  EXPECT_EQ(st.cpu.system_ns, 123456789u);
  EXPECT_EQ(st.cpu.online_cpus, 4);
  EXPECT_EQ(st.memory.usage, 4096u);
  EXPECT_EQ(st.memory.max_usage, 8192u);
  EXPECT_EQ(st.memory.failcnt, 1u);
  EXPECT_EQ(st.memory.limit, 67108864u);
  EXPECT_EQ(st.memory.raw, (std::map<std::string, uint64_t>{{"cache", 100}, {"rss", 200}}));
  EXPECT_EQ(st.pids, 3u);
  EXPECT_EQ(st.pids_limit, 50u);
  ASSERT_EQ(st.io_service_bytes.size(), 1u);
  EXPECT_EQ(st.io_service_bytes[0].major, 8u);
  EXPECT_EQ(st.io_service_bytes[0].op, "Read");
  EXPECT_EQ(st.io_service_bytes[0].value, 512u);
  ASSERT_EQ(st.io_serviced.size(), 1u);
  EXPECT_EQ(st.io_serviced[0].value, 2u);
}

TEST(TaskStats, UnlimitedMemoryShowsTheHostsAndNoPidsLimit) {
  stats::HostFacts host{1, 2, 1ull << 33};
  auto unlimited = stats_from_cgroup_json(nlohmann::json::parse(R"({"memory":{"usage":{"limit":9223372036854771712}},
                                                                    "pids":{"current":1,"limit":0}})"),
                                          host);
  EXPECT_EQ(unlimited.memory.limit, 1ull << 33);
  EXPECT_FALSE(unlimited.pids_limit);
  auto zero = stats_from_cgroup_json(nlohmann::json::parse(R"({"memory":{"usage":{"limit":0}}})"), host);
  EXPECT_EQ(zero.memory.limit, 1ull << 33);
}

TEST(TaskStats, MissingOrMistypedFieldsStayZero) {
  stats::HostFacts host{};
  for (const char* text : {"{}", "null", "[]", R"({"cpu":"x","memory":{"usage":[]},"pids":{"current":"3"}})",
                           R"({"blkio":{"ioServiceBytesRecursive":{"a":1}}})"}) {
    auto st = stats_from_cgroup_json(nlohmann::json::parse(text), host);
    EXPECT_EQ(st.cpu.total_ns, 0u) << text;
    EXPECT_EQ(st.memory.usage, 0u) << text;
    EXPECT_EQ(st.pids, 0u) << text;
    EXPECT_TRUE(st.io_service_bytes.empty()) << text;
  }
}

}  // namespace
