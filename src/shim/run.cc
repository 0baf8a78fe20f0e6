#include "shim/run.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/file.h"
#include "base/log.h"
#include "runtime/container.h"
#include "shim/container_stdio.h"
#include "shim/monitor.h"
#include "shim/start.h"
#include "shimproto/protocol.h"
#include "sys/proc.h"

namespace berth::shim {
namespace {

constexpr char kSocketName[] = "shim.sock";

// <state>/shim.sock, 0600, bound through /proc/self/fd for long state paths.
Result<UniqueFd> listen_shim_socket(int state_dirfd) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) return fail_errno("creating the shim socket");
  ::unlinkat(state_dirfd, kSocketName, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", state_dirfd, kSocketName);
  mode_t old = ::umask(0077);
  int r = ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r != 0) return fail_errno("binding the shim socket");
  if (::listen(sock.get(), 16) != 0) return fail_errno("listening on the shim socket");
  return sock;
}

Result<void> write_shim_pid(const std::string& state_dir) {
  uint64_t start = TRY(sys::process_start_time(::getpid()));
  return write_file_atomic(state_dir + "/shim.pid", std::to_string(::getpid()) + " " + std::to_string(start) + "\n",
                           0644, false);
}

struct Prepared {
  UniqueFd state_dir, listen;
  ContainerStdio stdio;
  std::unique_ptr<logs::LogWriter> log;
  pid_t pid = 0;
};

Result<void> prepare(const Options& o, Prepared& p) {
  // Its own session (the launcher asked for one too): no signal aimed at
  // the daemon's process group or terminal reaches the shim.
  ::setsid();
  // Processes of the container (or exec) that lose their parent come to the
  // shim, which reaps them, instead of to the host's init.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return fail_errno("becoming a child subreaper");
  p.state_dir.reset(::open(o.state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!p.state_dir) return fail_errno("opening state directory " + o.state_dir);
  TRYV(write_shim_pid(o.state_dir));
  p.listen = TRY(listen_shim_socket(p.state_dir.get()));
  p.stdio = TRY(ContainerStdio::prepare(o.tty, o.open_stdin, p.state_dir.get()));
  if (!o.exec_mode()) p.log = TRY(logs::open_log_writer(o.log_driver, o.log_path, o.log_options));
  p.pid = TRY(start_process(o, p.stdio));
  return {};
}

// Container mode's leftovers after its shim died: the container (its
// processes, cgroups and state). Nothing left is success.
int cleanup(const Options& o) {
  auto r = runtime::delete_container(runtime::RuntimeContext{o.runtime_root}, o.id, true);
  if (!r && r.error().code != Errc::NotFound) {
    log::error("{}", r.error().str());
    return 1;
  }
  return 0;
}

}  // namespace

UniqueFd take_daemon_fd() {
  UniqueFd daemon;
  if (::fcntl(kDaemonFd, F_SETFD, FD_CLOEXEC) == 0) daemon.reset(kDaemonFd);
  return daemon;
}

void report_failure(int daemon_fd, const Error& e) {
  std::string message = e.str();
  log::error("{}", message);
  if (daemon_fd < 0) return;
  nlohmann::json j = {{"message", message}, {"code", errc_code(e.code)}};
  (void)shimproto::write_frame(daemon_fd, Frame::Failed,
                               j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int run(const Options& o, UniqueFd daemon) {
  if (o.cleanup) return cleanup(o);
  Prepared p;
  if (auto r = prepare(o, p); !r) {
    report_failure(daemon.get(), r.error());
    if (p.state_dir) ::unlinkat(p.state_dir.get(), kSocketName, 0);
    return 1;
  }
  // Only now: the container's process must not inherit an ignored SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  if (!shimproto::write_frame(daemon.get(), Frame::Started, nlohmann::json{{"pid", p.pid}}.dump())) daemon.reset();
  Monitor m(o, std::move(p.stdio), std::move(p.log), p.pid, p.state_dir.get());
  if (auto r = m.init(std::move(p.listen), std::move(daemon)); !r) {
    // Nothing would watch the process: take it down rather than leave it unmonitored.
    log::error("{}", r.error().str());
    ::kill(p.pid, SIGKILL);
    if (!o.exec_mode()) (void)runtime::delete_container(runtime::RuntimeContext{o.runtime_root}, o.id, true);
    return 1;
  }
  // create's parsing and set-up left free heap behind; give it back (PSS per
  // shim), and monitor with glibc's default thresholds (a standby raised them
  // to keep the heap it mapped in ahead: standby.cc).
  ::mallopt(M_MMAP_THRESHOLD, 128 << 10);
  ::mallopt(M_TRIM_THRESHOLD, 128 << 10);
  ::malloc_trim(0);
  auto st = m.run();
  if (!st) {
    log::error("{}", st.error().str());
    return 1;
  }
  return 0;
}

}  // namespace berth::shim
