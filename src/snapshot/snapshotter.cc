#include "snapshot/snapshotter.h"

namespace berth::snapshot {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Active: return "active";
    case Kind::View: return "view";
    case Kind::Committed: return "committed";
  }
  return "unknown";
}

Result<std::vector<Info>> Snapshotter::list() {
  std::vector<Info> out;
  TRYV(walk([&](const Info& info) -> Result<void> {
    out.push_back(info);
    return {};
  }));
  return out;
}

}  // namespace berth::snapshot
