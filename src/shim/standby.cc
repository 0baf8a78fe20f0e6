#include "shim/standby.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

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

bool is_standby_command_line(int argc, char** argv) {
  if (argc != 2 + shimproto::kStandbyArgSpace || std::strcmp(argv[1], shimproto::kStandbyFlag) != 0) return false;
  for (int i = 2; i < argc; ++i)
    if (argv[i][0] != '\0') return false;
  return true;
}

void show_command_line(const std::vector<std::string>& args, int argc, char** argv) {
  // setproctitle's way (PR_SET_MM would need CAP_SYS_RESOURCE): the area is
  // contiguous and ends with a NUL that stays, so the kernel reads it as argv.
  char* begin = argv[0];
  char* end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
  size_t room = static_cast<size_t>(end - begin) - 1;
  size_t at = 0;
  for (const auto& a : args) {
    if (at >= room) break;
    size_t n = std::min(a.size(), room - at);
    std::memcpy(begin + at, a.data(), n);
    at += n;
    if (at < room) begin[at++] = '\0';
  }
  std::memset(begin + at, 0, static_cast<size_t>(end - begin) - at);
}

}  // namespace berth::shim
