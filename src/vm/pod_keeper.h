// A VM pod's keeper, once its VM is up (runner.h, berth-vm-runner --pod-vm):
// the loop that serves the pod's container runners on the keeper's socket
// and shares the one agent channel among them through a PodMux (pod_mux.h).
// Each runner that connects is greeted with a Hello frame holding the
// agent's Hello fields, its slot and the pod's share dir; then frames flow
// both ways unchanged. Writes are blocking: a runner that stops reading
// holds the pod up (each runner's loop reads at once).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "vm/pod_mux.h"
#include "vmproto/frame.h"

namespace berth::vm {

// A VM pod's directory (the CRI's pod dir) holds this marker for the pod's
// life, and the keeper's state dir `vm` beside it.
inline constexpr char kVmPodMarker[] = "vm-pod";
inline constexpr char kVmPodKeeperDir[] = "vm";

// The keeper socket a container's runner joins (berth-vm-runner --pod) when
// its network namespace is a VM pod's (<pod>/net beside <pod>/vm-pod), else "".
std::string vm_pod_socket(const nlohmann::json& config);

class PodServer {
 public:
  // sigchld: called on SIGCHLD, true when the VM (QEMU) is gone.
  PodServer(int agent, int listen, int sigfd, nlohmann::json greeting, std::function<bool()> sigchld);
  // Until the VM is gone or its channel closed, or (after SIGTERM, SIGINT or
  // SIGHUP) the agent answered `shutdown` or stop_limit_ms passed. Every
  // runner's connection is closed when it returns.
  void run(int stop_limit_ms = 10000);

 private:
  struct Conn {
    UniqueFd fd;
    uint32_t slot = 0;
    vmproto::FrameDecoder dec;
  };
  void accept_one();
  void read_conn(int fd);
  void drop(int fd);
  bool read_agent();  // false: the channel closed
  void signals(bool& stop, bool& gone);

  int agent_, listen_, sigfd_;
  nlohmann::json greeting_;
  std::function<bool()> sigchld_;
  PodMux mux_;
  std::map<int, Conn> conns_;
  std::map<uint32_t, int> by_slot_;
  std::vector<int> dead_;  // connections a write failed on, dropped after the event
  vmproto::FrameDecoder agent_dec_;
  bool agent_ok_ = true;
};

}  // namespace berth::vm

namespace berth::vm {

// The pod VM's cgroup (an absolute cgroupfs path): made (no limits: the VM's
// size is its limit) and this process moved into it, in every hierarchy.
Result<void> enter_pod_cgroup(const std::string& path);
// Kills what is left in it (bounded wait per process, by pidfd) and removes
// it; a missing cgroup is fine.
void remove_pod_cgroup(const std::string& path);

}  // namespace berth::vm
