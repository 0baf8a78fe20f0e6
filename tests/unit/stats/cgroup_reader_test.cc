#include "stats/cgroup_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace berth::stats {
namespace {

class FakeFs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-stats-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void put(const std::string& rel, const std::string& text) {
    std::filesystem::path p = root_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string root_;
};

constexpr char kNetDev[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
    "  eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0\n";

TEST(NetDev, ParsesInterfacesWithoutLoopback) {
  auto nets = parse_net_dev(kNetDev);
  ASSERT_EQ(nets.size(), 1u);
  EXPECT_EQ(nets[0].name, "eth0");
  EXPECT_EQ(nets[0].rx_bytes, 5000u);
  EXPECT_EQ(nets[0].rx_packets, 40u);
  EXPECT_EQ(nets[0].rx_errors, 1u);
  EXPECT_EQ(nets[0].rx_dropped, 2u);
  EXPECT_EQ(nets[0].tx_bytes, 3000u);
  EXPECT_EQ(nets[0].tx_packets, 30u);
  EXPECT_EQ(nets[0].tx_errors, 3u);
  EXPECT_EQ(nets[0].tx_dropped, 4u);
  EXPECT_EQ(parse_net_dev(kNetDev, false).size(), 2u);
  EXPECT_TRUE(parse_net_dev("garbage\nmore\nx: 1 2 3\n").empty());
}

TEST_F(FakeFs, ReadsV1Controllers) {
  put("cpuacct/c/cpuacct.usage", "2500000000\n");
  put("cpuacct/c/cpuacct.usage_percpu", "1000000000 1500000000 \n");
  put("cpuacct/c/cpuacct.stat", "user 150\nsystem 50\n");
  put("cpu/c/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 3000\n");
  put("memory/c/memory.usage_in_bytes", "10485760\n");
  put("memory/c/memory.max_usage_in_bytes", "20971520\n");
  put("memory/c/memory.limit_in_bytes", "67108864\n");
  put("memory/c/memory.failcnt", "3\n");
  put("memory/c/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  put("memory/c/memory.stat", "cache 4096\nrss 8192\ntotal_inactive_file 1048576\ntotal_rss 8192\n");
  put("pids/c/pids.current", "4\n");
  put("pids/c/pids.max", "max\n");
  put("blkio/c/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
  put("blkio/c/blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
  put("proc/42/net/dev", kNetDev);
  model::CgroupDirs d;
  for (const char* c : {"cpu", "cpuacct", "memory", "pids", "blkio"}) d.v1[c] = root_ + "/" + c + "/c";
  HostFacts host;
  host.system_cpu_ns = 999;
  host.online_cpus = 2;
  host.memory_bytes = 1ull << 33;
  host.clock_ticks = 100;
  auto read = read_container_stats(d, 42, host, root_ + "/proc");
  ASSERT_TRUE(read);
  auto& s = *read;
  EXPECT_TRUE(s.running);
  EXPECT_EQ(s.cpu.total_ns, 2500000000u);
  EXPECT_TRUE(s.cpu.per_cpu_ns.empty());
  EXPECT_EQ(s.cpu.user_ns, 1500000000u);
  EXPECT_EQ(s.cpu.kernel_ns, 500000000u);
  EXPECT_EQ(s.cpu.periods, 10u);
  EXPECT_EQ(s.cpu.throttled_periods, 2u);
  EXPECT_EQ(s.cpu.throttled_ns, 3000u);
  EXPECT_EQ(s.cpu.system_ns, 999u);
  EXPECT_EQ(s.cpu.online_cpus, 2);
  EXPECT_EQ(s.memory.usage, 10485760u);
  EXPECT_EQ(s.memory.max_usage, 20971520u);
  EXPECT_EQ(s.memory.limit, 67108864u);
  EXPECT_EQ(s.memory.failcnt, 3u);
  EXPECT_EQ(s.oom_kills, 1u);
  EXPECT_EQ(working_set_bytes(s.memory), 10485760u - 1048576u);
  EXPECT_EQ(s.pids, 4u);
  EXPECT_FALSE(s.pids_limit);
  ASSERT_EQ(s.io_service_bytes.size(), 2u);
  EXPECT_EQ(s.io_service_bytes[1].op, "Write");
  EXPECT_EQ(s.io_service_bytes[1].value, 8192u);
  EXPECT_EQ(s.io_serviced.size(), 2u);
  ASSERT_TRUE(s.has_networks);
  ASSERT_EQ(s.networks.size(), 1u);
  EXPECT_EQ(s.networks[0].rx_bytes, 5000u);
}

TEST_F(FakeFs, ReadsV2AndShowsHostMemoryWithoutLimit) {
  put("c/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
  put("c/memory.current", "2000000\n");
  put("c/memory.max", "max\n");
  put("c/memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 2\n");
  put("c/memory.stat", "anon 100\nfile 200\ninactive_file 500000\n");
  put("c/pids.current", "3\n");
  put("c/pids.max", "100\n");
  put("c/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  model::CgroupDirs d;
  d.v2 = true;
  d.unified = root_ + "/c";
  HostFacts host;
  host.memory_bytes = 4096;
  auto read = read_container_stats(d, 0, host, root_ + "/proc");
  ASSERT_TRUE(read);
  auto& s = *read;
  EXPECT_EQ(s.cpu.total_ns, 1500000u);
  EXPECT_EQ(s.cpu.user_ns, 1000000u);
  EXPECT_EQ(s.cpu.kernel_ns, 500000u);
  EXPECT_EQ(s.memory.usage, 2000000u);
  EXPECT_EQ(s.memory.limit, 4096u);  // "max": the host's memory, as Docker shows it
  EXPECT_EQ(s.memory.failcnt, 5u);
  EXPECT_EQ(s.oom_kills, 2u);
  EXPECT_EQ(working_set_bytes(s.memory), 1500000u);
  EXPECT_EQ(s.pids, 3u);
  ASSERT_TRUE(s.pids_limit);
  EXPECT_EQ(*s.pids_limit, 100u);
  ASSERT_EQ(s.io_service_bytes.size(), 2u);
  EXPECT_EQ(s.io_service_bytes[0].op, "Read");
  EXPECT_EQ(s.io_service_bytes[0].value, 10u);
  EXPECT_EQ(s.io_serviced[1].value, 2u);
  EXPECT_FALSE(s.has_networks);  // no pid
}

TEST_F(FakeFs, MissingFilesAreZeroAndAMissingDirectoryIsAnEndedContainer) {
  put("memory/c/memory.usage_in_bytes", "5\n");
  model::CgroupDirs d;
  d.v1["memory"] = root_ + "/memory/c";
  d.v1["cpuacct"] = root_ + "/nowhere";
  EXPECT_FALSE(read_container_stats(d, 0, HostFacts{}, root_));  // its cgroup is gone
  d.v1.erase("cpuacct");
  auto s = read_container_stats(d, 0, HostFacts{}, root_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->memory.usage, 5u);
  EXPECT_EQ(s->cpu.total_ns, 0u);
  EXPECT_EQ(s->pids, 0u);
  EXPECT_EQ(working_set_bytes(s->memory), 5u);
}

TEST_F(FakeFs, HostFactsFromProcStat) {
  put("proc/stat", "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n");
  auto h = read_host_facts(root_ + "/proc");
  EXPECT_EQ(h.system_cpu_ns, 1000u * (1000000000u / static_cast<uint64_t>(h.clock_ticks)));
  EXPECT_GT(h.online_cpus, 0);
}

}  // namespace
}  // namespace berth::stats
