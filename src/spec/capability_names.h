// Linux capability names in kernel numbering (linux/capability.h), shared by
// the runtime (names -> masks) and the spec generator (Docker's cap-add/drop):
// one table, so the two never disagree on what a name means.
#pragma once

#include <span>

namespace berth::spec {

// Index = capability number: "CAP_CHOWN" is 0 ... "CAP_CHECKPOINT_RESTORE" 40.
std::span<const char* const> capability_names();

}  // namespace berth::spec
