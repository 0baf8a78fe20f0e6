// The container service as the health monitor's Prober and HealthSink.
#pragma once

#include "engine/container_service.h"

namespace berth::engine {

class ContainerService::HealthBridge final : public health::Prober, public health::HealthSink {
 public:
  explicit HealthBridge(ContainerService* s) : s_(s) {}
  Result<std::shared_ptr<health::ProbeHandle>> start_probe(const std::string& id, const std::vector<std::string>& argv,
                                                           health::ProbeDone done) override {
    return s_->start_probe(id, argv, std::move(done));
  }
  void on_health(const std::string& id, const std::string& run, const model::Health& h, bool changed) override {
    s_->on_health(id, run, h, changed);
  }

 private:
  ContainerService* s_;
};

}  // namespace berth::engine
