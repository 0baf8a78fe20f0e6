#include "base/heap_trim.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/log.h"

namespace berth {
namespace {

class Trimmer {
 public:
  void begin(bool big) {
    std::lock_guard lk(mu_);
    peak_ = std::max(peak_, ++active_);
    big_ = big_ || big;
  }
  void end() {
    std::lock_guard lk(mu_);
    if (--active_ > 0) return;
    bool burst = peak_ >= 2 || big_;
    peak_ = 0;
    big_ = false;
    if (!burst) return;
    pending_ = true;
    if (!started_) {
      started_ = true;
      // Lives as long as the process (the instance is never destroyed).
      std::thread([this] { run(); }).detach();
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return pending_ && active_ == 0; });
      pending_ = false;
      lk.unlock();
      size_t before = ::mallinfo2().uordblks;
      ::malloc_trim(0);
      log::debug("heap trimmed after a burst ({} KiB in use)", before / 1024);
      // The pause between trims (a rate, not an ordering): a burst that ends
      // meanwhile is trimmed right after it.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0, peak_ = 0;
  bool big_ = false, pending_ = false, started_ = false;
};

Trimmer& trimmer() {
  static Trimmer* t = new Trimmer;  // never destroyed: its thread may outlive static destructors
  return *t;
}

}  // namespace

HeapTrimmer::Busy::Busy(bool big) { trimmer().begin(big); }
HeapTrimmer::Busy::~Busy() { trimmer().end(); }

}  // namespace berth
