#include "cni/cni.h"

namespace berth::cni {

namespace {

// Placeholder until the plugin runner lands on this branch: every call says so.
class PendingNetwork final : public Network {
 public:
  Result<AttachResult> attach(const AttachRequest&) override { return fail(Errc::Unsupported, kWhy); }
  Result<void> detach(const AttachRequest&) override { return fail(Errc::Unsupported, kWhy); }
  Result<void> ready() const override { return fail(Errc::Unsupported, kWhy); }
  std::string network_name() const override { return ""; }

 private:
  static constexpr const char* kWhy = "CNI networking is not implemented yet on this branch";
};

}  // namespace

Result<std::unique_ptr<Network>> Network::open(NetworkOptions) { return std::make_unique<PendingNetwork>(); }

}  // namespace berth::cni
