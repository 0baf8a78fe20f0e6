#include "stats/container_metrics.h"

#include <gtest/gtest.h>

#include "stats/engine_counters.h"

namespace berth::stats {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(ContainerMetrics, FamiliesWithLabelsAndValues) {
  ContainerMeta web;
  web.id = "abc";
  web.name = "proj-web-1";
  web.image = "nginx:1";
  web.labels = {{"com.docker.compose.project", "proj"}, {"com.docker.compose.service", "web"}, {"other", "x"}};
  web.running = true;
  web.restarts = 2;
  web.health = "healthy";
  web.started_wall_ns = 1'700'000'000'500'000'000;
  ContainerMeta stopped;
  stopped.id = "def";
  stopped.name = "old";
  stopped.image = "busybox";

  Snapshot snap;
  snap.seq = 1;
  Entry e;
  e.current.running = true;
  e.current.cpu.total_ns = 1'500'000'000;
  e.current.cpu.user_ns = 1'000'000'000;
  e.current.cpu.kernel_ns = 500'000'000;
  e.current.memory.usage = 1000;
  e.current.memory.limit = 4096;
  e.current.memory.raw = {{"total_inactive_file", 300}};
  e.current.pids = 3;
  e.current.oom_kills = 1;
  e.current.io_service_bytes = {{8, 0, "Read", 10}, {8, 0, "Write", 20}};
  e.current.has_networks = true;
  e.current.networks = {{"eth0", 100, 2, 0, 0, 50, 1, 0, 0}};
  snap.containers["abc"] = e;

  prom::TextWriter w;
  write_container_metrics(w, {web, stopped}, snap);
  std::string t = w.text();
  const std::string l = "id=\"abc\",name=\"proj-web-1\",image=\"nginx:1\",compose_project=\"proj\",compose_service=\"web\"";
  EXPECT_TRUE(has_line(t, "container_cpu_usage_seconds_total{" + l + "} 1.5")) << t;
  EXPECT_TRUE(has_line(t, "container_cpu_user_seconds_total{" + l + "} 1"));
  EXPECT_TRUE(has_line(t, "container_cpu_system_seconds_total{" + l + "} 0.5"));
  EXPECT_TRUE(has_line(t, "container_memory_usage_bytes{" + l + "} 1000"));
  EXPECT_TRUE(has_line(t, "container_memory_working_set_bytes{" + l + "} 700"));
  EXPECT_TRUE(has_line(t, "container_spec_memory_limit_bytes{" + l + "} 4096"));
  EXPECT_TRUE(has_line(t, "container_oom_events_total{" + l + "} 1"));
  EXPECT_TRUE(has_line(t, "container_threads{" + l + "} 3"));
  EXPECT_TRUE(has_line(t, "container_fs_reads_bytes_total{" + l + ",device=\"8:0\"} 10"));
  EXPECT_TRUE(has_line(t, "container_fs_writes_bytes_total{" + l + ",device=\"8:0\"} 20"));
  EXPECT_TRUE(has_line(t, "container_network_receive_bytes_total{" + l + ",interface=\"eth0\"} 100"));
  EXPECT_TRUE(has_line(t, "container_network_transmit_packets_total{" + l + ",interface=\"eth0\"} 1"));
  EXPECT_TRUE(has_line(t, "container_start_time_seconds{" + l + "} 1700000000.5"));
  EXPECT_TRUE(has_line(t, "berth_container_restarts_total{" + l + "} 2"));
  EXPECT_TRUE(has_line(t, "berth_container_health_status{" + l + ",status=\"healthy\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_container_health_status{" + l + ",status=\"unhealthy\"} 0"));
  // The stopped container: records only, no resource samples.
  EXPECT_TRUE(has_line(t, "berth_container_running{id=\"def\",name=\"old\",image=\"busybox\"} 0"));
  EXPECT_EQ(t.find("container_cpu_usage_seconds_total{id=\"def\""), std::string::npos);
  // Each family's TYPE once.
  EXPECT_EQ(t.find("# TYPE container_threads gauge"), t.rfind("# TYPE container_threads gauge"));
}

TEST(ContainerMetrics, CriLabels) {
  ContainerMeta c;
  c.id = "x";
  c.labels = {{"io.kubernetes.pod.name", "p"}, {"io.kubernetes.pod.namespace", "ns"}, {"io.kubernetes.container.name", "app"}};
  auto l = metric_labels(c);
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[3], (std::pair<std::string, std::string>{"pod", "p"}));
  EXPECT_EQ(l[4], (std::pair<std::string, std::string>{"namespace", "ns"}));
  EXPECT_EQ(l[5], (std::pair<std::string, std::string>{"container", "app"}));
}

TEST(EngineCounters, RequestsByRouteStatusAndLatency) {
  EngineCounters c;
  c.api_request("GET", "/containers/{name}/json", 200, 0.0004);
  c.api_request("GET", "/containers/{name}/json", 200, 0.02);
  c.api_request("GET", "/containers/{name}/json", 404, 0.001);
  c.api_request("GET", "", 404, 0.0001);
  c.pull(true);
  c.pull(false);
  c.build(true);
  c.build_cache_hit();
  c.build_cache_hit();
  EngineGauges g;
  g.containers_by_state = {{"running", 3}, {"exited", 1}};
  g.images = 5;
  prom::TextWriter w;
  c.write(w, g);
  std::string t = w.text();
  const std::string r = "method=\"GET\",route=\"/containers/{name}/json\"";
  EXPECT_TRUE(has_line(t, "berth_api_requests_total{" + r + ",status=\"200\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "berth_api_requests_total{" + r + ",status=\"404\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_api_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_api_request_duration_seconds_bucket{" + r + ",le=\"0.0005\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_api_request_duration_seconds_bucket{" + r + ",le=\"0.001\"} 2"));
  EXPECT_TRUE(has_line(t, "berth_api_request_duration_seconds_bucket{" + r + ",le=\"0.025\"} 3"));
  EXPECT_TRUE(has_line(t, "berth_api_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has_line(t, "berth_api_request_duration_seconds_count{" + r + "} 3"));
  EXPECT_TRUE(has_line(t, "berth_containers{state=\"running\"} 3"));
  EXPECT_TRUE(has_line(t, "berth_containers{state=\"paused\"} 0"));
  EXPECT_TRUE(has_line(t, "berth_images 5"));
  EXPECT_TRUE(has_line(t, "berth_image_pulls_total{result=\"success\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_image_pulls_total{result=\"failure\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_builds_total{result=\"success\"} 1"));
  EXPECT_TRUE(has_line(t, "berth_build_cache_hits_total 2"));
}

}  // namespace
}  // namespace berth::stats
