#include "cri/containers/container_view.h"

#include "base/go_time.h"
#include "cri/containers/cri_labels.h"

namespace berth::cri {

namespace rt = runtime::v1;

namespace {
std::string label(const model::ContainerInfo& c, const char* key) {
  auto it = c.spec.config.labels.find(key);
  return it == c.spec.config.labels.end() ? "" : it->second;
}
void fill_metadata(const model::ContainerInfo& c, rt::ContainerMetadata* m) {
  m->set_name(label(c, kContainerNameLabel));
  std::string attempt = label(c, kAttemptLabel);
  m->set_attempt(attempt.empty() ? 0 : static_cast<uint32_t>(std::stoul(attempt)));
}
}  // namespace

bool is_cri_container(const model::ContainerInfo& c) { return c.spec.ns == "k8s.io"; }
std::string sandbox_of(const model::ContainerInfo& c) { return label(c, kSandboxIdLabel); }

rt::ContainerState cri_state(const model::ContainerInfo& c) {
  if (c.state.running) return rt::CONTAINER_RUNNING;
  if (c.ever_started) return rt::CONTAINER_EXITED;
  return rt::CONTAINER_CREATED;
}

int64_t rfc3339_ns(const std::string& t) {
  if (t.empty() || t == model::kZeroTime) return 0;
  auto parsed = go::parse_rfc3339(t);
  return parsed ? parsed->ns() : 0;
}

void fill_container(const model::ContainerInfo& c, rt::Container* out) {
  out->set_id(c.id);
  out->set_pod_sandbox_id(sandbox_of(c));
  fill_metadata(c, out->mutable_metadata());
  out->mutable_image()->set_image(label(c, kImageLabel));
  out->set_image_ref(c.image_id);
  out->set_image_id(c.image_id);
  out->set_state(cri_state(c));
  out->set_created_at(rfc3339_ns(c.created));
  for (const auto& [k, v] : map_from_json(label(c, kLabelsLabel))) (*out->mutable_labels())[k] = v;
  for (const auto& [k, v] : map_from_json(label(c, kAnnotationsLabel))) (*out->mutable_annotations())[k] = v;
}

void fill_container_status(const model::ContainerInfo& c, rt::ContainerStatus* out) {
  out->set_id(c.id);
  fill_metadata(c, out->mutable_metadata());
  out->set_state(cri_state(c));
  out->set_created_at(rfc3339_ns(c.created));
  if (c.ever_started) out->set_started_at(rfc3339_ns(c.state.started_at));
  if (out->state() == rt::CONTAINER_EXITED) {
    out->set_finished_at(rfc3339_ns(c.state.finished_at));
    out->set_exit_code(c.state.exit_code);
    // The kubelet's reasons: OOMKilled, Completed (0), Error (other codes).
    out->set_reason(c.state.oom_killed ? "OOMKilled" : c.state.exit_code == 0 ? "Completed" : "Error");
    if (!c.state.error.empty()) out->set_message(c.state.error);
  }
  out->mutable_image()->set_image(label(c, kImageLabel));
  out->set_image_ref(c.image_id);
  out->set_image_id(c.image_id);
  for (const auto& [k, v] : map_from_json(label(c, kLabelsLabel))) (*out->mutable_labels())[k] = v;
  for (const auto& [k, v] : map_from_json(label(c, kAnnotationsLabel))) (*out->mutable_annotations())[k] = v;
  for (const auto& m : c.spec.host.mounts) {
    auto* cm = out->add_mounts();
    cm->set_container_path(m.target);
    cm->set_host_path(m.source);
    cm->set_readonly(m.read_only);
    cm->set_propagation(m.bind_propagation == model::Propagation::RShared  ? rt::PROPAGATION_BIDIRECTIONAL
                        : m.bind_propagation == model::Propagation::RSlave ? rt::PROPAGATION_HOST_TO_CONTAINER
                                                                            : rt::PROPAGATION_PRIVATE);
  }
  if (c.spec.host.log_config.driver == "cri") out->set_log_path(c.log_path);
  auto* lr = out->mutable_resources()->mutable_linux();
  const auto& r = c.spec.host.resources;
  lr->set_cpu_period(r.cpu_period);
  lr->set_cpu_quota(r.cpu_quota);
  lr->set_cpu_shares(r.cpu_shares);
  lr->set_memory_limit_in_bytes(r.memory);
  lr->set_memory_swap_limit_in_bytes(r.memory_swap);
  lr->set_cpuset_cpus(r.cpuset_cpus);
  lr->set_cpuset_mems(r.cpuset_mems);
  lr->set_oom_score_adj(c.spec.host.oom_score_adj);
}

}  // namespace berth::cri
