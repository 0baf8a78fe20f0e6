// The executor: carries out what the planner decided, over the Engine seam.
// Networks and volumes first, then services level by level (the services of
// a level, and the containers of a service, in parallel), each service after
// its depends_on conditions hold; down stops and removes dependents first.
// Every step is reported (" Container p-web-1  Started") through Reporter.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "compose/model.h"
#include "compose_ops/engine.h"
#include "compose_ops/plan.h"

namespace berth::compose_ops {

// (kind, name, status): ("Container", "p-web-1", "Started"); called from several threads.
using Reporter = std::function<void(std::string_view kind, const std::string& name, std::string_view status)>;

struct ImagePolicy {
  bool build = false;     // --build: build every service that has a build section
  bool no_build = false;  // --no-build: never build; a missing image is an error
};

class Executor {
 public:
  Executor(Engine& engine, const compose::Project& project, Reporter report, size_t parallel = 8);

  // What exists of the project: one container list, plus (when asked) the
  // labelled networks and volumes.
  Result<Observed> observe(bool networks_and_volumes);
  // Builds or pulls what the selected services need and records their image IDs in observed.
  Result<void> ensure_images(const std::set<std::string>& services, const ImagePolicy& policy, Observed& observed);
  // Builds the named services' images unconditionally (compose build).
  Result<void> build(const std::set<std::string>& services);
  Result<void> pull(const std::set<std::string>& services, bool ignore_failures);
  Result<void> push(const std::set<std::string>& services, bool ignore_failures);

  struct UpOptions {
    std::optional<int> timeout;  // for stops of recreated and removed containers
    bool wait = false;           // --wait: until running/healthy
    bool start = true;           // false: create only (compose create)
  };
  Result<void> apply_up(const UpPlan& plan, const UpOptions& options);
  Result<void> apply_down(const DownPlan& plan, std::optional<int> timeout, bool remove_anonymous_volumes);

  // Lifecycle verbs over the services' existing containers.
  Result<void> start(const std::set<std::string>& services);
  Result<void> stop(const std::set<std::string>& services, std::optional<int> timeout);
  Result<void> restart(const std::set<std::string>& services, std::optional<int> timeout);
  Result<void> kill(const std::set<std::string>& services, const std::string& signal);
  // Pauses the running containers (unpause: the paused ones); the others are left alone.
  Result<void> pause(const std::set<std::string>& services);
  Result<void> unpause(const std::set<std::string>& services);
  // compose wait: the exit status of the first of the services' containers
  // to stop (of one already stopped, at once), from the daemon's events.
  Result<int> wait_first_exit(const std::set<std::string>& services);
  // Removes the services' stopped containers (all with stop_first after stopping them).
  Result<std::vector<ContainerInfo>> stopped_containers(const std::set<std::string>& services);
  Result<void> remove(const std::vector<ContainerInfo>& containers, bool volumes);

  // Waits for the service's dependencies' conditions (service_healthy, service_completed_successfully).
  Result<void> wait_dependencies(const compose::Service& service);

  // The containers of each service after apply_up (IDs), for --wait and attaching.
  std::map<std::string, std::vector<std::string>> containers_by_service() const;

 private:
  Result<std::string> create_container(const compose::Service& service, int number, const std::string& name);
  Result<void> stop_and_remove(const std::string& id, const std::string& name, std::optional<int> timeout, bool volumes);
  Result<void> apply_service(const compose::Service& service, const std::vector<ContainerStep>& steps,
                             const UpOptions& options);
  Result<std::vector<ContainerInfo>> service_containers(const std::set<std::string>& services);
  Result<void> set_paused(const std::set<std::string>& services, bool paused);
  Result<void> in_levels(const compose::Levels& levels, const std::set<std::string>& services,
                         const std::function<Result<void>(const ContainerInfo&)>& fn);

  Engine& engine_;
  const compose::Project& project_;
  Reporter report_;
  size_t parallel_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> ids_;        // service -> container IDs (after up)
  std::map<std::string, std::string> image_ids_;               // service -> image ID
};

}  // namespace berth::compose_ops
