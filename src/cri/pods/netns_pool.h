// Network namespaces made ahead of the pods that will hold them. Creating one
// (unshare on a short-lived thread, lo up) is most of what RunPodSandbox does
// itself before the CNI ADD can start: 0.3-0.9 ms on a quiet node, several ms
// under load. A background thread keeps one ready; a pod takes it and the next
// is made while its CNI plugins run. Pods started while none is ready make
// their own, as before. Started at the first take(): a node without pods holds
// nothing.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::cri {

class NetnsPool {
 public:
  explicit NetnsPool(size_t keep = 1) : keep_(keep) {}
  ~NetnsPool();
  NetnsPool(const NetnsPool&) = delete;
  NetnsPool& operator=(const NetnsPool&) = delete;

  // A fresh network namespace with lo up, as an open nsfs fd; an empty fd
  // when none is ready (the caller makes its own).
  UniqueFd take();

 private:
  void fill();

  const size_t keep_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<UniqueFd> ready_;
  bool started_ = false, stopping_ = false;
  std::thread filler_;
};

// A fresh network namespace with lo up, as an nsfs fd (made on a short-lived
// thread, so no thread of ours stays in it).
Result<UniqueFd> make_netns();

// Creates path (0444) and bind-mounts the namespace fd at it.
Result<void> hold_netns_fd_at(int fd, const std::string& path);

}  // namespace berth::cri
