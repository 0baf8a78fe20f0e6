#include "shim/requests.h"

#include <csignal>

#include "runtime/container.h"
#include "spec/runtime_spec.h"
#include "shim/vm_control.h"

namespace berth::shim {
namespace {

Result<int> signal_arg(const shimproto::Request& r) {
  auto it = r.args.find("signal");
  if (it == r.args.end() || !it->is_number_integer())
    return fail(Errc::InvalidArgument, "request " + r.op + ": \"signal\" must be a signal number");
  int64_t sig = it->get<int64_t>();
  if (sig <= 0 || sig > SIGRTMAX)
    return fail(Errc::InvalidArgument, "request " + r.op + ": " + std::to_string(sig) + " is not a signal number");
  return static_cast<int>(sig);
}

// An exec's shim watches one process: what concerns the container is the container's shim's.
Result<nlohmann::json> answer_exec(pid_t pid, const shimproto::Request& r) {
  if (r.op != shimproto::op::kKill)
    return fail(Errc::Unsupported, "the monitor of an exec answers kill only; '" + r.op +
                                       "' is for the container's monitor");
  int sig = TRY(signal_arg(r));
  // Our child, not reaped yet: the pid cannot have been reused.
  if (::kill(pid, sig) != 0) return fail_errno("sending signal " + std::to_string(sig) + " to process " + std::to_string(pid));
  return nlohmann::json();
}

// A VM's runner does the work (vm/runner.h): signals go to the guest agent,
// pause and resume to QEMU (the whole VM stops), stats from the guest.
Result<nlohmann::json> answer_vm(const Options& o, const shimproto::Request& r) {
  namespace op = shimproto::op;
  if (r.op == op::kKill || r.op == op::kKillAll)
    return control_call(o.state_dir, {{"op", "signal"}, {"signal", TRY(signal_arg(r))}, {"all", r.op == op::kKillAll}});
  if (r.op == op::kPause) return control_call(o.state_dir, {{"op", "pause"}});
  if (r.op == op::kResume) return control_call(o.state_dir, {{"op", "resume"}});
  if (r.op == op::kStats) return control_call(o.state_dir, {{"op", "stats"}});
  if (r.op == op::kPids) return nlohmann::json::array();  // the guest's pids mean nothing on the host
  if (r.op == op::kUpdate)
    return fail(Errc::Unsupported, "a microVM's size is fixed when it starts: docker update cannot change it");
  return fail(Errc::Unsupported, "berth-shim does not know the request '" + r.op + "'");
}

}  // namespace

Result<nlohmann::json> answer_request(const Options& o, pid_t pid, const shimproto::Request& r) {
  namespace op = shimproto::op;
  if (o.exec_mode()) return answer_exec(pid, r);
  if (o.vm_mode()) return answer_vm(o, r);
  runtime::RuntimeContext ctx{o.runtime_root};
  if (r.op == op::kKill || r.op == op::kKillAll) {
    TRYV(runtime::kill_container(ctx, o.id, TRY(signal_arg(r)), r.op == op::kKillAll));
    return nlohmann::json();
  }
  if (r.op == op::kPause) {
    TRYV(runtime::pause_container(ctx, o.id));
    return nlohmann::json();
  }
  if (r.op == op::kResume) {
    TRYV(runtime::resume_container(ctx, o.id));
    return nlohmann::json();
  }
  if (r.op == op::kUpdate) {
    auto it = r.args.find("resources");
    if (it == r.args.end() || !it->is_object())
      return fail(Errc::InvalidArgument, "request update: \"resources\" must be an OCI linux.resources object");
    auto res = TRY(spec::parse_resources(it->dump()));
    TRYV(runtime::update_container(ctx, o.id, res));
    return nlohmann::json();
  }
  if (r.op == op::kPids) return nlohmann::json(TRY(runtime::container_pids(ctx, o.id)));
  if (r.op == op::kStats) return TRY(runtime::container_stats(ctx, o.id));
  if (r.op == op::kCgroupDirs) return TRY(runtime::container_cgroup_dirs(ctx, o.id));
  return fail(Errc::Unsupported, "berth-shim does not know the request '" + r.op + "'");
}

}  // namespace berth::shim
