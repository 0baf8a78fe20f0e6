// GetContainerEvents' source: berthd's event bus, filtered to the CRI's
// containers, each event carrying its pod's status and its containers' as the
// kubelet's evented PLEG expects.
#include <utility>

#include "cri/containers/cri_labels.h"
#include "cri/pods/pod_service.h"

namespace berth::cri {

namespace {

std::optional<rt::ContainerEventType> cri_event_type(const std::string& action) {
  if (action == "create") return rt::CONTAINER_CREATED_EVENT;
  if (action == "start") return rt::CONTAINER_STARTED_EVENT;
  if (action == "die") return rt::CONTAINER_STOPPED_EVENT;
  if (action == "destroy") return rt::CONTAINER_DELETED_EVENT;
  return std::nullopt;
}

class EngineEventWatch final : public ContainerEventWatch {
 public:
  EngineEventWatch(PodService& pods, std::unique_ptr<backend::EventSubscription> sub)
      : pods_(pods), sub_(std::move(sub)) {}

  std::optional<rt::ContainerEventResponse> next() override {
    for (;;) {
      auto e = sub_->next(0);  // until an event or cancel()
      if (!e) return std::nullopt;
      if (e->type != "container" || e->ns != kCriNamespace) continue;
      auto type = cri_event_type(e->action);
      if (!type) continue;
      rt::ContainerEventResponse out;
      out.set_container_event_type(*type);
      out.set_container_id(e->id);
      out.set_created_at(e->time_nano);
      if (auto sid = e->attributes.find(kSandboxIdLabel); sid != e->attributes.end()) add_pod(sid->second, &out);
      return out;
    }
  }
  void cancel() override { sub_->cancel(); }

 private:
  void add_pod(const std::string& sandbox_id, rt::ContainerEventResponse* out) {
    rt::PodSandboxStatusRequest sreq;
    sreq.set_pod_sandbox_id(sandbox_id);
    rt::PodSandboxStatusResponse sresp;
    if (pods_.PodSandboxStatus(sreq, &sresp).ok()) *out->mutable_pod_sandbox_status() = sresp.status();
    rt::ListContainersRequest lreq;
    lreq.mutable_filter()->set_pod_sandbox_id(sandbox_id);
    rt::ListContainersResponse lresp;
    (void)pods_.ListContainers(lreq, &lresp);
    for (const auto& c : lresp.containers()) {
      rt::ContainerStatusRequest creq;
      creq.set_container_id(c.id());
      rt::ContainerStatusResponse cresp;
      if (pods_.ContainerStatus(creq, &cresp).ok()) *out->add_containers_statuses() = cresp.status();
    }
  }

  PodService& pods_;
  std::unique_ptr<backend::EventSubscription> sub_;
};

}  // namespace

std::unique_ptr<ContainerEventWatch> PodService::WatchContainerEvents(const rt::GetEventsRequest&) {
  if (!deps_.events) return nullptr;
  return std::make_unique<EngineEventWatch>(*this, deps_.events->subscribe(std::nullopt));
}

}  // namespace berth::cri
