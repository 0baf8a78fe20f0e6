// Capability names and Docker's cap-add/cap-drop rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::specgen::detail {

// Docker's 14 default capabilities.
const std::vector<std::string>& default_capabilities();
// Every capability this build knows whose bit is set in `mask`, in number order.
std::vector<std::string> capabilities_in(uint64_t mask);
// "sys_admin", "CAP_SYS_ADMIN" -> "CAP_SYS_ADMIN"; "all" -> "ALL"; unknown -> InvalidArgument
// `unknown capability: "CAP_X"` (Docker's text).
Result<std::string> normalize_capability(const std::string& name);

// The capability set of a container: Docker's TweakCapabilities. `host_mask` limits ALL and
// --privileged to what this host can grant; an explicitly added capability outside it is an
// error naming it (the runtime could not grant it either).
Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& add,
                                                        const std::vector<std::string>& drop,
                                                        bool privileged, uint64_t host_mask);

}  // namespace berth::specgen::detail
