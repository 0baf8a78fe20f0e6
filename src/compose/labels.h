// The labels Compose v2 puts on what it creates, and the service's config
// hash (com.docker.compose.config-hash) that tells `up` whether a container
// must be recreated.
#pragma once

#include <string>

#include "compose/model.h"

namespace berth::compose {

namespace label {
inline constexpr const char* kProject = "com.docker.compose.project";
inline constexpr const char* kService = "com.docker.compose.service";
inline constexpr const char* kContainerNumber = "com.docker.compose.container-number";
inline constexpr const char* kOneoff = "com.docker.compose.oneoff";
inline constexpr const char* kWorkingDir = "com.docker.compose.project.working_dir";
inline constexpr const char* kConfigFiles = "com.docker.compose.project.config_files";
inline constexpr const char* kEnvironmentFile = "com.docker.compose.project.environment_file";
inline constexpr const char* kConfigHash = "com.docker.compose.config-hash";
inline constexpr const char* kDependsOn = "com.docker.compose.depends_on";
inline constexpr const char* kImage = "com.docker.compose.image";
inline constexpr const char* kVersion = "com.docker.compose.version";
inline constexpr const char* kNetwork = "com.docker.compose.network";
inline constexpr const char* kVolume = "com.docker.compose.volume";
}  // namespace label

// The Compose version berth writes in com.docker.compose.version.
inline constexpr const char* kComposeVersion = "2.29.0";

// sha256 (hex) of the service's JSON without build, pull_policy, scale,
// deploy.replicas, depends_on and profiles: what Compose v2's ServiceHash
// leaves out, so scaling or a rebuild alone does not recreate containers.
std::string config_hash(const Service& service);

// "db:service_started:false,cache:service_healthy:true" (name:condition:restart), sorted.
std::string depends_on_label(const Service& service);

// The labels of a service's container number `number` (oneoff for `run`).
StringMap container_labels(const Project& project, const Service& service, int number, bool oneoff = false);
// The labels of the project's networks and volumes.
StringMap network_labels(const Project& project, const std::string& key);
StringMap volume_labels(const Project& project, const std::string& key);

}  // namespace berth::compose
