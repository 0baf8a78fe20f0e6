// Directory trees a build is done with (its context, its ADD downloads),
// removed by one background thread after the build has answered: a context of
// 20,000 files takes seconds to unlink, which the client need not wait for.
// A daemon killed meanwhile leaves them under the builder's tmp/, which
// BuildService::recover removes at the next start.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace berth::engine {

class DeferredRemoval {
 public:
  DeferredRemoval() = default;
  DeferredRemoval(const DeferredRemoval&) = delete;
  DeferredRemoval& operator=(const DeferredRemoval&) = delete;
  // Finishes what is queued, so nothing outlives the daemon's orderly stop.
  ~DeferredRemoval();

  // Queues the tree at path (nothing else may use it any more).
  void remove(std::string path);
  // Returns once everything queued before the call is gone (tests, prune).
  void drain();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool busy_ = false, stopping_ = false;
  std::thread worker_;  // started by the first remove
};

}  // namespace berth::engine
