#include "compose_ops/plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "compose/labels.h"
#include "compose_ops/naming.h"

namespace berth::compose_ops {

namespace {

// What a service needs running or created before it: depends_on, and the
// services its network_mode, ipc, pid and volumes_from name.
std::vector<std::string> service_dependencies(const compose::Project& project, const compose::Service& s) {
  std::vector<std::string> deps;
  for (const auto& [name, _] : s.depends_on)
    if (project.services.contains(name)) deps.push_back(name);
  for (const std::string* mode : {&s.network_mode, &s.ipc, &s.pid})
    if (mode->starts_with("service:")) deps.push_back(mode->substr(8));
  for (const auto& v : s.volumes_from)
    if (!v.starts_with("container:")) deps.push_back(v.substr(0, v.find(':')));
  return deps;
}

bool must_recreate(const ContainerInfo& c, const std::string& hash, const std::optional<std::string>& image_id,
                   Recreate policy) {
  if (policy == Recreate::Always) return true;
  if (policy == Recreate::Never) return false;
  if (c.label(compose::label::kConfigHash) != hash) return true;
  return image_id && !c.image_id.empty() && c.image_id != *image_id;
}

bool is_orphan(const compose::Project& project, const ContainerInfo& c) {
  if (c.oneoff()) return false;
  std::string svc = c.service();
  return !project.services.contains(svc) && !project.disabled_services.contains(svc);
}

}  // namespace

Result<std::set<std::string>> select_services(const compose::Project& project, const std::vector<std::string>& names,
                                              bool with_dependencies) {
  std::set<std::string> selected;
  if (names.empty()) {
    for (const auto& [name, _] : project.services) selected.insert(name);
    return selected;
  }
  std::vector<std::string> todo;
  for (const auto& n : names) {
    if (!project.services.contains(n)) return fail(Errc::NotFound, "no such service: " + n);
    todo.push_back(n);
  }
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    if (!selected.insert(n).second || !with_dependencies) continue;
    for (const auto& d : service_dependencies(project, project.services.at(n)))
      if (project.services.contains(d)) todo.push_back(d);
  }
  return selected;
}

compose::Levels filter_levels(const compose::Levels& levels, const std::set<std::string>& selected) {
  compose::Levels out;
  for (const auto& level : levels) {
    std::vector<std::string> kept;
    for (const auto& s : level)
      if (selected.contains(s)) kept.push_back(s);
    if (!kept.empty()) out.push_back(std::move(kept));
  }
  return out;
}

namespace {

std::vector<ContainerStep> plan_service(const compose::Project& project, const compose::Service& service,
                                        const Observed& observed, const UpRequest& request) {
  std::vector<const ContainerInfo*> mine;
  for (const auto& c : observed.containers)
    if (!c.oneoff() && c.service() == service.name) mine.push_back(&c);
  int expected = desired_scale(service);
  if (auto it = request.scale.find(service.name); it != request.scale.end()) expected = it->second;

  std::string hash = compose::config_hash(service);
  std::optional<std::string> image_id;
  if (auto it = observed.image_ids.find(service.name); it != observed.image_ids.end()) image_id = it->second;
  auto obsolete = [&](const ContainerInfo* c) { return must_recreate(*c, hash, image_id, Recreate::Diverged); };

  // Kept first: up to date before obsolete, low numbers before high; what is
  // beyond `expected` is removed (obsolete ones, then the highest numbers).
  std::stable_sort(mine.begin(), mine.end(), [&](const ContainerInfo* a, const ContainerInfo* b) {
    bool oa = obsolete(a), ob = obsolete(b);
    if (oa != ob) return !oa;
    return a->number() < b->number();
  });
  int highest = 0;
  for (const ContainerInfo* c : mine) highest = std::max(highest, c->number());

  std::vector<ContainerStep> steps;
  for (size_t i = 0; i < mine.size(); ++i) {
    const ContainerInfo& c = *mine[i];
    if (static_cast<int>(i) >= expected) {
      steps.push_back({StepKind::Remove, c.number(), c.name, c.id});
    } else if (must_recreate(c, hash, image_id, request.recreate)) {
      // The new container takes this berth's name: docker-compose 1.29's proj_web_1 becomes proj-web-1.
      steps.push_back({StepKind::Recreate, c.number(), container_name(project, service, c.number()), c.id});
    } else if (!c.running()) {
      steps.push_back({StepKind::Start, c.number(), c.name, c.id});
    } else {
      steps.push_back({StepKind::Keep, c.number(), c.name, c.id});
    }
  }
  for (int n = static_cast<int>(mine.size()); n < expected; ++n) {
    int number = ++highest;
    steps.push_back({StepKind::Create, number, container_name(project, service, number), ""});
  }
  return steps;
}

}  // namespace

Result<UpPlan> plan_up(const compose::Project& project, const Observed& observed, const UpRequest& request) {
  UpPlan plan;
  plan.remove_orphans = request.remove_orphans;
  std::set<std::string> selected = TRY(select_services(project, request.services, request.with_dependencies));
  for (const auto& [name, n] : request.scale) {
    if (!project.services.contains(name)) return fail(Errc::NotFound, "no such service: " + name);
    const compose::Service& s = project.services.at(name);
    if (n > 1 && !s.container_name.empty())
      return fail(Errc::InvalidArgument,
                  fmt::format("service \"{}\" has container_name set and cannot be scaled to {} containers", name, n));
  }
  plan.levels = filter_levels(TRY(compose::start_levels(project)), selected);

  for (const auto& [key, net] : project.networks) {
    if (!net.external && !observed.networks.contains(net.name)) plan.networks_to_create.push_back(key);
  }
  for (const auto& [key, vol] : project.volumes) {
    if (!vol.external && !observed.volumes.contains(vol.name)) plan.volumes_to_create.push_back(key);
  }
  for (const auto& name : selected) plan.steps[name] = plan_service(project, project.services.at(name), observed, request);
  for (const auto& c : observed.containers)
    if (is_orphan(project, c)) plan.orphans.push_back(c);
  return plan;
}

Result<DownPlan> plan_down(const compose::Project& project, const Observed& observed, const DownRequest& request) {
  DownPlan plan;
  compose::Levels stop = TRY(compose::stop_levels(project));
  std::vector<ContainerInfo> orphans;
  for (const auto& c : observed.containers) {
    if (is_orphan(project, c)) (request.remove_orphans ? orphans : plan.orphans_left).push_back(c);
  }
  if (!orphans.empty()) plan.levels.push_back(orphans);
  for (const auto& level : stop) {
    std::vector<ContainerInfo> here;
    for (const auto& c : observed.containers)
      if (std::find(level.begin(), level.end(), c.service()) != level.end()) here.push_back(c);
    if (!here.empty()) plan.levels.push_back(std::move(here));
  }
  // Containers of services off by profile go with the last level.
  std::vector<ContainerInfo> disabled;
  for (const auto& c : observed.containers)
    if (project.disabled_services.contains(c.service())) disabled.push_back(c);
  if (!disabled.empty()) plan.levels.push_back(std::move(disabled));

  plan.networks.assign(observed.networks.begin(), observed.networks.end());
  for (const auto& [key, net] : project.networks)
    if (net.external) std::erase(plan.networks, net.name);
  if (request.volumes) {
    plan.volumes.assign(observed.volumes.begin(), observed.volumes.end());
    for (const auto& [key, vol] : project.volumes)
      if (vol.external) std::erase(plan.volumes, vol.name);
  }
  if (!request.remove_images.empty()) {
    std::set<std::string> images;
    for (const auto& [name, s] : project.services) {
      if (request.remove_images == "all" || s.image.empty()) images.insert(service_image(project, s));
    }
    plan.images.assign(images.begin(), images.end());
  }
  return plan;
}

}  // namespace berth::compose_ops
