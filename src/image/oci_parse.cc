// Parsers for config, manifest, index and descriptor. Internally a field
// error is thrown with its JSON path and turned into an Error at the edge.
#include "image/media_types.h"
#include "image/oci.h"

namespace berth::image {
namespace {

using Json = nlohmann::ordered_json;

struct FieldError {
  std::string path;
  std::string why;
};

std::string join_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}
std::string index_path(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw FieldError{path.empty() ? "(document)" : path, why};
}

const Json& expect(const Json& j, Json::value_t type, const std::string& path, const char* what) {
  if (j.type() != type) bad(path, std::string("expected ") + what + ", got " + j.type_name());
  return j;
}

std::string str(const Json& j, const std::string& path) {
  return expect(j, Json::value_t::string, path, "a string").get<std::string>();
}

std::vector<std::string> strings(const Json& j, const std::string& path) {
  std::vector<std::string> out;
  if (j.is_string()) return {j.get<std::string>()};  // Docker's StrSlice accepts one string
  expect(j, Json::value_t::array, path, "an array of strings");
  for (size_t i = 0; i < j.size(); ++i) out.push_back(str(j[i], index_path(path, i)));
  return out;
}

std::map<std::string, std::string> string_map(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) out[k] = str(v, join_path(path, k));
  return out;
}

// {"80/tcp": {}, ...}: the keys are the set.
std::set<std::string> key_set(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) {
    expect(v, Json::value_t::object, join_path(path, k), "an object");
    out.insert(k);
  }
  return out;
}

int64_t i64(const Json& j, const std::string& path) {
  if (!j.is_number_integer()) bad(path, std::string("expected an integer, got ") + j.type_name());
  return j.get<int64_t>();
}

bool boolean(const Json& j, const std::string& path) {
  return expect(j, Json::value_t::boolean, path, "a boolean").get<bool>();
}

Digest digest(const Json& j, const std::string& path) {
  auto d = Digest::parse(str(j, path));
  if (!d) bad(path, d.error().message);
  return *d;
}

Platform platform(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  Platform p;
  for (const auto& [k, v] : j.items()) {
    std::string at = join_path(path, k);
    if (v.is_null()) continue;
    if (k == "architecture") p.architecture = str(v, at);
    else if (k == "os") p.os = str(v, at);
    else if (k == "os.version") p.os_version = str(v, at);
    else if (k == "os.features") p.os_features = strings(v, at);
    else if (k == "variant") p.variant = str(v, at);
  }
  return p;
}

Descriptor descriptor(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  Descriptor d;
  bool has_digest = false, has_size = false;
  for (const auto& [k, v] : j.items()) {
    std::string at = join_path(path, k);
    if (v.is_null()) continue;
    if (k == "mediaType") d.media_type = str(v, at);
    else if (k == "digest") d.digest = digest(v, at), has_digest = true;
    else if (k == "size") {
      d.size = i64(v, at);
      if (d.size < 0) bad(at, "must not be negative");
      has_size = true;
    } else if (k == "urls") d.urls = strings(v, at);
    else if (k == "annotations") d.annotations = string_map(v, at);
    else if (k == "platform") d.platform = platform(v, at);
    else if (k == "artifactType") d.artifact_type = str(v, at);
  }
  if (!has_digest) bad(join_path(path, "digest"), "is required");
  if (!has_size) bad(join_path(path, "size"), "is required");
  if (d.media_type.empty()) bad(join_path(path, "mediaType"), "is required");
  return d;
}

ContainerConfig container_config(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  ContainerConfig c;
  for (const auto& [k, v] : j.items()) {
    std::string at = join_path(path, k);
    if (v.is_null()) {  // kept as null so it is written back where it was
      c.extra[k] = nullptr;
      continue;
    }
    if (k == "User") c.user = str(v, at);
    else if (k == "ExposedPorts") c.exposed_ports = key_set(v, at);
    else if (k == "Env") c.env = strings(v, at);
    else if (k == "Entrypoint") c.entrypoint = strings(v, at);
    else if (k == "Cmd") c.cmd = strings(v, at);
    else if (k == "Volumes") c.volumes = key_set(v, at);
    else if (k == "WorkingDir") c.working_dir = str(v, at);
    else if (k == "Labels") c.labels = string_map(v, at);
    else if (k == "StopSignal") c.stop_signal = str(v, at);
    else c.extra[k] = v;
  }
  return c;
}

RootFs rootfs(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  RootFs r;
  r.type.clear();
  for (const auto& [k, v] : j.items()) {
    std::string at = join_path(path, k);
    if (v.is_null()) continue;
    if (k == "type") r.type = str(v, at);
    else if (k == "diff_ids") {
      expect(v, Json::value_t::array, at, "an array of digests");
      for (size_t i = 0; i < v.size(); ++i) r.diff_ids.push_back(digest(v[i], index_path(at, i)));
    }
  }
  if (r.type != "layers") bad(join_path(path, "type"), "must be \"layers\", got \"" + r.type + "\"");
  return r;
}

History history(const Json& j, const std::string& path) {
  expect(j, Json::value_t::object, path, "an object");
  History h;
  for (const auto& [k, v] : j.items()) {
    std::string at = join_path(path, k);
    if (v.is_null()) continue;
    if (k == "created") h.created = str(v, at);
    else if (k == "author") h.author = str(v, at);
    else if (k == "created_by") h.created_by = str(v, at);
    else if (k == "comment") h.comment = str(v, at);
    else if (k == "empty_layer") h.empty_layer = boolean(v, at);
  }
  return h;
}

ImageConfig image_config(const Json& j) {
  expect(j, Json::value_t::object, "", "an object");
  ImageConfig c;
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) {
      c.extra[k] = nullptr;
      continue;
    }
    if (k == "architecture") c.architecture = str(v, k);
    else if (k == "os") c.os = str(v, k);
    else if (k == "variant") c.variant = str(v, k);
    else if (k == "os.version") c.os_version = str(v, k);
    else if (k == "created") c.created = str(v, k);
    else if (k == "author") c.author = str(v, k);
    else if (k == "config") c.config = container_config(v, k);
    else if (k == "rootfs") c.rootfs = rootfs(v, k);
    else if (k == "history") {
      expect(v, Json::value_t::array, k, "an array");
      for (size_t i = 0; i < v.size(); ++i) c.history.push_back(history(v[i], index_path(k, i)));
    } else c.extra[k] = v;
  }
  if (c.architecture.empty()) bad("architecture", "is required");
  if (c.os.empty()) bad("os", "is required");
  if (!c.rootfs) bad("rootfs", "is required");
  return c;
}

int schema_version(const Json& j) {
  if (!j.contains("schemaVersion")) bad("schemaVersion", "is required");
  int64_t v = i64(j["schemaVersion"], "schemaVersion");
  if (v != 2) bad("schemaVersion", "must be 2, got " + std::to_string(v));
  return 2;
}

Manifest manifest(const Json& j) {
  expect(j, Json::value_t::object, "", "an object");
  Manifest m;
  m.schema_version = schema_version(j);
  if (j.contains("mediaType") && !j["mediaType"].is_null()) {
    m.media_type = str(j["mediaType"], "mediaType");
    if (!media::is_manifest(m.media_type))
      bad("mediaType", "expected a Docker or OCI image manifest, got \"" + m.media_type + "\"");
  }
  if (j.contains("artifactType") && !j["artifactType"].is_null())
    m.artifact_type = str(j["artifactType"], "artifactType");
  if (!j.contains("config")) bad("config", "is required");
  m.config = descriptor(j["config"], "config");
  if (j.contains("layers") && !j["layers"].is_null()) {
    const Json& ls = expect(j["layers"], Json::value_t::array, "layers", "an array");
    for (size_t i = 0; i < ls.size(); ++i) m.layers.push_back(descriptor(ls[i], index_path("layers", i)));
  }
  if (j.contains("subject") && !j["subject"].is_null()) m.subject = descriptor(j["subject"], "subject");
  if (j.contains("annotations") && !j["annotations"].is_null())
    m.annotations = string_map(j["annotations"], "annotations");
  return m;
}

Index index(const Json& j) {
  expect(j, Json::value_t::object, "", "an object");
  Index x;
  x.schema_version = schema_version(j);
  if (j.contains("mediaType") && !j["mediaType"].is_null()) {
    x.media_type = str(j["mediaType"], "mediaType");
    if (!media::is_index(x.media_type))
      bad("mediaType", "expected a Docker manifest list or OCI index, got \"" + x.media_type + "\"");
  }
  if (j.contains("artifactType") && !j["artifactType"].is_null())
    x.artifact_type = str(j["artifactType"], "artifactType");
  if (!j.contains("manifests")) bad("manifests", "is required");
  const Json& ms = expect(j["manifests"], Json::value_t::array, "manifests", "an array");
  for (size_t i = 0; i < ms.size(); ++i) x.manifests.push_back(descriptor(ms[i], index_path("manifests", i)));
  if (j.contains("subject") && !j["subject"].is_null()) x.subject = descriptor(j["subject"], "subject");
  if (j.contains("annotations") && !j["annotations"].is_null())
    x.annotations = string_map(j["annotations"], "annotations");
  return x;
}

template <class T, class F>
Result<T> parse_with(std::string_view json, const char* what, F f) {
  Json j;
  try {
    j = Json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::InvalidArgument, std::string("invalid ") + what + ": not JSON: " + e.what());
  }
  try {
    return f(j);
  } catch (const FieldError& e) {
    return fail(Errc::InvalidArgument, std::string("invalid ") + what + ": " + e.path + ": " + e.why);
  }
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view json) {
  return parse_with<ImageConfig>(json, "image config", image_config);
}
Result<Manifest> parse_manifest(std::string_view json) {
  return parse_with<Manifest>(json, "image manifest", manifest);
}
Result<Index> parse_index(std::string_view json) {
  return parse_with<Index>(json, "image index", index);
}
Result<Descriptor> parse_descriptor(std::string_view json) {
  return parse_with<Descriptor>(json, "descriptor", [](const Json& j) { return descriptor(j, ""); });
}

}  // namespace berth::image
