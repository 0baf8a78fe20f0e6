#include "mount_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace berth::testing {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "<missing>";
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

std::string apply_mount(const snapshot::Mount& m, const std::string& target) {
  unsigned long flags = 0;
  std::string data;
  for (const auto& o : m.options) {
    if (o == "ro") flags |= MS_RDONLY;
    else if (o == "rw") continue;
    else if (o == "bind") flags |= MS_BIND;
    else if (o == "rbind") flags |= MS_BIND | MS_REC;
    else data += (data.empty() ? "" : ",") + o;
  }
  int cwd = -1;
  if (!m.chdir.empty()) {
    cwd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (::chdir(m.chdir.c_str()) != 0) return "chdir " + m.chdir + ": " + std::strerror(errno);
  }
  int rc;
  if (flags & MS_BIND) {
    rc = ::mount(m.source.c_str(), target.c_str(), nullptr, flags & ~MS_RDONLY, nullptr);
    // A bind mount ignores MS_RDONLY until remounted.
    if (rc == 0 && (flags & MS_RDONLY))
      rc = ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  } else {
    rc = ::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags, data.c_str());
  }
  int err = errno;
  if (cwd >= 0) {
    (void)::fchdir(cwd);
    ::close(cwd);
  }
  if (rc != 0)
    return "mounting " + m.type + " on " + target + " (data " + std::to_string(data.size()) +
           " bytes): " + std::strerror(err);
  return "";
}

std::string in_mount_ns(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg;
    if (::unshare(CLONE_NEWNS) != 0) msg = "unshare(CLONE_NEWNS) failed";
    else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      msg = "making / private failed";
    else msg = fn();
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(msg.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "child killed by signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0 && msg.empty()) return "child failed";
  return msg;
}

}  // namespace berth::testing
