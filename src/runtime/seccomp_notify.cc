#include "runtime/seccomp_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include "runtime/launch/sync.h"
#include "sys/fdpass.h"

namespace berth::runtime {

Result<UniqueFd> receive_seccomp_listener(int sync_fd) {
  SyncMsg msg;
  int passed = -1;
  if (sync_recv_with_fd(sync_fd, &msg, &passed) != 0)
    return fail(Errc::Internal, "the container process exited before sending its seccomp listener");
  UniqueFd fd(passed);
  if (msg.type == SyncType::Error) {
    msg.text[sizeof msg.text - 1] = 0;
    return std::unexpected(Error{msg.err ? errc_from_errno(msg.err) : Errc::Internal, msg.err, msg.text});
  }
  if (msg.type != SyncType::SeccompListener || !fd)
    return fail(Errc::Internal, "expected the seccomp listener from the container process");
  return fd;
}

Result<void> send_to_seccomp_agent(int listener, const std::string& listener_path, const std::string& metadata,
                                   pid_t pid, const nlohmann::json& state) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listener_path.size() >= sizeof addr.sun_path)
    return fail(Errc::InvalidArgument, "linux.seccomp.listenerPath is too long: " + listener_path);
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", listener_path.c_str());
  if (!sock || ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("linux.seccomp.listenerPath: connecting to " + listener_path);
  nlohmann::json process_state = {{"ociVersion", state.value("ociVersion", "1.0.2")},
                                  {"fds", {"seccompFd"}},
                                  {"pid", pid},
                                  {"metadata", metadata},
                                  {"state", state}};
  return sys::send_fd(sock.get(), listener, process_state.dump());
}

}  // namespace berth::runtime
