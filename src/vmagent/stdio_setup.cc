#include "vmagent/stdio_setup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/strings.h"
#include "vmagent/shares.h"

namespace berth::vmagent {

Result<PreparedStdio> prepare_stdio(const std::string& dir, bool tty, bool open_stdin) {
  remove_tree(dir);
  if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno("creating " + dir);
  PreparedStdio p;
  p.dirfd.reset(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!p.dirfd) return fail_errno("opening " + dir);
  p.stdio = TRY(shim::ContainerStdio::prepare(tty, open_stdin, p.dirfd.get()));
  return p;
}

Result<pid_t> start_with_stdio(PreparedStdio& io, const std::function<Result<pid_t>(const std::string& console)>& start,
                               const std::function<void(pid_t)>& undo) {
  TRYV(io.stdio.install());
  auto started = start(io.stdio.console_socket());
  io.stdio.restore();
  pid_t pid = TRY(std::move(started));
  if (auto r = io.stdio.receive_console(); !r) {
    undo(pid);
    return std::unexpected(r.error());
  }
  return pid;
}

Result<pid_t> read_pid_file(const std::string& path) {
  std::string text = TRY(read_file(path));
  auto pid = parse_int(trim(text));
  if (!pid || *pid <= 0) return fail(Errc::Internal, "bad pid in " + path + ": " + text.substr(0, 32));
  return static_cast<pid_t>(*pid);
}

}  // namespace berth::vmagent
