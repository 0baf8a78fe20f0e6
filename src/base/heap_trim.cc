#include "base/heap_trim.h"

#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace berth {
namespace {

class Trimmer {
 public:
  void begin() {
    std::lock_guard lk(mu_);
    ++active_;
  }
  void end() {
    std::lock_guard lk(mu_);
    if (--active_ == 0) {
      pending_ = true;
      if (!started_) {
        started_ = true;
        // Lives as long as the process (the instance is never destroyed).
        std::thread([this] { run(); }).detach();
      }
      cv_.notify_one();
    }
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return pending_ && active_ == 0; });
      pending_ = false;
      lk.unlock();
      ::malloc_trim(0);
      // The pause between trims (a rate, not an ordering): a burst that ends
      // meanwhile is trimmed right after it.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool pending_ = false, started_ = false;
};

Trimmer& trimmer() {
  static Trimmer* t = new Trimmer;  // never destroyed: its thread may outlive static destructors
  return *t;
}

}  // namespace

HeapTrimmer::Busy::Busy() { trimmer().begin(); }
HeapTrimmer::Busy::~Busy() { trimmer().end(); }

}  // namespace berth
