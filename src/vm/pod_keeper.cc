#include "vm/pod_keeper.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>

#include "base/log.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/manager.h"
#include "vm/runner.h"
#include "vmproto/messages.h"

namespace berth::vm {

using vmproto::Frame;

namespace {

constexpr char kPodCgroupId[] = "pod-vm";

Result<std::unique_ptr<runtime::cgroup::Manager>> pod_cgroup_manager(const std::string& path) {
  if (path.empty() || path[0] != '/') return fail(Errc::InvalidArgument, "the pod VM's cgroup \"" + path + "\" is not absolute");
  auto layout = TRY(runtime::cgroup::detect_layout());
  return runtime::cgroup::make_manager(layout, path, kPodCgroupId);
}

}  // namespace

Result<void> enter_pod_cgroup(const std::string& path) {
  auto m = TRY_CTX(pod_cgroup_manager(path), "the pod VM's cgroup " + path);
  TRYV_CTX(m->create(nullptr), "creating the pod VM's cgroup " + path);
  TRYV_CTX(m->add_process(::getpid()), "moving the pod's VM keeper into " + path);
  return {};
}

void remove_pod_cgroup(const std::string& path) {
  auto m = pod_cgroup_manager(path);
  if (!m) return;
  if (auto pids = (*m)->pids()) {
    for (pid_t pid : *pids) {
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (!pidfd) continue;
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      pollfd p{pidfd.get(), POLLIN, 0};
      while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
      }
    }
  }
  if (auto r = (*m)->destroy(); !r) log::warn("removing the pod VM's cgroup {}: {}", path, r.error().str());
}

std::string vm_pod_socket(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("linux") || !config["linux"].is_object()) return "";
  const auto& l = config["linux"];
  if (!l.contains("namespaces") || !l["namespaces"].is_array()) return "";
  for (const auto& ns : l["namespaces"]) {
    if (!ns.is_object() || ns.value("type", "") != "network" || !ns.contains("path") || !ns["path"].is_string()) continue;
    std::string path = ns["path"].get<std::string>();
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return "";
    std::string pod = path.substr(0, slash);
    struct stat st{};
    if (::stat((pod + "/" + kVmPodMarker).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
    return pod + "/" + kVmPodKeeperDir + "/" + kPodSocket;
  }
  return "";
}

PodServer::PodServer(int agent, int listen, int sigfd, nlohmann::json greeting, std::function<bool()> sigchld)
    : agent_(agent),
      listen_(listen),
      sigfd_(sigfd),
      greeting_(std::move(greeting)),
      sigchld_(std::move(sigchld)),
      mux_({[this](Frame t, uint32_t s, std::string_view p) {
              if (agent_ok_ && !vmproto::write_frame(agent_, t, s, p)) agent_ok_ = false;
            },
            [this](uint32_t slot, Frame t, uint32_t s, std::string_view p) {
              auto it = by_slot_.find(slot);
              if (it == by_slot_.end()) return;
              if (!vmproto::write_frame(it->second, t, s, p)) dead_.push_back(it->second);
            }}) {}

void PodServer::accept_one() {
  UniqueFd c(::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC));
  if (!c) return;
  uint32_t slot = mux_.attach();
  nlohmann::json hello = greeting_;
  hello["slot"] = slot;
  if (!slot) hello["error"] = "the pod's VM serves 65535 containers at most";
  if (!vmproto::write_frame(c.get(), Frame::Hello, vmproto::kControlStream, vmproto::dump_json(hello)) || !slot) {
    if (slot) mux_.detach(slot);
    return;
  }
  int fd = c.get();
  by_slot_[slot] = fd;
  conns_[fd] = Conn{std::move(c), slot, {}};
}

void PodServer::drop(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  uint32_t slot = it->second.slot;
  by_slot_.erase(slot);
  conns_.erase(it);
  mux_.detach(slot);  // its containers are killed and deleted
}

void PodServer::read_conn(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) return drop(fd);
  it->second.dec.feed(std::string_view(buf, static_cast<size_t>(n)));
  while (true) {
    auto f = it->second.dec.next();
    if (!f) return drop(fd);  // lost its framing
    if (!*f) return;
    mux_.from_runner(it->second.slot, **f);
  }
}

bool PodServer::read_agent() {
  char buf[65536];
  ssize_t n = ::read(agent_, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  agent_dec_.feed(std::string_view(buf, static_cast<size_t>(n)));
  while (true) {
    auto f = agent_dec_.next();
    if (!f) return false;
    if (!*f) return true;
    mux_.from_agent(**f);
  }
}

void PodServer::signals(bool& stop, bool& gone) {
  signalfd_siginfo si{};
  while (::read(sigfd_, &si, sizeof si) == sizeof si) {
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) gone |= sigchld_();
    else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) stop = true;
  }
}

void PodServer::run(int stop_limit_ms) {
  bool stopping = false, shut_down = false, gone = false;
  std::chrono::steady_clock::time_point deadline{};
  while (!gone && !shut_down && agent_ok_) {
    std::vector<pollfd> p = {{sigfd_, POLLIN, 0}, {agent_, POLLIN, 0}};
    if (!stopping) p.push_back({listen_, POLLIN, 0});
    size_t conns_at = p.size();
    for (const auto& [fd, c] : conns_) p.push_back({fd, POLLIN, 0});
    int timeout = -1;
    if (stopping) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        log::warn("the pod's VM did not answer shutdown within {} ms", stop_limit_ms);
        break;
      }
      timeout = static_cast<int>(left);
    }
    if (::poll(p.data(), p.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      bool stop = false;
      signals(stop, gone);
      if (stop && !stopping) {
        stopping = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(stop_limit_ms);
        mux_.keeper_request("shutdown", "{}", [&](std::string_view) { shut_down = true; });
      }
    }
    if (p[1].revents && !read_agent()) {
      log::warn("the pod's VM agent channel closed");
      break;
    }
    if (!stopping && p[2].revents) accept_one();
    for (size_t i = conns_at; i < p.size(); ++i)
      if (p[i].revents) read_conn(p[i].fd);
    for (int fd : std::exchange(dead_, {})) drop(fd);
  }
  conns_.clear();  // every runner sees its channel close: its container exits 137
  by_slot_.clear();
}

}  // namespace berth::vm
