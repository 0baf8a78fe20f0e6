// The agent's pure pieces: the guest's /proc parsers, the mapping of the
// runtime's stats JSON to vmproto's, and CIDR parsing for the NIC.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "vmagent/guest_stats.h"
#include "vmagent/netconfig.h"

using namespace berth;
using namespace berth::vmagent;

namespace {

TEST(GuestStats, ParsesMeminfoInBytes) {
  uint64_t total = 0, avail = 0;
  parse_meminfo("MemTotal:         228036 kB\nMemFree:          180000 kB\nMemAvailable:     190000 kB\n", total, avail);
  EXPECT_EQ(total, 228036ull * 1024);
  EXPECT_EQ(avail, 190000ull * 1024);
  parse_meminfo("garbage\n", total, avail);
  EXPECT_EQ(total, 0u);
}

TEST(GuestStats, SumsTheCpuLineInNanoseconds) {
  std::string stat = "cpu  10 1 5 100 2 0 1 0 7 0\ncpu0 10 1 5 100 2 0 1 0 7 0\nintr 1\n";
  // user+nice+system+idle+iowait+irq+softirq+steal = 119 ticks at 100 Hz (guest time is inside user).
  EXPECT_EQ(parse_proc_stat_cpu_ns(stat, 100), 119ull * 10000000ull);
  EXPECT_EQ(parse_proc_stat_cpu_ns("intr 1\n", 100), 0u);
  EXPECT_EQ(parse_proc_stat_cpu_ns(stat, 0), 0u);
}

TEST(GuestStats, MapsTheRuntimesStats) {
  nlohmann::json raw = {
      {"cpu", {{"usage", {{"total", 5000}, {"user", 3000}, {"kernel", 2000}}}}},
      {"memory", {{"usage", {{"usage", 1 << 20}, {"limit", 64 << 20}, {"max", 2 << 20}, {"failcnt", 0}}},
                  {"raw", {{"anon", 4096}, {"file", 8192}}}}},
      {"pids", {{"current", 3}, {"limit", 100}}}};
  auto s = container_stats_from(raw);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_usage_ns, 5000u);
  EXPECT_EQ(s->cpu_user_ns, 3000u);
  EXPECT_EQ(s->cpu_system_ns, 2000u);
  EXPECT_EQ(s->memory_usage, 1u << 20);
  EXPECT_EQ(s->memory_max_usage, 2u << 20);
  EXPECT_EQ(s->memory_stat.at("file"), 8192u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, 100u);
  EXPECT_GE(s->online_cpus, 1u);
  // Without a cgroup limit, the guest's memory is the bound.
  raw["memory"]["usage"]["limit"] = UINT64_MAX;
  auto unlimited = container_stats_from(raw);
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(unlimited->memory_limit, unlimited->guest_mem_total);
}

TEST(GuestStats, ToleratesMissingSections) {
  auto s = container_stats_from(nlohmann::json::object());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_usage_ns, 0u);
  EXPECT_TRUE(s->memory_stat.empty());
}

TEST(NetConfig, ParsesCidrs) {
  auto v4 = parse_cidr("10.223.0.2/24", true);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->prefix, 24);
  EXPECT_EQ(v4->addr[0], 10);
  EXPECT_EQ(v4->addr[3], 2);
  auto v6 = parse_cidr("fd00::2/64", true);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->prefix, 64);
  auto gw = parse_cidr("10.223.0.1", false);
  ASSERT_TRUE(gw);
  EXPECT_EQ(gw->prefix, 32);
  for (const char* bad : {"10.223.0.2", "10.0.0.300/24", "10.0.0.1/33", "fd00::1/129", "x/8", "10.0.0.1/-1", ""})
    EXPECT_FALSE(parse_cidr(bad, true)) << bad;
}

}  // namespace
