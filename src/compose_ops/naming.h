// Names Compose v2 gives what it creates: containers `<project>-<service>-<n>`
// (or container_name), one-off containers `<project>-<service>-run-<id12>`,
// built images `<project>-<service>`.
#pragma once

#include <string>

#include "compose/model.h"

namespace berth::compose_ops {

std::string container_name(const compose::Project& project, const compose::Service& service, int number);
std::string oneoff_container_name(const compose::Project& project, const std::string& service,
                                  const std::string& random_hex);
// The image a service runs: `image`, else the one `build` makes (`<project>-<service>`).
std::string service_image(const compose::Project& project, const compose::Service& service);
// Containers a service wants: --scale, else deploy.replicas, else scale, else 1.
int desired_scale(const compose::Service& service);
// "web-1" from "proj-web-1": how logs and ps prefix a container.
std::string short_container_name(const std::string& project, const std::string& name);

}  // namespace berth::compose_ops
