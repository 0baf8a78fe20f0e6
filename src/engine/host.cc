#include "engine/host.h"

#include "base/log.h"

namespace berth::engine {

const specgen::HostInfo& host_info() {
  static const specgen::HostInfo info = [] {
    auto r = specgen::probe_host();
    if (!r) {
      log::warn("probing the host: {}", r.error().str());
      return specgen::HostInfo{};
    }
    return *r;
  }();
  return info;
}

}  // namespace berth::engine
