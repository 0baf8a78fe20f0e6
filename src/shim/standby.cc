#include "shim/standby.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "shimproto/protocol.h"

namespace berth::shim {

Result<std::optional<shimproto::Assignment>> await_assignment(int daemon_fd) {
  if (daemon_fd < 0) return fail(Errc::InvalidArgument, "berth-shim --standby: no daemon connection on fd 3");
  auto frame = shimproto::read_frame(daemon_fd);
  if (!frame) {
    if (frame.error().code == Errc::Unavailable) return std::optional<shimproto::Assignment>();
    return std::unexpected(std::move(frame).error());
  }
  if (frame->first != shimproto::Frame::Launch)
    return fail(Errc::InvalidArgument, "berth-shim --standby: expected a Launch frame, got type " +
                                           std::to_string(static_cast<int>(frame->first)));
  return std::optional<shimproto::Assignment>(TRY(shimproto::Assignment::decode(frame->second)));
}

Result<void> take_log(const std::string& log_path) {
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) return fail_errno("opening the shim log " + log_path);
  if (::dup2(log.get(), STDERR_FILENO) < 0) return fail_errno("making " + log_path + " the shim's stderr");
  return {};
}

void show_command_line(const std::vector<std::string>& args) {
  // Never freed: the kernel reads /proc/PID/cmdline from here from now on.
  static std::string* text = new std::string;
  for (const auto& a : args) {
    text->append(a);
    text->push_back('\0');
  }
  auto start = reinterpret_cast<unsigned long>(text->data());
  // The new area lies below the stack's, so start <= end holds after each call.
  if (::prctl(PR_SET_MM, PR_SET_MM_ARG_START, start, 0, 0) == 0)
    ::prctl(PR_SET_MM, PR_SET_MM_ARG_END, start + text->size(), 0, 0);
}

}  // namespace berth::shim
