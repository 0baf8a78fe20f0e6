// Compose's short syntaxes, each turned into the long form's tree, as
// compose-go's transform package does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "compose/tree.h"

namespace berth::compose {

// "[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]" → one long entry per
// container port {mode, host_ip, target, published, protocol}. The message
// of an error is the bare reason (`invalid port "abc"`).
Result<std::vector<Node>> expand_port(std::string_view spec);

// "[SOURCE:]TARGET[:OPTIONS]" → {type, source, target, read_only, bind|volume}.
Result<Node> expand_volume(std::string_view spec);

// "HOST:CONTAINER[:PERMISSIONS]" (or one path for both) → {source, target, permissions}.
Result<Node> expand_device(std::string_view spec);

// A bind source: starts with ".", "/" or "~" (else it names a volume).
bool is_host_path(std::string_view source);

}  // namespace berth::compose
