// The container service's listener for one run of a container's task:
// output to attached clients, the exit back to the service.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "engine/container_service.h"
#include "task/task.h"

namespace berth::engine {

// The listener of one run. An exit that comes before the start is recorded
// (a process that ends at once) waits until start_locked arms it.
class ContainerService::TaskEvents : public task::ProcessListener {
 public:
  TaskEvents(ContainerService* service, std::shared_ptr<Container> c) : service_(service), c_(std::move(c)) {}

  void on_output(task::Stream stream, std::string_view bytes) override { service_->deliver_output(c_, stream, bytes); }

  void on_exit(const task::ExitStatus& status) override {
    {
      std::lock_guard lk(mu_);
      if (!armed_) {
        early_exit_ = status;
        return;
      }
    }
    service_->on_exit(c_, status);
  }

  // The run is recorded: exits go through from now on.
  void arm() {
    std::optional<task::ExitStatus> early;
    {
      std::lock_guard lk(mu_);
      armed_ = true;
      early = early_exit_;
    }
    if (early) service_->on_exit(c_, *early);
  }

 private:
  ContainerService* service_;
  std::shared_ptr<Container> c_;
  std::mutex mu_;
  bool armed_ = false;
  std::optional<task::ExitStatus> early_exit_;
};

}  // namespace berth::engine
