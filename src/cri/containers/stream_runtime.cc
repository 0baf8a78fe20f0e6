// The streaming server's runtime side: exec and attach through the engine
// (a socketpair per session, see exec_pump.h), and port-forward as a TCP
// connection made inside the pod's network namespace.
#include <unistd.h>

#include <cerrno>

#include "cri/containers/container_view.h"
#include "cri/containers/exec_pump.h"
#include "cri/pods/netns_connect.h"
#include "cri/pods/pod_service.h"
#include "engine/container_service.h"

namespace berth::cri {
namespace {

void write_all(int fd, std::string_view data) {
  while (fd >= 0 && !data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the client went away; the process goes on
    data.remove_prefix(static_cast<size_t>(w));
  }
}

PumpOptions pump_for(const kubestream::StreamIo& io, bool tty) {
  PumpOptions o;
  o.tty = tty;
  o.stdin_fd = io.stdin_fd.get();
  int out = io.stdout_fd.get(), err = io.stderr_fd.get();
  o.on_output = [out, err](OutStream s, std::string_view bytes) { write_all(s == OutStream::Stderr ? err : out, bytes); };
  return o;
}

}  // namespace

Result<int> PodService::exec(const std::string& container_id, const std::vector<std::string>& cmd, bool tty,
                             kubestream::StreamIo io, kubestream::SetResize set_resize) {
  auto c = TRY(deps_.containers->inspect(container_id, false));
  if (!is_cri_container(c)) return fail(Errc::NotFound, "no container " + container_id);
  model::ExecSpec spec;
  spec.cmd = cmd;
  spec.tty = tty;
  spec.attach_stdin = io.stdin_fd.get() >= 0;
  spec.attach_stdout = io.stdout_fd.get() >= 0;
  spec.attach_stderr = io.stderr_fd.get() >= 0;
  std::string exec_id = TRY(deps_.containers->exec_create(c.id, spec));
  if (tty && set_resize)
    set_resize([this, exec_id](unsigned rows, unsigned cols) { (void)deps_.containers->exec_resize(exec_id, rows, cols); });
  TRY(pump_exec([&](UniqueFd fd) { return deps_.containers->exec_start(exec_id, false, tty, std::move(fd), ""); },
                pump_for(io, tty)));
  auto info = TRY(deps_.containers->exec_inspect(exec_id));
  return info.exit_code.value_or(-1);
}

Result<int> PodService::attach(const std::string& container_id, bool tty, kubestream::StreamIo io,
                               kubestream::SetResize set_resize) {
  auto c = TRY(deps_.containers->inspect(container_id, false));
  if (!is_cri_container(c)) return fail(Errc::NotFound, "no container " + container_id);
  if (tty && set_resize)
    set_resize([this, id = c.id](unsigned rows, unsigned cols) { (void)deps_.containers->resize(id, rows, cols); });
  backend::AttachOptions opts;
  opts.stream = true;
  opts.stdin = io.stdin_fd.get() >= 0;
  opts.stdout = io.stdout_fd.get() >= 0;
  opts.stderr = io.stderr_fd.get() >= 0;
  TRY(pump_exec([&](UniqueFd fd) { return deps_.containers->attach(c.id, opts, std::move(fd), ""); },
                pump_for(io, c.spec.config.tty)));
  auto after = TRY(deps_.containers->inspect(c.id, false));
  return after.state.running ? 0 : after.state.exit_code;
}

Result<UniqueFd> PodService::port_forward(const std::string& pod_sandbox_id, uint16_t port) {
  auto p = find_pod(pod_sandbox_id);
  if (!p) return fail(Errc::NotFound, "no pod sandbox " + pod_sandbox_id);
  PodSandbox sb = snapshot(*p);
  if (sb.state != rt::SANDBOX_READY) return fail(Errc::Conflict, "pod sandbox " + sb.id + " is not ready");
  // A VM pod's localhost is the guest's: its address (the guest's NIC) is
  // reached from the host over the CNI bridge instead.
  if (sb.is_vm()) {
    if (sb.ips.empty()) return fail(Errc::Unavailable, "port-forward to VM pod " + sb.id + ": the pod has no IP address");
    auto r = connect_tcp(sb.ips[0], port);
    if (!r) return std::unexpected(r.error().wrap("port-forward to VM pod " + sb.id));
    return r;
  }
  auto r = connect_in_netns(sb.netns, port);
  if (!r) return std::unexpected(r.error().wrap("port-forward to pod " + sb.id));
  return r;
}

}  // namespace berth::cri
