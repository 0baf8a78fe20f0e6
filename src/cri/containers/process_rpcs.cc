// ExecSync (output captured, killed at its timeout), and Exec/Attach/
// PortForward, which hand the request to the streaming server and return its URL.
#include <csignal>

#include "cri/containers/container_view.h"
#include "cri/containers/exec_pump.h"
#include "cri/pods/pod_service.h"
#include "cri/pods/status.h"
#include "engine/container_service.h"

namespace berth::cri {
namespace {

Result<model::ContainerInfo> running_cri_container(engine::ContainerService& cs, const std::string& id) {
  if (id.empty()) return fail(Errc::InvalidArgument, "a container id is required");
  auto info = cs.inspect(id, false);
  if (!info || !is_cri_container(*info)) return fail(Errc::NotFound, "no container " + id);
  if (!info->state.running) return fail(Errc::Conflict, "container " + id + " is not running");
  return info;
}

grpc::Status no_streams() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the streaming server of berthd is not running");
}

}  // namespace

grpc::Status PodService::ExecSync(const rt::ExecSyncRequest& req, rt::ExecSyncResponse* resp) {
  if (req.cmd().empty()) return invalid_argument("ExecSync: cmd is empty");
  if (req.timeout() < 0) return invalid_argument("ExecSync: timeout " + std::to_string(req.timeout()) + " is negative");
  auto c = running_cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("ExecSync"));
  model::ExecSpec spec;
  spec.cmd.assign(req.cmd().begin(), req.cmd().end());
  auto exec_id = deps_.containers->exec_create(c->id, spec);
  if (!exec_id) return to_status(exec_id.error().wrap("ExecSync"));
  std::string out, err;
  PumpOptions o;
  o.on_output = [&](OutStream s, std::string_view bytes) { (s == OutStream::Stderr ? err : out).append(bytes); };
  if (req.timeout() > 0) {
    o.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(req.timeout());
    o.on_deadline = [&] {
      auto info = deps_.containers->exec_inspect(*exec_id);
      if (info && info->running && info->pid > 0) ::kill(info->pid, SIGKILL);
    };
  }
  auto timed_out = pump_exec(
      [&](UniqueFd fd) { return deps_.containers->exec_start(*exec_id, false, false, std::move(fd), ""); }, o);
  if (!timed_out) return to_status(timed_out.error().wrap("ExecSync"));
  if (*timed_out)
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "ExecSync: the command did not end within its timeout of " + std::to_string(req.timeout()) +
                            "s and was killed");
  auto info = deps_.containers->exec_inspect(*exec_id);
  if (!info) return to_status(info.error().wrap("ExecSync"));
  resp->set_stdout(out);
  resp->set_stderr(err);
  resp->set_exit_code(info->exit_code.value_or(-1));
  return grpc::Status::OK;
}

grpc::Status PodService::Exec(const rt::ExecRequest& req, rt::ExecResponse* resp) {
  if (req.cmd().empty()) return invalid_argument("Exec: cmd is empty");
  auto c = running_cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("Exec"));
  if (!streams_) return no_streams();
  kubestream::ExecRequest r;
  r.container_id = c->id;
  r.cmd.assign(req.cmd().begin(), req.cmd().end());
  r.tty = req.tty();
  r.stdin_ = req.stdin();
  r.stdout_ = req.stdout();
  r.stderr_ = req.stderr();
  auto url = streams_->get_exec(r);
  if (!url) return to_status(url.error().wrap("Exec"));
  resp->set_url(*url);
  return grpc::Status::OK;
}

grpc::Status PodService::Attach(const rt::AttachRequest& req, rt::AttachResponse* resp) {
  auto c = running_cri_container(*deps_.containers, req.container_id());
  if (!c) return to_status(c.error().wrap("Attach"));
  if (!streams_) return no_streams();
  kubestream::AttachRequest r;
  r.container_id = c->id;
  r.tty = req.tty();
  r.stdin_ = req.stdin();
  r.stdout_ = req.stdout();
  r.stderr_ = req.stderr();
  auto url = streams_->get_attach(r);
  if (!url) return to_status(url.error().wrap("Attach"));
  resp->set_url(*url);
  return grpc::Status::OK;
}

grpc::Status PodService::PortForward(const rt::PortForwardRequest& req, rt::PortForwardResponse* resp) {
  auto p = find_pod(req.pod_sandbox_id());
  if (!p) return not_found("PortForward: no pod sandbox " + req.pod_sandbox_id());
  if (!streams_) return no_streams();
  kubestream::PortForwardRequest r;
  r.pod_sandbox_id = snapshot(*p).id;
  for (int32_t port : req.port()) {
    if (port <= 0 || port > 65535) return invalid_argument("PortForward: port " + std::to_string(port) + " is out of range");
    r.ports.push_back(static_cast<uint16_t>(port));
  }
  auto url = streams_->get_port_forward(r);
  if (!url) return to_status(url.error().wrap("PortForward"));
  resp->set_url(*url);
  return grpc::Status::OK;
}

}  // namespace berth::cri
