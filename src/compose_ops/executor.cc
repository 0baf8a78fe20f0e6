#include "compose_ops/executor.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "compose/labels.h"
#include "compose/order.h"
#include "compose_ops/create_request.h"
#include "compose_ops/naming.h"
#include "compose_ops/parallel.h"
#include "compose_ops/waiter.h"

namespace berth::compose_ops {

namespace {

Json network_body(const compose::Project& project, const std::string& key, const compose::NetworkConfig& n) {
  Json body{{"Name", n.name}, {"CheckDuplicate", true}, {"Labels", compose::network_labels(project, key)},
            {"Internal", n.internal}};
  body["Driver"] = n.driver.empty() ? "bridge" : n.driver;
  if (!n.driver_opts.empty()) body["Options"] = n.driver_opts;
  if (n.attachable) body["Attachable"] = *n.attachable;
  if (n.enable_ipv6) body["EnableIPv6"] = *n.enable_ipv6;
  if (n.ipam) {
    Json ipam = Json::object();
    if (!n.ipam->driver.empty()) ipam["Driver"] = n.ipam->driver;
    Json config = Json::array();
    for (const auto& pool : n.ipam->config) {
      Json c = Json::object();
      if (!pool.subnet.empty()) c["Subnet"] = pool.subnet;
      if (!pool.ip_range.empty()) c["IPRange"] = pool.ip_range;
      if (!pool.gateway.empty()) c["Gateway"] = pool.gateway;
      if (!pool.aux_addresses.empty()) c["AuxiliaryAddresses"] = pool.aux_addresses;
      config.push_back(c);
    }
    if (!config.empty()) ipam["Config"] = config;
    if (!n.ipam->options.empty()) ipam["Options"] = n.ipam->options;
    body["IPAM"] = ipam;
  }
  return body;
}

Json volume_body(const compose::Project& project, const std::string& key, const compose::VolumeConfig& v) {
  Json body{{"Name", v.name}, {"Labels", compose::volume_labels(project, key)}};
  body["Driver"] = v.driver.empty() ? "local" : v.driver;
  if (!v.driver_opts.empty()) body["DriverOpts"] = v.driver_opts;
  return body;
}

// The stop timeout of a service's containers: -t, else stop_grace_period.
std::optional<int> stop_timeout(const compose::Project& project, const std::string& service,
                                std::optional<int> given) {
  if (given) return given;
  if (auto it = project.services.find(service); it != project.services.end() && it->second.stop_grace_period)
    return static_cast<int>(*it->second.stop_grace_period / 1'000'000'000);
  return std::nullopt;
}

}  // namespace

Executor::Executor(Engine& engine, const compose::Project& project, Reporter report, size_t parallel)
    : engine_(engine), project_(project), report_(std::move(report)), parallel_(std::max<size_t>(parallel, 1)) {}

Result<Observed> Executor::observe(bool networks_and_volumes) {
  Observed o;
  o.containers = TRY(engine_.list_containers(project_.name));
  if (networks_and_volumes) {
    for (const auto& n : TRY(engine_.list_networks(project_.name))) o.networks.insert(n.name);
    for (const auto& v : TRY(engine_.list_volumes(project_.name))) o.volumes.insert(v.name);
  }
  return o;
}

Result<void> Executor::ensure_images(const std::set<std::string>& services, const ImagePolicy& policy,
                                     Observed& observed) {
  std::map<std::string, std::optional<std::string>> by_reference;  // one inspect per image
  for (const auto& name : services) {
    const compose::Service& s = project_.services.at(name);
    std::string image = service_image(project_, s);
    if (s.image.empty() && !s.build)
      return fail(Errc::InvalidArgument,
                  fmt::format("service \"{}\" has neither an image nor a build context specified", name));
    if (!by_reference.contains(image)) by_reference[image] = TRY(engine_.image_id(image));
    std::optional<std::string>& id = by_reference[image];
    bool build = s.build && !policy.no_build && (policy.build || !id || s.pull_policy == "build");
    if (build) {
      report_("Service", name, "Building");
      TRYV(engine_.build_image(BuildRequest{name, *s.build, image}));
      report_("Service", name, "Built");
      id = TRY(engine_.image_id(image));
    } else if (!id || s.pull_policy == "always") {
      if (s.pull_policy == "never" || (s.build && policy.no_build && !id))
        return fail(Errc::NotFound, fmt::format("service \"{}\": No such image: {}", name, image));
      report_("Image", image, "Pulling");
      TRYV(engine_.pull_image(image));
      report_("Image", image, "Pulled");
      id = TRY(engine_.image_id(image));
    }
    if (!id) return fail(Errc::NotFound, fmt::format("service \"{}\": No such image: {}", name, image));
    observed.image_ids[name] = *id;
  }
  std::lock_guard lock(mu_);
  for (const auto& [svc, id] : observed.image_ids) image_ids_[svc] = id;
  return {};
}

Result<void> Executor::build(const std::set<std::string>& services) {
  for (const auto& name : services) {
    const compose::Service& s = project_.services.at(name);
    if (!s.build) continue;
    report_("Service", name, "Building");
    TRYV(engine_.build_image(BuildRequest{name, *s.build, service_image(project_, s)}));
    report_("Service", name, "Built");
  }
  return {};
}

Result<void> Executor::pull(const std::set<std::string>& services, bool ignore_failures) {
  std::set<std::string> images;
  for (const auto& name : services) {
    const compose::Service& s = project_.services.at(name);
    if (!s.image.empty()) images.insert(s.image);  // build-only services have nothing to pull
  }
  std::vector<std::string> list(images.begin(), images.end());
  return for_each_parallel(list, parallel_, [&](const std::string& image) -> Result<void> {
    report_("Image", image, "Pulling");
    Result<void> r = engine_.pull_image(image);
    if (!r && !ignore_failures) return r;
    report_("Image", image, r ? "Pulled" : "Error");
    return {};
  });
}

Result<void> Executor::push(const std::set<std::string>& services, bool ignore_failures) {
  for (const auto& name : services) {
    const compose::Service& s = project_.services.at(name);
    if (s.image.empty()) continue;  // Compose v2 pushes only services with an image name
    report_("Image", s.image, "Pushing");
    Result<void> r = engine_.push_image(s.image);
    if (!r && !ignore_failures) return r;
    report_("Image", s.image, r ? "Pushed" : "Error");
  }
  return {};
}

Result<std::string> Executor::create_container(const compose::Service& service, int number, const std::string& name) {
  CreateOptions options{.number = number, .name = name};
  {
    std::lock_guard lock(mu_);
    if (auto it = image_ids_.find(service.name); it != image_ids_.end()) options.image_id = it->second;
  }
  ContainerCreate create = TRY(build_container_create(project_, service, options));
  std::string id = TRY(engine_.create_container(create.name, create.body));
  for (const auto& extra : create.connect_after) TRYV(engine_.connect_network(extra.network, id, extra.endpoint));
  return id;
}

Result<void> Executor::stop_and_remove(const std::string& id, const std::string& name, std::optional<int> timeout,
                                       bool volumes) {
  report_("Container", name, "Stopping");
  TRYV(engine_.stop_container(id, timeout));
  report_("Container", name, "Stopped");
  report_("Container", name, "Removing");
  TRYV(engine_.remove_container(id, true, volumes));
  report_("Container", name, "Removed");
  return {};
}

Result<void> Executor::wait_dependencies(const compose::Service& service) {
  for (const auto& [dep, d] : service.depends_on) {
    if (!project_.services.contains(dep)) continue;
    Condition condition;
    if (d.condition == "service_healthy") condition = Condition::Healthy;
    else if (d.condition == "service_completed_successfully") condition = Condition::Completed;
    else continue;  // service_started: it was started before this level
    std::vector<WaitTarget> targets;
    for (const auto& c : TRY(engine_.list_containers(project_.name))) {
      if (c.service() == dep && !c.oneoff()) targets.push_back({c.id, c.name, dep});
    }
    if (targets.empty()) {
      if (!d.required) continue;
      return fail(Errc::NotFound, fmt::format("service \"{}\" depends on \"{}\", which has no container", service.name, dep));
    }
    for (const auto& t : targets) report_("Container", t.name, "Waiting");
    Result<void> r = wait_for(engine_, project_.name, condition, targets);
    if (!r) {
      if (!d.required) continue;
      return r;
    }
    for (const auto& t : targets) report_("Container", t.name, condition == Condition::Healthy ? "Healthy" : "Exited");
  }
  return {};
}

Result<void> Executor::apply_service(const compose::Service& service, const std::vector<ContainerStep>& steps,
                                     const UpOptions& options) {
  std::optional<int> timeout = stop_timeout(project_, service.name, options.timeout);
  // Scale down first: it frees names and resources the rest may need.
  std::vector<ContainerStep> removals, others;
  for (const auto& s : steps) (s.kind == StepKind::Remove ? removals : others).push_back(s);
  TRYV(for_each_parallel(removals, parallel_, [&](const ContainerStep& s) {
    return stop_and_remove(s.container_id, s.name, timeout, false);
  }));
  bool needs_start = std::any_of(others.begin(), others.end(), [](const ContainerStep& s) { return s.kind != StepKind::Keep; });
  if (options.start && needs_start) TRYV(wait_dependencies(service));
  std::mutex ids_mu;
  std::vector<std::string> ids;
  TRYV(for_each_parallel(others, parallel_, [&](const ContainerStep& s) -> Result<void> {
    std::string id = s.container_id;
    bool start = true;
    switch (s.kind) {
      case StepKind::Keep:
        report_("Container", s.name, "Running");
        start = false;
        break;
      case StepKind::Start:
        break;
      case StepKind::Recreate:
        report_("Container", s.name, "Recreate");
        TRYV(engine_.stop_container(id, timeout));
        TRYV(engine_.remove_container(id, true, false));
        id = TRY(create_container(service, s.number, s.name));
        report_("Container", s.name, "Recreated");
        break;
      case StepKind::Create:
        report_("Container", s.name, "Creating");
        id = TRY(create_container(service, s.number, s.name));
        report_("Container", s.name, "Created");
        break;
      case StepKind::Remove:
        break;
    }
    if (start && options.start) {
      report_("Container", s.name, "Starting");
      TRYV(engine_.start_container(id));
      report_("Container", s.name, "Started");
    }
    std::lock_guard lock(ids_mu);
    ids.push_back(id);
    return {};
  }));
  std::lock_guard lock(mu_);
  ids_[service.name] = std::move(ids);
  return {};
}

Result<void> Executor::apply_up(const UpPlan& plan, const UpOptions& options) {
  for (const auto& key : plan.networks_to_create) {
    const compose::NetworkConfig& n = project_.networks.at(key);
    report_("Network", n.name, "Creating");
    Result<void> r = engine_.create_network(network_body(project_, key, n));
    // A network of that name made outside the project is used as it is (Compose v2 warns).
    if (!r && r.error().code != Errc::Conflict && r.error().code != Errc::AlreadyExists) return r;
    report_("Network", n.name, "Created");
  }
  for (const auto& [key, n] : project_.networks) {
    if (n.external && !TRY(engine_.find_network(n.name)))
      return fail(Errc::NotFound, fmt::format("network {} declared as external, but could not be found", n.name));
  }
  for (const auto& key : plan.volumes_to_create) {
    const compose::VolumeConfig& v = project_.volumes.at(key);
    report_("Volume", v.name, "Creating");
    TRYV(engine_.create_volume(volume_body(project_, key, v)));
    report_("Volume", v.name, "Created");
  }
  for (const auto& [key, v] : project_.volumes) {
    if (v.external && !TRY(engine_.find_volume(v.name)))
      return fail(Errc::NotFound, fmt::format("external volume \"{}\" not found", v.name));
  }
  if (plan.remove_orphans) {
    TRYV(for_each_parallel(plan.orphans, parallel_, [&](const ContainerInfo& c) {
      return stop_and_remove(c.id, c.name, std::nullopt, false);
    }));
  }
  for (const auto& level : plan.levels) {
    TRYV(for_each_parallel(level, parallel_, [&](const std::string& name) {
      return apply_service(project_.services.at(name), plan.steps.at(name), options);
    }));
  }
  if (options.wait && options.start) {
    std::vector<WaitTarget> targets;
    std::map<std::string, std::vector<std::string>> ids = containers_by_service();
    for (const auto& [svc, list] : ids)
      for (const auto& id : list) targets.push_back({id, id, svc});
    // Names for messages: one list call rather than an inspect per container.
    for (const auto& c : TRY(engine_.list_containers(project_.name)))
      for (auto& t : targets)
        if (t.id == c.id) t.name = c.name;
    TRYV(wait_for(engine_, project_.name, Condition::RunningOrHealthy, targets));
    for (const auto& t : targets) report_("Container", t.name, "Healthy");
  }
  return {};
}

std::map<std::string, std::vector<std::string>> Executor::containers_by_service() const {
  std::lock_guard lock(mu_);
  return ids_;
}

Result<void> Executor::apply_down(const DownPlan& plan, std::optional<int> timeout, bool remove_anonymous_volumes) {
  for (const auto& level : plan.levels) {
    TRYV(for_each_parallel(level, parallel_, [&](const ContainerInfo& c) {
      return stop_and_remove(c.id, c.name, stop_timeout(project_, c.service(), timeout), remove_anonymous_volumes);
    }));
  }
  for (const auto& n : plan.networks) {
    report_("Network", n, "Removing");
    TRYV(engine_.remove_network(n));
    report_("Network", n, "Removed");
  }
  for (const auto& v : plan.volumes) {
    report_("Volume", v, "Removing");
    TRYV(engine_.remove_volume(v));
    report_("Volume", v, "Removed");
  }
  for (const auto& i : plan.images) {
    Result<std::optional<std::string>> present = engine_.image_id(i);
    if (present && !*present) continue;  // nothing to remove
    report_("Image", i, "Removing");
    TRYV(engine_.remove_image(i));
    report_("Image", i, "Removed");
  }
  return {};
}

Result<std::vector<ContainerInfo>> Executor::service_containers(const std::set<std::string>& services) {
  std::vector<ContainerInfo> out;
  for (auto& c : TRY(engine_.list_containers(project_.name)))
    if (!c.oneoff() && services.contains(c.service())) out.push_back(std::move(c));
  std::sort(out.begin(), out.end(), [](const ContainerInfo& a, const ContainerInfo& b) {
    return a.service() != b.service() ? a.service() < b.service() : a.number() < b.number();
  });
  return out;
}

Result<void> Executor::in_levels(const compose::Levels& levels, const std::set<std::string>& services,
                                 const std::function<Result<void>(const ContainerInfo&)>& fn) {
  std::vector<ContainerInfo> all = TRY(service_containers(services));
  for (const auto& level : levels) {
    std::vector<ContainerInfo> here;
    for (const auto& c : all)
      if (std::find(level.begin(), level.end(), c.service()) != level.end()) here.push_back(c);
    TRYV(for_each_parallel(here, parallel_, fn));
  }
  return {};
}

Result<void> Executor::start(const std::set<std::string>& services) {
  compose::Levels levels = filter_levels(TRY(compose::start_levels(project_)), services);
  std::vector<ContainerInfo> all = TRY(service_containers(services));
  for (const auto& svc : services) {
    bool any = std::any_of(all.begin(), all.end(), [&](const ContainerInfo& c) { return c.service() == svc; });
    if (!any) return fail(Errc::NotFound, fmt::format("service \"{}\" has no container to start", svc));
  }
  for (const auto& level : levels) {
    TRYV(for_each_parallel(level, parallel_, [&](const std::string& svc) -> Result<void> {
      TRYV(wait_dependencies(project_.services.at(svc)));
      std::vector<ContainerInfo> here;
      for (const auto& c : all)
        if (c.service() == svc && !c.running()) here.push_back(c);
      return for_each_parallel(here, parallel_, [&](const ContainerInfo& c) -> Result<void> {
        report_("Container", c.name, "Starting");
        TRYV(engine_.start_container(c.id));
        report_("Container", c.name, "Started");
        return {};
      });
    }));
  }
  return {};
}

Result<void> Executor::stop(const std::set<std::string>& services, std::optional<int> timeout) {
  return in_levels(TRY(compose::stop_levels(project_)), services, [&](const ContainerInfo& c) -> Result<void> {
    if (!c.running()) return {};
    report_("Container", c.name, "Stopping");
    TRYV(engine_.stop_container(c.id, stop_timeout(project_, c.service(), timeout)));
    report_("Container", c.name, "Stopped");
    return {};
  });
}

Result<void> Executor::restart(const std::set<std::string>& services, std::optional<int> timeout) {
  return in_levels(TRY(compose::start_levels(project_)), services, [&](const ContainerInfo& c) -> Result<void> {
    report_("Container", c.name, "Restarting");
    TRYV(engine_.restart_container(c.id, stop_timeout(project_, c.service(), timeout)));
    report_("Container", c.name, "Started");
    return {};
  });
}

Result<void> Executor::kill(const std::set<std::string>& services, const std::string& signal) {
  std::vector<ContainerInfo> running;
  for (auto& c : TRY(service_containers(services)))
    if (c.running()) running.push_back(std::move(c));
  return for_each_parallel(running, parallel_, [&](const ContainerInfo& c) -> Result<void> {
    report_("Container", c.name, "Killing");
    TRYV(engine_.kill_container(c.id, signal));
    report_("Container", c.name, "Killed");
    return {};
  });
}

Result<void> Executor::pause(const std::set<std::string>& services) { return set_paused(services, true); }

Result<void> Executor::unpause(const std::set<std::string>& services) { return set_paused(services, false); }

Result<void> Executor::set_paused(const std::set<std::string>& services, bool paused) {
  std::vector<ContainerInfo> targets;  // pause: the running ones; unpause: the paused ones
  for (auto& c : TRY(service_containers(services)))
    if (c.state == (paused ? "running" : "paused")) targets.push_back(std::move(c));
  return for_each_parallel(targets, parallel_, [&](const ContainerInfo& c) -> Result<void> {
    TRYV(paused ? engine_.pause_container(c.id) : engine_.unpause_container(c.id));
    report_("Container", c.name, paused ? "Paused" : "Unpaused");
    return {};
  });
}

Result<int> Executor::wait_first_exit(const std::set<std::string>& services) {
  std::vector<ContainerInfo> containers = TRY(service_containers(services));
  if (containers.empty()) return fail(Errc::NotFound, fmt::format("no containers for project \"{}\"", project_.name));
  // The events from before the states are read: a stop in between is not missed.
  int64_t since = engine_.now_ns();
  std::set<std::string> ids;
  for (const auto& c : containers) {
    ContainerState state = TRY(engine_.inspect_state(c.id));
    if (state.status != "running" && state.status != "restarting" && state.status != "paused") return state.exit_code;
    ids.insert(c.id);
  }
  std::optional<int> code;
  TRYV(engine_.watch_events(project_.name, since, [&](const Event& e) {
    if (e.action != "die" || !ids.contains(e.id)) return true;
    auto it = e.attributes.find("exitCode");
    code = it == e.attributes.end() ? 0 : std::atoi(it->second.c_str());
    return false;
  }));
  if (!code) return fail(Errc::Internal, "the daemon's event stream ended before a container stopped");
  return *code;
}

Result<std::vector<ContainerInfo>> Executor::stopped_containers(const std::set<std::string>& services) {
  std::vector<ContainerInfo> out;
  for (auto& c : TRY(service_containers(services)))
    if (!c.running()) out.push_back(std::move(c));
  return out;
}

Result<void> Executor::remove(const std::vector<ContainerInfo>& containers, bool volumes) {
  return for_each_parallel(containers, parallel_, [&](const ContainerInfo& c) -> Result<void> {
    report_("Container", c.name, "Removing");
    TRYV(engine_.remove_container(c.id, true, volumes));
    report_("Container", c.name, "Removed");
    return {};
  });
}

}  // namespace berth::compose_ops
