#include "support/bundle.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace berth::testing {
namespace fs = std::filesystem;

namespace {

std::string g_rootfs_template;

void ensure_template() {
  if (!g_rootfs_template.empty()) return;
  std::string script = fixture_path("make-rootfs.sh");
  char tmpl[] = "/tmp/berth-it-rootfs-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  std::string dir = std::string(tmpl) + "/rootfs";
  auto r = run_command({"/bin/sh", script, dir});
  if (r.status != 0) throw std::runtime_error("make-rootfs.sh failed: " + r.err);
  g_rootfs_template = dir;
  std::atexit([] { fs::remove_all(fs::path(g_rootfs_template).parent_path()); });
}

}  // namespace

CmdResult run_command(const std::vector<std::string>& argv, const std::string& input,
                      const std::vector<int>& extra_fds) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    int target = 3;
    for (int fd : extra_fds) {
      int tmp = fcntl(fd, F_DUPFD_CLOEXEC, 100);
      dup2(tmp, target++);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  // Read until the command exits, not until EOF: a container started by
  // `create` or `run -d` keeps our pipes open as its stdio.
  CmdResult r;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  struct pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  char buf[4096];
  bool exited = false;
  while (!exited) {
    if (poll(fds, 3, -1) < 0) continue;
    exited = fds[2].revents & POLLIN;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) fds[i].fd = -1;
      else (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
  }
  for (int i = 0; i < 2; ++i) {
    int fd = i == 0 ? out[0] : err[0];
    fcntl(fd, F_SETFL, O_NONBLOCK);
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
    close(fd);
  }
  close(pidfd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string make_rootfs(const std::string& dir) {
  ensure_template();
  auto r = run_command({"/bin/cp", "-a", g_rootfs_template, dir});
  if (r.status != 0) throw std::runtime_error("copying the rootfs: " + r.err);
  return dir;
}

Bundle::Bundle() {
  char tmpl[] = "/tmp/berth-it-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  make_rootfs(rootfs());
  auto r = run_command({runtime_path(), "spec", "--bundle", dir_});
  if (r.status != 0) throw std::runtime_error("berth-runtime spec failed: " + r.err);
  config_ = nlohmann::json::parse(slurp(dir_ + "/config.json"));
  config_["process"]["terminal"] = false;
  config_["process"]["args"] = {"true"};
  config_["root"]["readonly"] = false;  // tests write results into the rootfs
  save();
}

Bundle::~Bundle() {
  for (const auto& id : ids_) runtime({"delete", "--force", id});
  fs::remove_all(dir_);
}

void Bundle::save() const {
  std::ofstream(dir_ + "/config.json") << config_.dump(2);
}

CmdResult Bundle::runtime(const std::vector<std::string>& args, const std::string& input,
                          const std::vector<int>& extra_fds) const {
  std::vector<std::string> argv = {runtime_path(), "--root", state_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!args.empty() && (args[0] == "create" || args[0] == "run")) ids_.push_back(args.back());
  return run_command(argv, input, extra_fds);
}

CmdResult Bundle::run(const std::string& id) {
  save();
  return runtime({"run", "--bundle", dir_, id.empty() ? unique_id() : id});
}

std::string Bundle::unique_id(const std::string& prefix) const {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> mounts_containing(const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(slurp("/proc/mounts"));
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

}  // namespace berth::testing
