#include "compose/labels.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "base/strings.h"
#include "compose/render.h"

namespace berth::compose {

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

}  // namespace

std::string config_hash(const Service& service) {
  Service s = service;
  s.build.reset();
  s.pull_policy.clear();
  s.scale.reset();
  if (s.deploy) s.deploy->replicas.reset();
  s.depends_on.clear();
  s.profiles.clear();
  return sha256_hex(service_to_json(s).dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
}

std::string depends_on_label(const Service& service) {
  std::vector<std::string> parts;
  for (const auto& [name, dep] : service.depends_on) {
    parts.push_back(fmt::format("{}:{}:{}", name, dep.condition, dep.restart ? "true" : "false"));
  }
  return join(parts, ",");
}

StringMap container_labels(const Project& project, const Service& service, int number, bool oneoff) {
  StringMap l = service.labels;
  l[label::kProject] = project.name;
  l[label::kService] = service.name;
  l[label::kContainerNumber] = std::to_string(number);
  l[label::kOneoff] = oneoff ? "True" : "False";
  l[label::kWorkingDir] = project.working_dir;
  l[label::kConfigFiles] = join(project.config_files, ",");
  l[label::kConfigHash] = config_hash(service);
  l[label::kDependsOn] = depends_on_label(service);
  if (!service.image.empty()) l[label::kImage] = service.image;
  l[label::kVersion] = kComposeVersion;
  return l;
}

StringMap network_labels(const Project& project, const std::string& key) {
  StringMap l;
  if (auto it = project.networks.find(key); it != project.networks.end()) l = it->second.labels;
  l[label::kProject] = project.name;
  l[label::kNetwork] = key;
  l[label::kVersion] = kComposeVersion;
  return l;
}

StringMap volume_labels(const Project& project, const std::string& key) {
  StringMap l;
  if (auto it = project.volumes.find(key); it != project.volumes.end()) l = it->second.labels;
  l[label::kProject] = project.name;
  l[label::kVolume] = key;
  l[label::kVersion] = kComposeVersion;
  return l;
}

}  // namespace berth::compose
