// CreateContainer, StartContainer, StopContainer, RemoveContainer,
// ListContainers, ContainerStatus, UpdateContainerResources and
// ReopenContainerLog, over the engine's ContainerService.
#include <filesystem>

#include "base/file.h"
#include "cri/containers/container_view.h"
#include "cri/containers/spec_from_cri.h"
#include "cri/pods/pod_service.h"
#include "cri/label_selector.h"
#include "cri/pods/status.h"
#include "engine/container_service.h"

namespace berth::cri {
namespace {

// The CRI container (namespace k8s.io) with this id; Docker's are not the CRI's.
Result<model::ContainerInfo> cri_container(engine::ContainerService& cs, const std::string& id) {
  if (id.empty()) return fail(Errc::InvalidArgument, "a container id is required");
  auto info = cs.inspect(id, false);
  if (!info || !is_cri_container(*info)) {
    if (info || info.error().code == Errc::NotFound) return fail(Errc::NotFound, "no container " + id);
    return std::unexpected(info.error());
  }
  return info;
}

}  // namespace

grpc::Status PodService::CreateContainer(const rt::CreateContainerRequest& req, rt::CreateContainerResponse* resp) {
  auto p = find_pod(req.pod_sandbox_id());
  if (!p) return not_found("CreateContainer: no pod sandbox " + req.pod_sandbox_id());
  PodSandbox sb = snapshot(*p);
  if (sb.state != rt::SANDBOX_READY)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "CreateContainer: pod sandbox " + sb.id + " is not ready (stopped)");
  SpecSources sources;
  sources.default_cgroup_parent = deps_.cgroup_parent;
  sources.read_file = [](const std::string& path) { return read_file(path); };
  sources.target_pid = [this, &sb](const std::string& target) -> Result<int> {
    auto c = TRY(cri_container(*deps_.containers, target));
    if (sandbox_of(c) != sb.id) return fail(Errc::InvalidArgument, "target container " + target + " is not in pod " + sb.id);
    if (!c.state.running || c.state.pid <= 0)
      return fail(Errc::Conflict, "target container " + target + " is not running");
    return static_cast<int>(c.state.pid);
  };
  auto mapped = spec_from_cri(req.config(), sb, sources);
  if (!mapped) return to_status(mapped.error());
  // The kubelet creates the pod's log directory; the file's own directory is ours to make.
  if (auto it = mapped->spec.host.log_config.options.find("path"); it != mapped->spec.host.log_config.options.end()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(it->second).parent_path(), ec);
  }
  auto created = deps_.containers->create(mapped->name, mapped->spec);
  if (!created) {
    const Error& e = created.error();
    if (e.code == Errc::Conflict)
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "CreateContainer: the name \"" + mapped->name +
                                                                "\" is reserved: " + e.message);
    return to_status(Error(e).wrap("CreateContainer " + req.config().metadata().name()));
  }
  resp->set_container_id(created->id);
  return grpc::Status::OK;
}

grpc::Status PodService::StartContainer(const rt::StartContainerRequest& req, rt::StartContainerResponse*) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("StartContainer"));
  if (c->state.running) return grpc::Status::OK;
  if (c->ever_started)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "StartContainer: container " + c->id + " has exited; CRI containers start once");
  auto p = find_pod(sandbox_of(*c));
  if (!p || snapshot(*p).state != rt::SANDBOX_READY)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "StartContainer: the pod sandbox " + sandbox_of(*c) + " of container " + c->id + " is not ready");
  auto r = deps_.containers->start(c->id);
  if (!r) return to_status(r.error().wrap("StartContainer"));
  return grpc::Status::OK;
}

grpc::Status PodService::StopContainer(const rt::StopContainerRequest& req, rt::StopContainerResponse*) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("StopContainer"));
  if (req.timeout() < 0) return invalid_argument("StopContainer: timeout " + std::to_string(req.timeout()) + " is negative");
  // The stop signal (the image's STOPSIGNAL or SIGTERM), then SIGKILL after the timeout.
  auto r = deps_.containers->stop(c->id, static_cast<int>(req.timeout()), "");
  if (!r && r.error().code != Errc::NotFound) return to_status(r.error().wrap("StopContainer"));
  return grpc::Status::OK;
}

grpc::Status PodService::RemoveContainer(const rt::RemoveContainerRequest& req, rt::RemoveContainerResponse*) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) {
    if (c.error().code == Errc::NotFound) return grpc::Status::OK;  // removed already: done
    return to_status(c.error().wrap("RemoveContainer"));
  }
  auto r = deps_.containers->remove(c->id, true, false);
  if (!r && r.error().code != Errc::NotFound) return to_status(r.error().wrap("RemoveContainer"));
  return grpc::Status::OK;
}

grpc::Status PodService::ListContainers(const rt::ListContainersRequest& req, rt::ListContainersResponse* resp) {
  model::ListOptions opts;
  opts.all = true;
  opts.filters["namespace"] = {kCriNamespace};
  const auto& f = req.filter();
  if (!f.pod_sandbox_id().empty()) {
    // A prefix of a pod id names that pod.
    auto p = find_pod(f.pod_sandbox_id());
    if (!p) return grpc::Status::OK;
    opts.filters["label"] = {std::string(kSandboxIdLabel) + "=" + snapshot(*p).id};
  }
  if (!f.id().empty()) opts.filters["id"] = {f.id()};
  auto list = deps_.containers->list(opts);
  if (!list) return to_status(list.error().wrap("ListContainers"));
  for (const auto& c : *list) {
    rt::Container out;
    fill_container(c, &out);
    if (f.has_state() && f.state().state() != out.state()) continue;
    if (!labels_match(out.labels(), f.label_selector())) continue;
    *resp->add_containers() = std::move(out);
  }
  return grpc::Status::OK;
}

grpc::Status PodService::ContainerStatus(const rt::ContainerStatusRequest& req, rt::ContainerStatusResponse* resp) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("ContainerStatus"));
  fill_container_status(*c, resp->mutable_status());
  if (req.verbose()) {
    nlohmann::json info = {{"pid", c->state.pid},
                           {"sandboxID", sandbox_of(*c)},
                           {"name", c->name.empty() ? "" : c->name.substr(1)},
                           {"runtime", c->runtime},
                           {"rootfs", c->rootfs_path}};
    (*resp->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status PodService::UpdateContainerResources(const rt::UpdateContainerResourcesRequest& req,
                                                  rt::UpdateContainerResourcesResponse*) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("UpdateContainerResources"));
  model::Resources res = c->spec.host.resources;
  if (auto m = resources_from_cri(req.linux(), res); !m) return to_status(m.error().wrap("UpdateContainerResources"));
  // A running container's update (the shim's request) carries neither; refuse a change rather than drop it.
  if (res.hugepage_limits != c->spec.host.resources.hugepage_limits || res.unified != c->spec.host.resources.unified)
    return invalid_argument("UpdateContainerResources: changing hugepage limits or unified cgroup settings of a "
                            "created container is not supported by berth yet");
  auto u = deps_.containers->update(c->id, res, std::nullopt);
  if (!u) return to_status(u.error().wrap("UpdateContainerResources"));
  return grpc::Status::OK;
}

grpc::Status PodService::ReopenContainerLog(const rt::ReopenContainerLogRequest& req, rt::ReopenContainerLogResponse*) {
  auto c = cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("ReopenContainerLog"));
  if (!c->state.running)
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "ReopenContainerLog: container " + c->id + " is not running");
  if (auto r = deps_.containers->reopen_log(c->id); !r) return to_status(r.error().wrap("ReopenContainerLog"));
  return grpc::Status::OK;
}

}  // namespace berth::cri
