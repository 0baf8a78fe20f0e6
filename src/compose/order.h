// Start and stop order of a project's services from depends_on: levels that
// can start in parallel (each service after everything it depends on), and
// the reverse for stopping.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "compose/model.h"

namespace berth::compose {

using Levels = std::vector<std::vector<std::string>>;

// Level 0 depends on nothing (among the enabled services); level n on
// services of levels below n only. Names sorted within a level. A cycle is
// InvalidArgument "dependency cycle detected: a -> b -> a".
Result<Levels> start_levels(const Project& project);
// start_levels reversed: dependents stop before what they depend on.
Result<Levels> stop_levels(const Project& project);

}  // namespace berth::compose
