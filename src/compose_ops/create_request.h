// A compose Service -> the body of POST /containers/create, as Compose v2
// builds it (pkg/compose/create.go): Config, HostConfig and the primary
// network's endpoint; the other networks are connected after the create
// (API < 1.44 takes one endpoint at create).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/model.h"
#include "compose_ops/engine.h"

namespace berth::compose_ops {

struct CreateOptions {
  int number = 1;
  bool oneoff = false;
  std::string name;                      // the container's name
  std::optional<std::string> image_id = {};  // recorded in com.docker.compose.image, as Compose v2
  // `run`'s overrides.
  std::optional<std::vector<std::string>> command = {};
  std::optional<std::string> entrypoint = {};  // "" clears the image's
  std::vector<std::string> extra_env = {};  // KEY=VALUE, after the service's
  std::optional<bool> tty = {};
  std::optional<bool> stdin_open = {};
  bool auto_remove = false;
  bool no_ports = false;  // run without --service-ports
};

struct NetworkAttachment {
  std::string network;  // the engine's name ("proj_default")
  Json endpoint;        // EndpointSettings
};

struct ContainerCreate {
  std::string name;
  Json body;
  std::vector<NetworkAttachment> connect_after;  // beyond the primary network
};

Result<ContainerCreate> build_container_create(const compose::Project& project, const compose::Service& service,
                                               const CreateOptions& options);

// The service's networks in Compose v2's order (priority, then name): the
// first is the container's NetworkMode.
std::vector<std::string> ordered_network_keys(const compose::Service& service);

// HostConfig alone (host_config.cc).
Result<Json> build_host_config(const compose::Project& project, const compose::Service& service,
                               const CreateOptions& options);

}  // namespace berth::compose_ops
