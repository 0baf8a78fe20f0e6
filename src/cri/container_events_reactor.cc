#include "cri/container_events_reactor.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace berth::cri {

namespace {

// One thread per stream blocks in watch->next() (as a synchronous handler
// would) and hands each event to gRPC, one write in flight at a time. The
// reactor is freed by whichever of that thread and OnDone comes last.
class ContainerEventsReactor final : public grpc::ServerWriteReactor<rt::ContainerEventResponse> {
 public:
  explicit ContainerEventsReactor(std::unique_ptr<ContainerEventWatch> watch) : watch_(std::move(watch)) {
    std::thread([this] { pump(); }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lk(mu_);
    writing_ = false;
    if (!ok) stop_locked();  // the client is gone
    cv_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard lk(mu_);
    stop_locked();
  }
  void OnDone() override { release(); }

 private:
  void stop_locked() {
    stopped_ = true;
    if (watch_) watch_->cancel();
  }

  void pump() {
    for (;;) {
      auto ev = watch_->next();  // watch_ is reset only by this thread
      {
        std::lock_guard lk(mu_);
        if (!ev || stopped_) break;
        current_ = std::move(*ev);
        writing_ = true;
      }
      StartWrite(&current_);  // not under mu_: OnWriteDone takes it
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !writing_; });  // a cancelled write still completes, with ok=false
      if (stopped_) break;
    }
    {
      // Nothing of the engine's is touched after Finish: berthd may be stopping.
      std::lock_guard lk(mu_);
      watch_.reset();
    }
    Finish(grpc::Status::OK);
    release();
  }

  void release() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  std::unique_ptr<ContainerEventWatch> watch_;
  std::mutex mu_;
  std::condition_variable cv_;
  rt::ContainerEventResponse current_;
  bool writing_ = false;
  bool stopped_ = false;
  std::atomic<int> refs_{2};  // the pump thread and gRPC's OnDone
};

// A stream that cannot be served: finished at once with the reason.
class RefusedEvents final : public grpc::ServerWriteReactor<rt::ContainerEventResponse> {
 public:
  RefusedEvents() {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "berthd's event bus is not wired to the CRI"));
  }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<rt::ContainerEventResponse>* start_container_events(
    std::unique_ptr<ContainerEventWatch> watch) {
  if (!watch) return new RefusedEvents();
  return new ContainerEventsReactor(std::move(watch));
}

}  // namespace berth::cri
