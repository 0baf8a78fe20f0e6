#include "engine/images/image_json.h"

#include "base/go_time.h"
#include "image/reference.h"
#include "metadata/image_store.h"

namespace berth::engine::images {
namespace {

using ojson = nlohmann::ordered_json;

std::string str_field(const nlohmann::json& raw, const char* key) {
  auto it = raw.find(key);
  return it != raw.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool bool_field(const nlohmann::json& raw, const char* key) {
  auto it = raw.find(key);
  return it != raw.end() && it->is_boolean() && it->get<bool>();
}

// []string: an array of strings, or null. strslice (Cmd, Entrypoint, Shell)
// also takes a lone string, as Docker's StrSlice unmarshals it.
ojson strings_field(const nlohmann::json& raw, const char* key, bool strslice = false) {
  auto it = raw.find(key);
  if (it == raw.end() || it->is_null()) return nullptr;
  if (strslice && it->is_string()) return ojson::array({it->get<std::string>()});
  ojson out = ojson::array();
  if (it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// map[string]struct{} (ExposedPorts, Volumes): keys kept, values {}.
ojson set_field(const nlohmann::json& raw, const char* key) {
  auto it = raw.find(key);
  if (it == raw.end() || !it->is_object()) return nullptr;
  ojson out = ojson::object();
  for (const auto& [k, v] : it->items()) out[k] = ojson::object();
  return out;
}

ojson labels_field(const nlohmann::json& raw) {
  auto it = raw.find("Labels");
  if (it == raw.end() || !it->is_object()) return nullptr;
  ojson out = ojson::object();
  for (const auto& [k, v] : it->items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

bool empty_json(const ojson& j) { return j.is_null() || (j.is_structured() && j.empty()); }

// Go's time.Format(RFC3339Nano) of a stored time; Go's zero time for none.
std::string go_time_text(std::string_view rfc3339) {
  return go::normalize_rfc3339_nano(rfc3339).value_or(std::string(go::kZeroTimeRfc3339));
}

}  // namespace

ojson container_config_json(const nlohmann::json& raw) {
  if (!raw.is_object()) return nullptr;
  ojson c = ojson::object();
  c["Hostname"] = str_field(raw, "Hostname");
  c["Domainname"] = str_field(raw, "Domainname");
  c["User"] = str_field(raw, "User");
  c["AttachStdin"] = bool_field(raw, "AttachStdin");
  c["AttachStdout"] = bool_field(raw, "AttachStdout");
  c["AttachStderr"] = bool_field(raw, "AttachStderr");
  if (ojson ports = set_field(raw, "ExposedPorts"); !empty_json(ports)) c["ExposedPorts"] = ports;
  c["Tty"] = bool_field(raw, "Tty");
  c["OpenStdin"] = bool_field(raw, "OpenStdin");
  c["StdinOnce"] = bool_field(raw, "StdinOnce");
  c["Env"] = strings_field(raw, "Env");
  c["Cmd"] = strings_field(raw, "Cmd", true);
  if (auto it = raw.find("Healthcheck"); it != raw.end() && it->is_object()) c["Healthcheck"] = ojson(*it);
  if (bool_field(raw, "ArgsEscaped")) c["ArgsEscaped"] = true;
  c["Image"] = str_field(raw, "Image");
  c["Volumes"] = set_field(raw, "Volumes");
  c["WorkingDir"] = str_field(raw, "WorkingDir");
  c["Entrypoint"] = strings_field(raw, "Entrypoint", true);
  if (bool_field(raw, "NetworkDisabled")) c["NetworkDisabled"] = true;
  if (auto mac = str_field(raw, "MacAddress"); !mac.empty()) c["MacAddress"] = mac;
  c["OnBuild"] = strings_field(raw, "OnBuild");
  c["Labels"] = labels_field(raw);
  if (auto sig = str_field(raw, "StopSignal"); !sig.empty()) c["StopSignal"] = sig;
  if (auto it = raw.find("StopTimeout"); it != raw.end() && it->is_number_integer()) c["StopTimeout"] = *it;
  if (ojson shell = strings_field(raw, "Shell", true); !empty_json(shell)) c["Shell"] = shell;
  return c;
}

FamiliarRefs familiar_refs(const std::vector<std::string>& normalized_refs) {
  FamiliarRefs out;
  for (const auto& r : normalized_refs) {
    auto ref = image::Reference::parse_named(r);
    std::string shown = ref ? ref->familiar() : r;
    if (metadata::is_digest_ref(r))
      out.digests.push_back(std::move(shown));
    else
      out.tags.push_back(std::move(shown));
  }
  return out;
}

ojson inspect_json(const image::ImageInfo& info, const InspectExtras& extras, int api_minor) {
  // The raw config: fields berth does not model (container, docker_version,
  // container_config) are shown as stored.
  nlohmann::json raw = nlohmann::json::parse(info.config_bytes, nullptr, /*allow_exceptions=*/false);
  if (!raw.is_object()) raw = nlohmann::json::object();
  const auto& cfg = info.config;

  std::string comment = str_field(raw, "comment");
  if (comment.empty() && !cfg.history.empty()) comment = cfg.history.back().comment;
  FamiliarRefs refs = familiar_refs(info.refs);

  ojson j = ojson::object();
  j["Id"] = info.id;
  j["RepoTags"] = refs.tags;
  j["RepoDigests"] = refs.digests;
  j["Parent"] = extras.parent;
  j["Comment"] = comment;
  j["Created"] = go_time_text(cfg.created);
  if (api_minor < 45) {  // removed from the API in 1.45
    j["Container"] = str_field(raw, "container");
    auto cc = raw.find("container_config");
    j["ContainerConfig"] = container_config_json(cc != raw.end() && cc->is_object() ? *cc : nlohmann::json::object());
  }
  j["DockerVersion"] = str_field(raw, "docker_version");
  j["Author"] = cfg.author;
  auto c = raw.find("config");
  j["Config"] = c != raw.end() ? container_config_json(*c) : ojson(nullptr);
  j["Architecture"] = cfg.architecture;
  if (!cfg.variant.empty()) j["Variant"] = cfg.variant;
  j["Os"] = cfg.os.empty() ? "linux" : cfg.os;
  if (!cfg.os_version.empty()) j["OsVersion"] = cfg.os_version;
  j["Size"] = extras.size;
  if (api_minor < 44) j["VirtualSize"] = extras.size;
  j["GraphDriver"] = extras.graph_driver.is_null() ? ojson{{"Data", nullptr}, {"Name", ""}} : extras.graph_driver;
  ojson rootfs = ojson::object();
  rootfs["Type"] = cfg.rootfs ? cfg.rootfs->type : "layers";
  if (cfg.rootfs && !cfg.rootfs->diff_ids.empty()) {
    ojson layers = ojson::array();
    for (const auto& d : cfg.rootfs->diff_ids) layers.push_back(d.str());
    rootfs["Layers"] = std::move(layers);
  }
  j["RootFS"] = std::move(rootfs);
  j["Metadata"] = ojson{{"LastTagTime", go_time_text(extras.last_tag_time)}};
  return j;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

}  // namespace berth::engine::images
