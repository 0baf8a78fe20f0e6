// Facts about this host the engine needs (probed once).
#pragma once

#include "specgen/specgen.h"

namespace berth::engine {

const specgen::HostInfo& host_info();

}  // namespace berth::engine
