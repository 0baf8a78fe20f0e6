// Plain-copy snapshotter for filesystems where overlay cannot be used: each
// snapshot is a full copy of its parent's tree in ROOT/snapshots/<id>/fs,
// handed out as a bind mount. Costs disk and time per layer, works anywhere.
#pragma once

#include <memory>
#include <string>

#include "snapshot/local.h"

namespace berth::snapshot {

class NativeSnapshotter final : public LocalSnapshotter {
 public:
  static Result<std::unique_ptr<NativeSnapshotter>> open(const std::string& root);

 protected:
  Result<void> populate(const std::string& dir, const Info& info,
                        const std::vector<Info>& parents) override;
  std::vector<Mount> describe(const Info& info, const std::vector<Info>& parents) override;
};

}  // namespace berth::snapshot
