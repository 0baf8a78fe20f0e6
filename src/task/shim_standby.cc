#include "task/shim_standby.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "shimproto/assignment.h"
#include "sys/userns.h"
#include "task/spawn.h"

namespace berth::task {
namespace {

// Its stderr is /dev/null until the Launch frame names its log. The empty
// arguments are room for the command line it shows once it has work.
Result<ShimStandby::Idle> start_idle(const std::string& binary) {
  std::vector<std::string> args = {binary, shimproto::kStandbyFlag};
  args.resize(2 + shimproto::kStandbyArgSpace);
  return spawn_connected_shim(binary, args, "/dev/null", "standby");
}

ShimStandby::Scheduling scheduling_of_this_thread() {
  ShimStandby::Scheduling s;
  s.policy = ::sched_getscheduler(0);
  ::sched_getparam(0, &s.param);
  errno = 0;
  int n = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  if (errno == 0) s.nice = n;
  return s;
}

Result<void> apply_scheduling(const ShimStandby::Scheduling& s, pid_t pid) {
  if (::sched_setscheduler(pid, s.policy, &s.param) != 0) return fail_errno("setting a standby shim's scheduling policy");
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(pid), s.nice) != 0)
    return fail_errno("setting a standby shim's nice value");
  return {};
}

}  // namespace

ShimStandby::ShimStandby(std::string shim_binary)
    : binary_(std::move(shim_binary)), normal_(scheduling_of_this_thread()) {
  filler_ = std::thread([this] { fill(); });
}

ShimStandby::~ShimStandby() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  filler_.join();
  if (idle_) kill_and_reap(idle_->pid);
}

std::optional<ShimStandby::Idle> ShimStandby::take() {
  std::optional<Idle> out;
  {
    std::lock_guard lk(mu_);
    out.swap(idle_);
    wanted_ = true;
  }
  cv_.notify_all();
  // It was started (and waited) at idle priority; from now on it is on the
  // start path, and its container inherits how it is scheduled.
  if (out) {
    if (auto r = apply_scheduling(normal_, out->pid); !r) {
      log::warn("{}; starting a shim the usual way", r.error().str());
      kill_and_reap(out->pid);
      out.reset();
    }
  }
  return out;
}

bool ShimStandby::wait_ready(std::chrono::milliseconds limit) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, limit, [&] { return idle_.has_value(); });
}

std::optional<pid_t> ShimStandby::idle_pid() {
  std::lock_guard lk(mu_);
  if (!idle_) return std::nullopt;
  return idle_->pid;
}

void ShimStandby::fill() {
  // The next shim starts while a container is being set up: at idle priority
  // (inherited by the spawned process) it takes no CPU from that start.
  // Not in a user namespace (rootless): leaving SCHED_IDLE again needs
  // CAP_SYS_NICE on the host, so the shim could never be given back its priority.
  sched_param idle_param{};
  if (!sys::in_user_namespace() && ::sched_setscheduler(0, SCHED_IDLE, &idle_param) != 0)
    log::warn("standby shims start at normal priority: {}", std::strerror(errno));
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return stopping_ || (wanted_ && !idle_); });
    if (stopping_) return;
    wanted_ = false;
    lk.unlock();
    auto idle = start_idle(binary_);
    lk.lock();
    if (!idle) {
      log::warn("starting a standby shim: {}", idle.error().str());
      continue;
    }
    if (stopping_) {
      lk.unlock();
      kill_and_reap(idle->pid);
      return;
    }
    idle_ = std::move(*idle);
    cv_.notify_all();
  }
}

}  // namespace berth::task
