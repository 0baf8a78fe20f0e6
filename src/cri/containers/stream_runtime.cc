// The streaming server's runtime side: exec and attach through the engine
// (a socketpair per session, see exec_pump.h), and port-forward as a TCP
// connection made inside the pod's network namespace.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "cri/containers/container_view.h"
#include "cri/containers/exec_pump.h"
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
  Result<UniqueFd> result = fail(Errc::Internal, "port-forward did not run");
  // A socket belongs to the namespace it was made in: a short-lived thread
  // joins the pod's, connects, and the socket keeps working outside it.
  std::thread([&] {
    if (!sb.netns.empty()) {
      UniqueFd ns(::open(sb.netns.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
        result = fail_errno("joining the network namespace of pod " + sb.id);
        return;
      }
    }
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) {
      result = fail_errno("opening a socket for port-forward");
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      result = fail_errno("connecting to port " + std::to_string(port) + " in pod " + sb.id);
      return;
    }
    result = std::move(s);
  }).join();
  return result;
}

}  // namespace berth::cri
