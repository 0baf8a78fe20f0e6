// `docker import --change` / `docker commit --change`: Dockerfile instructions
// that only touch the image config (CMD, ENTRYPOINT, ENV, WORKDIR, USER,
// EXPOSE, LABEL, VOLUME, STOPSIGNAL), applied in order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/oci.h"

namespace berth::image {

// Applies one instruction ("ENV A=1 B=2", "CMD [\"sh\"]") to `config`.
// InvalidArgument for an unknown instruction or malformed arguments.
Result<void> apply_change(ContainerConfig& config, std::string_view change);
Result<void> apply_changes(ContainerConfig& config, const std::vector<std::string>& changes);

}  // namespace berth::image
