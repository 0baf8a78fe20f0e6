// Container and pod stats (the cgroup samples the shims read, the writable
// layer's size, the pod netns's interface counters), metrics, checkpoint and
// the container event stream.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>


#include "base/file.h"
#include "cri/containers/container_view.h"
#include "cri/containers/cri_labels.h"
#include "cri/pods/pod_service.h"
#include "cri/label_selector.h"
#include "cri/pods/status.h"
#include "engine/container_service.h"

namespace berth::cri {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t raw(const model::MemoryStats& m, const char* key) {
  auto it = m.raw.find(key);
  return it == m.raw.end() ? 0 : it->second;
}

// One container's sample in the CRI's form. Stopped containers get their
// attributes and the writable layer only, as containerd.
void fill_stats(engine::ContainerService& cs, const model::ContainerInfo& c, rt::ContainerStats* out) {
  rt::Container view;
  fill_container(c, &view);
  auto* a = out->mutable_attributes();
  a->set_id(c.id);
  *a->mutable_metadata() = view.metadata();
  *a->mutable_labels() = view.labels();
  *a->mutable_annotations() = view.annotations();
  int64_t ts = now_ns();
  auto* fs = out->mutable_writable_layer();
  fs->set_timestamp(ts);
  fs->mutable_fs_id()->set_mountpoint(c.rootfs_path);
  if (auto sized = cs.inspect(c.id, true); sized && sized->size_rw)
    fs->mutable_used_bytes()->set_value(static_cast<uint64_t>(*sized->size_rw));
  if (!c.state.running) return;
  auto sample = cs.stats(c.id);  // the shared sampler's latest
  if (!sample || !sample->current.running) return;
  const model::ContainerStats* s = &sample->current;
  auto* cpu = out->mutable_cpu();
  cpu->set_timestamp(ts);
  cpu->mutable_usage_core_nano_seconds()->set_value(s->cpu.total_ns);
  auto* mem = out->mutable_memory();
  mem->set_timestamp(ts);
  uint64_t usage = s->memory.usage;
  // working set = usage - inactive file pages (v1: total_inactive_file, v2: inactive_file), as cadvisor.
  uint64_t inactive = raw(s->memory, "total_inactive_file") ? raw(s->memory, "total_inactive_file")
                                                             : raw(s->memory, "inactive_file");
  mem->mutable_usage_bytes()->set_value(usage);
  mem->mutable_working_set_bytes()->set_value(usage > inactive ? usage - inactive : 0);
  uint64_t rss = raw(s->memory, "total_rss") ? raw(s->memory, "total_rss") : raw(s->memory, "anon");
  mem->mutable_rss_bytes()->set_value(rss);
  uint64_t faults = raw(s->memory, "total_pgfault") ? raw(s->memory, "total_pgfault") : raw(s->memory, "pgfault");
  uint64_t major = raw(s->memory, "total_pgmajfault") ? raw(s->memory, "total_pgmajfault") : raw(s->memory, "pgmajfault");
  mem->mutable_page_faults()->set_value(faults);
  mem->mutable_major_page_faults()->set_value(major);
  if (s->memory.limit > 0 && s->memory.limit > usage) mem->mutable_available_bytes()->set_value(s->memory.limit - usage);
}

// /proc/net/dev as seen from the pod's network namespace (a short-lived thread joins it).
Result<std::string> netdev_of(const std::string& netns) {
  Result<std::string> text = fail(Errc::Internal, "not read");
  std::thread([&] {
    UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
      text = fail_errno("joining the pod network namespace " + netns);
      return;
    }
    text = read_file("/proc/thread-self/net/dev");
  }).join();
  return text;
}

void fill_network(const std::string& netdev, rt::NetworkUsage* out) {
  out->set_timestamp(now_ns());
  std::istringstream in(netdev);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (auto& x : v) f >> x;
    rt::NetworkInterfaceUsage u;
    u.set_name(name);
    u.mutable_rx_bytes()->set_value(v[0]);
    u.mutable_rx_errors()->set_value(v[2]);
    u.mutable_tx_bytes()->set_value(v[8]);
    u.mutable_tx_errors()->set_value(v[10]);
    if (name == "eth0") *out->mutable_default_interface() = u;
    else *out->add_interfaces() = u;
  }
}

}  // namespace

grpc::Status PodService::ContainerStats(const rt::ContainerStatsRequest& req, rt::ContainerStatsResponse* resp) {
  auto c = deps_.containers->inspect(req.container_id(), false);
  if (!c || !is_cri_container(*c)) return not_found("ContainerStats: no container " + req.container_id());
  fill_stats(*deps_.containers, *c, resp->mutable_stats());
  return grpc::Status::OK;
}

grpc::Status PodService::ListContainerStats(const rt::ListContainerStatsRequest& req,
                                            rt::ListContainerStatsResponse* resp) {
  model::ListOptions opts;
  opts.all = true;
  opts.filters["namespace"] = {kCriNamespace};
  const auto& f = req.filter();
  if (!f.id().empty()) opts.filters["id"] = {f.id()};
  if (!f.pod_sandbox_id().empty()) {
    auto p = find_pod(f.pod_sandbox_id());
    if (!p) return grpc::Status::OK;
    opts.filters["label"] = {std::string(kSandboxIdLabel) + "=" + snapshot(*p).id};
  }
  auto list = deps_.containers->list(opts);
  if (!list) return to_status(list.error().wrap("ListContainerStats"));
  for (const auto& c : *list) {
    rt::ContainerStats s;
    fill_stats(*deps_.containers, c, &s);
    if (!labels_match(s.attributes().labels(), f.label_selector())) continue;
    *resp->add_stats() = std::move(s);
  }
  return grpc::Status::OK;
}

grpc::Status PodService::PodSandboxStats(const rt::PodSandboxStatsRequest& req, rt::PodSandboxStatsResponse* resp) {
  auto p = find_pod(req.pod_sandbox_id());
  if (!p) return not_found("PodSandboxStats: no pod sandbox " + req.pod_sandbox_id());
  PodSandbox sb = snapshot(*p);
  auto* out = resp->mutable_stats();
  auto* a = out->mutable_attributes();
  a->set_id(sb.id);
  *a->mutable_metadata() = sb.metadata();
  *a->mutable_labels() = sb.config.labels();
  *a->mutable_annotations() = sb.config.annotations();
  auto* linux = out->mutable_linux();
  rt::ListContainerStatsRequest creq;
  creq.mutable_filter()->set_pod_sandbox_id(sb.id);
  rt::ListContainerStatsResponse cresp;
  (void)ListContainerStats(creq, &cresp);
  // The pod's use is its containers' (there is no pause process to add).
  uint64_t cpu = 0, usage = 0, ws = 0, rss = 0, faults = 0, major = 0;
  for (const auto& s : cresp.stats()) {
    cpu += s.cpu().usage_core_nano_seconds().value();
    usage += s.memory().usage_bytes().value();
    ws += s.memory().working_set_bytes().value();
    rss += s.memory().rss_bytes().value();
    faults += s.memory().page_faults().value();
    major += s.memory().major_page_faults().value();
    *linux->add_containers() = s;
  }
  int64_t ts = now_ns();
  linux->mutable_cpu()->set_timestamp(ts);
  linux->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(cpu);
  auto* mem = linux->mutable_memory();
  mem->set_timestamp(ts);
  mem->mutable_usage_bytes()->set_value(usage);
  mem->mutable_working_set_bytes()->set_value(ws);
  mem->mutable_rss_bytes()->set_value(rss);
  mem->mutable_page_faults()->set_value(faults);
  mem->mutable_major_page_faults()->set_value(major);
  if (!sb.netns.empty() && sb.state == rt::SANDBOX_READY)
    if (auto dev = netdev_of(sb.netns)) fill_network(*dev, linux->mutable_network());
  return grpc::Status::OK;
}

grpc::Status PodService::ListPodSandboxStats(const rt::ListPodSandboxStatsRequest& req,
                                             rt::ListPodSandboxStatsResponse* resp) {
  std::vector<std::string> ids;
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, p] : pods_) ids.push_back(id);
  }
  const auto& f = req.filter();
  for (const auto& id : ids) {
    if (!f.id().empty() && id.rfind(f.id(), 0) != 0) continue;
    rt::PodSandboxStatsRequest one;
    one.set_pod_sandbox_id(id);
    rt::PodSandboxStatsResponse r;
    if (!PodSandboxStats(one, &r).ok()) continue;  // removed meanwhile
    if (!labels_match(r.stats().attributes().labels(), f.label_selector())) continue;
    *resp->add_stats() = r.stats();
  }
  return grpc::Status::OK;
}

grpc::Status PodService::ListMetricDescriptors(const rt::ListMetricDescriptorsRequest&,
                                               rt::ListMetricDescriptorsResponse*) {
  // berth serves no cadvisor-style metrics yet: the kubelet's stats come
  // from the *Stats RPCs. An empty list is the honest answer.
  return grpc::Status::OK;
}

grpc::Status PodService::ListPodSandboxMetrics(const rt::ListPodSandboxMetricsRequest&,
                                               rt::ListPodSandboxMetricsResponse*) {
  return grpc::Status::OK;  // no descriptors, so no metrics (see above)
}

grpc::Status PodService::CheckpointContainer(const rt::CheckpointContainerRequest&, rt::CheckpointContainerResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "checkpoint/restore is not supported by berth");
}

}  // namespace berth::cri
