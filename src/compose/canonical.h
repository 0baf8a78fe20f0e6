// One file's tree rewritten to the long syntax everywhere (compose-go's
// transform.Canonical), so that files merge key by key: list-form maps
// ("K=V") become mappings, short ports/volumes/devices/secrets become their
// long entries, `build: DIR` becomes {context: DIR}, and so on.
#pragma once

#include "base/error.h"
#include "compose/tree.h"

namespace berth::compose {

Result<void> canonicalize(Node& root);
// The same for one service (extends reads services of other files).
Result<void> canonicalize_service(Node& service, const std::string& path);

}  // namespace berth::compose
