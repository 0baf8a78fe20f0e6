#include "compose_ops/naming.h"

#include <fmt/format.h>

#include "compose/labels.h"
#include "compose_ops/engine.h"

namespace berth::compose_ops {

std::string container_name(const compose::Project& project, const compose::Service& service, int number) {
  if (!service.container_name.empty()) return service.container_name;
  return fmt::format("{}-{}-{}", project.name, service.name, number);
}

std::string oneoff_container_name(const compose::Project& project, const std::string& service,
                                  const std::string& random_hex) {
  return fmt::format("{}-{}-run-{}", project.name, service, random_hex.substr(0, 12));
}

std::string service_image(const compose::Project& project, const compose::Service& service) {
  if (!service.image.empty()) return service.image;
  return fmt::format("{}-{}", project.name, service.name);
}

int desired_scale(const compose::Service& service) {
  if (service.deploy && service.deploy->replicas) return *service.deploy->replicas;
  if (service.scale) return *service.scale;
  return 1;
}

std::string short_container_name(const std::string& project, const std::string& name) {
  std::string prefix = project + "-";
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

std::string ContainerInfo::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

std::string ContainerInfo::service() const { return label(compose::label::kService); }

int ContainerInfo::number() const {
  std::string n = label(compose::label::kContainerNumber);
  int v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool ContainerInfo::oneoff() const { return label(compose::label::kOneoff) == "True"; }

}  // namespace berth::compose_ops
