// The project-wide checks once the model is built: every reference names
// something declared (services in depends_on, network_mode and volumes_from,
// networks, volumes, configs, secrets) and depends_on has no cycle. Messages
// are compose-go's.
#pragma once

#include "base/error.h"
#include "compose/model.h"

namespace berth::compose {

Result<void> validate_project(const Project& project);

}  // namespace berth::compose
