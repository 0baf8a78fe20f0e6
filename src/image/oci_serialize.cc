// Canonical serialization: the key order Docker's Go types produce (see oci.h).
#include <array>
#include <map>

#include "base/go_json.h"
#include "image/oci.h"

namespace berth::image {
namespace {

using Json = nlohmann::ordered_json;

// Field order of Docker's container.Config (api/types/container/config.go).
constexpr std::array<std::string_view, 25> kContainerConfigOrder = {
    "Hostname",   "Domainname",  "User",     "AttachStdin", "AttachStdout",    "AttachStderr",
    "ExposedPorts", "Tty",       "OpenStdin", "StdinOnce",  "Env",             "Cmd",
    "Healthcheck", "ArgsEscaped", "Image",   "Volumes",     "WorkingDir",      "Entrypoint",
    "NetworkDisabled", "MacAddress", "OnBuild", "Labels",    "StopSignal",     "StopTimeout",
    "Shell"};

Json key_set(const std::set<std::string>& keys) {
  Json j = Json::object();
  for (const auto& k : keys) j[k] = Json::object();
  return j;
}

Json string_map(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

Json to_json(const ContainerConfig& c) {
  Json typed = Json::object();
  if (c.user) typed["User"] = *c.user;
  if (c.exposed_ports) typed["ExposedPorts"] = key_set(*c.exposed_ports);
  if (c.env) typed["Env"] = *c.env;
  if (c.cmd) typed["Cmd"] = *c.cmd;
  if (c.volumes) typed["Volumes"] = key_set(*c.volumes);
  if (c.working_dir) typed["WorkingDir"] = *c.working_dir;
  if (c.entrypoint) typed["Entrypoint"] = *c.entrypoint;
  if (c.labels) typed["Labels"] = string_map(*c.labels);
  if (c.stop_signal) typed["StopSignal"] = *c.stop_signal;

  Json out = Json::object();
  auto take = [&](const std::string& k) {
    if (typed.contains(k)) out[k] = typed[k];
    else if (c.extra.contains(k)) out[k] = c.extra.at(k);
  };
  for (auto k : kContainerConfigOrder) take(std::string(k));
  for (const auto& [k, v] : c.extra.items())  // keys Docker's struct does not have
    if (!out.contains(k)) out[k] = v;
  return out;
}

Json to_json(const History& h) {
  Json j = Json::object();
  if (!h.created.empty()) j["created"] = h.created;
  if (!h.author.empty()) j["author"] = h.author;
  if (!h.created_by.empty()) j["created_by"] = h.created_by;
  if (!h.comment.empty()) j["comment"] = h.comment;
  if (h.empty_layer) j["empty_layer"] = true;
  return j;
}

Json to_json(const RootFs& r) {
  Json j = Json::object();
  j["type"] = r.type;
  if (!r.diff_ids.empty()) {  // Docker: diff_ids,omitempty
    Json ids = Json::array();
    for (const auto& d : r.diff_ids) ids.push_back(d.str());
    j["diff_ids"] = ids;
  }
  return j;
}

Json to_json(const Platform& p) {
  Json j = Json::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

Json to_json(const Descriptor& d) {
  Json j = Json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.str();
  j["size"] = d.size;
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = string_map(d.annotations);
  if (d.platform) j["platform"] = to_json(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

}  // namespace

std::string serialize(const ImageConfig& c) {
  // Docker marshals the image through a map, so top-level keys come out sorted.
  std::map<std::string, Json> top;
  for (const auto& [k, v] : c.extra.items()) top[k] = v;
  top["architecture"] = c.architecture;
  top["os"] = c.os;
  if (!c.variant.empty()) top["variant"] = c.variant;
  if (!c.os_version.empty()) top["os.version"] = c.os_version;
  if (!c.created.empty()) top["created"] = c.created;
  if (!c.author.empty()) top["author"] = c.author;
  if (c.config) top["config"] = to_json(*c.config);
  if (c.rootfs) top["rootfs"] = to_json(*c.rootfs);
  if (!c.history.empty()) {
    Json h = Json::array();
    for (const auto& e : c.history) h.push_back(to_json(e));
    top["history"] = h;
  }
  Json j = Json::object();
  for (auto& [k, v] : top) j[k] = std::move(v);
  return go::marshal(j);
}

std::string serialize(const Manifest& m) {
  Json j = Json::object();
  j["schemaVersion"] = m.schema_version;
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["config"] = to_json(m.config);
  Json layers = Json::array();
  for (const auto& l : m.layers) layers.push_back(to_json(l));
  j["layers"] = layers;
  if (m.subject) j["subject"] = to_json(*m.subject);
  if (!m.annotations.empty()) j["annotations"] = string_map(m.annotations);
  return go::marshal(j);
}

std::string serialize(const Index& x) {
  Json j = Json::object();
  j["schemaVersion"] = x.schema_version;
  if (!x.media_type.empty()) j["mediaType"] = x.media_type;
  if (!x.artifact_type.empty()) j["artifactType"] = x.artifact_type;
  Json ms = Json::array();
  for (const auto& d : x.manifests) ms.push_back(to_json(d));
  j["manifests"] = ms;
  if (x.subject) j["subject"] = to_json(*x.subject);
  if (!x.annotations.empty()) j["annotations"] = string_map(x.annotations);
  return go::marshal(j);
}

std::string serialize(const Descriptor& d) { return go::marshal(to_json(d)); }

}  // namespace berth::image
