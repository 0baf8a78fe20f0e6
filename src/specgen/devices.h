// Host devices given to a container (docker run --device, the CRI's
// ContainerConfig.devices) and extra device cgroup rules
// (--device-cgroup-rule): the OCI linux.devices nodes and the
// linux.resources.devices rules that allow them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/container_spec.h"

namespace berth::specgen::detail {

// A mapped host device: its node in the container and the cgroup rule that allows it.
struct MappedDevice {
  nlohmann::json node, rule;
};

// Each mapping's device node; a directory maps every device node under it
// (recursively, as dockerd does: /dev/snd gives the container all of them,
// at the same paths under the container path). A symlink is followed.
Result<std::vector<MappedDevice>> mapped_devices(const std::vector<model::DeviceMapping>& devices);

// "TYPE MAJOR:MINOR ACCESS" (type a, b or c; a number or * for each of major
// and minor; access any of r, w, m) as OCI device cgroup rules.
Result<std::vector<nlohmann::json>> device_cgroup_rules(const std::vector<std::string>& rules);

}  // namespace berth::specgen::detail
