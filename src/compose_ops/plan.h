// The planner: a project and what exists of it -> what `up` and `down` must
// do. Pure (no engine calls), so every decision is unit-tested: keep a
// container whose config hash and image are unchanged, recreate one whose
// are not, number new containers after the highest, scale down obsolete and
// then highest-numbered containers first, find orphans, and order services
// in dependency levels (each level's services may run in parallel).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/model.h"
#include "compose/order.h"
#include "compose_ops/engine.h"

namespace berth::compose_ops {

enum class Recreate { Diverged, Always, Never };  // default, --force-recreate, --no-recreate

struct UpRequest {
  std::vector<std::string> services;  // empty: every service
  bool with_dependencies = true;      // false: --no-deps
  std::map<std::string, int> scale;   // --scale SERVICE=N
  Recreate recreate = Recreate::Diverged;
  bool remove_orphans = false;
};

// What exists: the project's containers (one list call), the networks and
// volumes labelled for it, and the ID of each service's image when present.
struct Observed {
  std::vector<ContainerInfo> containers;
  std::set<std::string> networks;  // names
  std::set<std::string> volumes;   // names
  std::map<std::string, std::string> image_ids;  // service -> image ID
};

enum class StepKind { Create, Recreate, Start, Keep, Remove };

struct ContainerStep {
  StepKind kind;
  int number = 0;
  std::string name;          // the container's name (new or existing)
  std::string container_id;  // the existing container (Recreate, Start, Keep, Remove)
};

struct UpPlan {
  std::vector<std::string> networks_to_create;  // network keys of the project, sorted
  std::vector<std::string> volumes_to_create;   // volume keys
  compose::Levels levels;                       // the services acted on, in start order
  std::map<std::string, std::vector<ContainerStep>> steps;  // per service
  std::vector<ContainerInfo> orphans;  // containers of services no longer in the project
  bool remove_orphans = false;
};

// The services a command acts on: the named ones (plus their dependencies
// when asked), or all. NotFound "no such service: NAME" for an unknown one.
Result<std::set<std::string>> select_services(const compose::Project& project, const std::vector<std::string>& names,
                                              bool with_dependencies);

// Levels restricted to `selected`, keeping their order.
compose::Levels filter_levels(const compose::Levels& levels, const std::set<std::string>& selected);

Result<UpPlan> plan_up(const compose::Project& project, const Observed& observed, const UpRequest& request);

struct DownRequest {
  bool remove_orphans = false;
  bool volumes = false;         // -v
  std::string remove_images;    // "", "local", "all"
};

struct DownPlan {
  // Containers to stop and remove, in stop order: dependents first; orphans
  // (with --remove-orphans) in the first level, one-off containers with their service.
  std::vector<std::vector<ContainerInfo>> levels;
  std::vector<ContainerInfo> orphans_left;  // reported, not removed
  std::vector<std::string> networks;        // names, to remove
  std::vector<std::string> volumes;         // names, to remove (-v)
  std::vector<std::string> images;          // references, to remove (--rmi)
};

Result<DownPlan> plan_down(const compose::Project& project, const Observed& observed, const DownRequest& request);

}  // namespace berth::compose_ops
