#include "engine/images/image_json.h"

#include <ctime>

#include "image/reference.h"
#include "metadata/image_store.h"

namespace berth::engine::images {
namespace {

using ojson = nlohmann::ordered_json;

constexpr int64_t kGoZeroUnix = -62135596800;  // time.Time{}.Unix()
constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

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

int two_digits(std::string_view s, size_t at) {
  if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') return -1;
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
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
  j["Created"] = rfc3339_nano(cfg.created);
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
  j["Metadata"] = ojson{{"LastTagTime", extras.last_tag_time.empty() ? std::string(kGoZeroTime)
                                                                      : rfc3339_nano(extras.last_tag_time)}};
  return j;
}

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  int y1 = two_digits(s, 0), y2 = two_digits(s, 2), mo = two_digits(s, 5), d = two_digits(s, 8),
      h = two_digits(s, 11), mi = two_digits(s, 14), se = two_digits(s, 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      se < 0 || se > 60)
    return std::nullopt;
  size_t at = 19;
  int32_t nsec = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    int digits = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (digits < 9) nsec = nsec * 10 + (s[at] - '0'), ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nsec *= 10;
  }
  int64_t offset = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh = two_digits(s, at + 1), om = two_digits(s, at + 4);
    if (oh < 0 || om < 0 || at + 3 >= s.size() || s[at + 3] != ':') return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  std::tm t{};
  t.tm_year = y1 * 100 + y2 - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = se;
  return Timestamp{static_cast<int64_t>(::timegm(&t)) - offset, nsec};
}

int64_t unix_seconds(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  return t ? t->sec : kGoZeroUnix;
}

std::string rfc3339_nano(std::string_view s) {
  if (s.empty() || !parse_rfc3339(s)) return std::string(kGoZeroTime);
  std::string out(s);
  size_t dot = out.find('.', 19);
  if (dot == std::string::npos) return out;
  size_t end = dot + 1;
  while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
  size_t last = end;
  while (last > dot + 1 && out[last - 1] == '0') --last;
  if (last == dot + 1) last = dot;  // all zeros: no fraction at all
  out.erase(last, end - last);
  return out;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

}  // namespace berth::engine::images
