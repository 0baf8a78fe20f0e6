// berthd's Docker API routes by area. Each area's routes see one narrow
// backend (src/backend) and nothing of the engine; they parse Docker's JSON
// once (src/dockerapi), render the answer once, and return errors as values
// (the server maps them to statuses in one place).
#pragma once

#include <string>
#include <vector>

#include "backend/build.h"
#include "backend/containers.h"
#include "backend/distribution.h"
#include "backend/exec.h"
#include "backend/image_diff.h"
#include "backend/images.h"
#include "backend/networks.h"
#include "backend/system.h"
#include "backend/volumes.h"
#include "server/http/server.h"

namespace berth::server {

void add_container_routes(Router& r, backend::ContainerBackend& containers);
void add_exec_routes(Router& r, backend::ExecBackend& exec);
void add_image_routes(Router& r, backend::ImageBackend& images);
void add_network_routes(Router& r, backend::NetworkBackend& networks);
void add_volume_routes(Router& r, backend::VolumeBackend& volumes);
// POST /images/create: an import (image area) or a pull (distribution area).
void add_image_create_route(Router& r, backend::ImageBackend& images, backend::DistributionBackend& distribution);
void add_build_routes(Router& r, backend::BuildBackend& build);
void add_distribution_routes(Router& r, backend::DistributionBackend& distribution);
// berth's own API under /berth/v1/ (not Docker's): POST /berth/v1/images/diff.
void add_berth_image_routes(Router& r, backend::ImageDiffBackend& diff);

struct SystemInfo {
  std::string version;  // berth's version
  std::string data_root;
  std::string exec_root;
  bool debug = false;
  std::vector<std::string> insecure_registries = {};  // daemon.json's, as given (host:port or CIDR)
  std::vector<std::string> registry_mirrors = {};     // Docker Hub's, normalized
  bool userns_remap = false;  // --userns-remap: SecurityOptions lists name=userns
  bool rootless = false;  // SecurityOptions gets Docker's "name=rootless"
};
// /_ping, /version, /info, /events and /system/df (which sums the areas).
struct DfSources {
  backend::ContainerBackend* containers = nullptr;
  backend::ImageBackend* images = nullptr;
  backend::VolumeBackend* volumes = nullptr;
  backend::BuildBackend* build = nullptr;  // the build cache's entries (none when unset)
};
void add_system_routes(Router& r, backend::SystemBackend& system, const SystemInfo& info, DfSources df);

}  // namespace berth::server
