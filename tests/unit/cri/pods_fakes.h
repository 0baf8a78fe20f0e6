// Fakes for the pod side's own seams: the CNI network and the kernel (held
// namespaces, the pod's shm). The engine below is the real ContainerService
// over the engine's fakes (tests/unit/engine/fakes.h).
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cni/cni.h"
#include "cri/pods/pod_kernel.h"

namespace berth::cri::fakes {

class FakeNetwork : public cni::Network {
 public:
  Result<cni::AttachResult> attach(const cni::AttachRequest& r) override {
    std::lock_guard lk(mu);
    attaches.push_back(r);
    if (fail_attach) return fail(Errc::Internal, "plugin bridge failed: no bridge");
    cni::AttachResult res;
    res.ips.push_back({"10.216.0." + std::to_string(1 + attaches.size()) + "/16", "10.216.0.1", 4});
    return res;
  }
  Result<void> detach(const cni::AttachRequest& r) override {
    std::lock_guard lk(mu);
    detaches.push_back(r);
    return {};
  }
  Result<void> ready() const override {
    if (not_ready) return fail(Errc::Unavailable, "no network config found in /etc/cni/net.d");
    return {};
  }
  std::string network_name() const override { return "bpod-test"; }
  Result<std::vector<cni::CachedAttachmentInfo>> attachments() const override {
    std::lock_guard lk(mu);
    return cached;
  }
  std::vector<cni::CachedAttachmentInfo> cached;  // what a previous daemon left in the cache

  mutable std::mutex mu;
  std::vector<cni::AttachRequest> attaches, detaches;
  bool fail_attach = false, not_ready = false;
};

class FakeKernel : public PodKernel {
 public:
  Result<void> hold_namespaces(const engine::HeldNamespacePaths& p) override {
    std::lock_guard lk(mu);
    holds.push_back(p);
    for (const auto& f : {p.net, p.ipc, p.uts})
      if (!f.empty()) held.insert(f);
    return {};
  }
  void release_namespace(const std::string& path) override {
    std::lock_guard lk(mu);
    held.erase(path);
    released.push_back(path);
  }
  bool is_held(const std::string& path) override {
    std::lock_guard lk(mu);
    return held.count(path) > 0;
  }
  Result<void> mount_shm(const std::string& dir) override {
    std::lock_guard lk(mu);
    shms.insert(dir);
    std::filesystem::create_directories(dir);  // a bind source must exist
    return {};
  }
  Result<int> start_pid_holder(const std::string& init_path, const std::string& pidns_file) override {
    std::lock_guard lk(mu);
    holders[pidns_file] = init_path;
    held.insert(pidns_file);
    return 7000 + static_cast<int>(holders.size());
  }
  void stop_pid_holder(int pid, const std::string& pidns_file) override {
    std::lock_guard lk(mu);
    if (pid > 0) stopped_holders.push_back(pid);
    held.erase(pidns_file);
  }
  void unmount_shm(const std::string& dir) override {
    std::lock_guard lk(mu);
    shms.erase(dir);
  }

  std::mutex mu;
  std::vector<engine::HeldNamespacePaths> holds;
  std::set<std::string> held, shms;
  std::vector<std::string> released;
  std::map<std::string, std::string> holders;  // pidns file -> init path
  std::vector<int> stopped_holders;
};

}  // namespace berth::cri::fakes
