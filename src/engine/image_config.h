// An image's "config" from a container's config, as a commit (docker commit,
// each step of a build) records it: the typed fields, and Docker's keys for
// the rest (Healthcheck, OnBuild, Shell) as the Engine API renders them.
#pragma once

#include "image/oci.h"
#include "model/container_spec.h"

namespace berth::engine {

image::ContainerConfig image_config_of(const model::ContainerConfig& c);

}  // namespace berth::engine
