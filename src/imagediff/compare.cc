#include "imagediff/compare.h"

#include <algorithm>
#include <map>

namespace berth::imagediff {
namespace {

using nlohmann::json;

std::vector<std::string> differences(const FileInfo& a, const FileInfo& b) {
  std::vector<std::string> what;
  if (a.type != b.type) what.push_back("type");
  if (a.type == FileType::Regular && b.type == FileType::Regular) {
    if (a.size != b.size) {
      what.push_back("size");
    } else if (a.digest && b.digest && *a.digest != *b.digest) {
      what.push_back("content");
    }
  }
  if (a.mode != b.mode) what.push_back("mode");
  if (a.uid != b.uid || a.gid != b.gid) what.push_back("owner");
  if (a.type == b.type && a.link != b.link) what.push_back("link");
  if (a.type == b.type && a.rdev != b.rdev) what.push_back("device");
  return what;
}

bool same_step(const image::History& a, const image::History& b) {
  return a.created_by == b.created_by && a.comment == b.comment && a.empty_layer == b.empty_layer;
}

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(); }
json opt_list(const std::optional<std::vector<std::string>>& v) { return v ? json(*v) : json(); }

void scalar(std::vector<MetadataChange>& out, const char* field, json a, json b) {
  if (a != b) out.push_back({field, "", std::move(a), std::move(b)});
}

// Per key of two maps (absent maps are empty ones).
void keyed(std::vector<MetadataChange>& out, const char* field, const std::map<std::string, std::string>& a,
           const std::map<std::string, std::string>& b) {
  std::map<std::string, std::pair<json, json>> all;
  for (const auto& [k, v] : a) all[k].first = v;
  for (const auto& [k, v] : b) all[k].second = v;
  for (auto& [k, v] : all)
    if (v.first != v.second) out.push_back({field, k, std::move(v.first), std::move(v.second)});
}

std::map<std::string, std::string> env_map(const std::optional<std::vector<std::string>>& env) {
  std::map<std::string, std::string> m;
  if (env)
    for (const auto& e : *env) {
      auto eq = e.find('=');
      m[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
    }
  return m;
}

std::map<std::string, std::string> set_map(const std::optional<std::set<std::string>>& s) {
  std::map<std::string, std::string> m;
  if (s)
    for (const auto& e : *s) m[e] = e;
  return m;
}

json extra_field(const image::ContainerConfig& c, const char* key) {
  auto it = c.extra.find(key);
  if (it == c.extra.end() || it->is_null()) return json();
  // ordered_json -> json, as written (a config's strings are UTF-8: it was parsed as JSON)
  return json::parse(it->dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

FileDiff compare_files(const FileTree& a, const FileTree& b) {
  FileDiff d;
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      d.removed.push_back({ia->first, ia->second});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      d.added.push_back({ib->first, ib->second});
      ++ib;
    } else {
      auto what = differences(ia->second, ib->second);
      if (!what.empty()) d.changed.push_back({ia->first, ia->second, ib->second, std::move(what)});
      ++ia;
      ++ib;
    }
  }
  return d;
}

SizeDiff compare_sizes(const SourceImage& a, const SourceImage& b) {
  SizeDiff d;
  size_t prefix = 0;
  while (prefix < a.layers.size() && prefix < b.layers.size() && a.layers[prefix].diff_id == b.layers[prefix].diff_id)
    ++prefix;
  auto rows = [&](const SourceImage& img, std::vector<LayerSize>& out, int64_t& total) {
    for (size_t i = 0; i < img.layers.size(); ++i) {
      out.push_back({img.layers[i].diff_id, img.layers[i].size, i < prefix});
      if (img.layers[i].size > 0) total += img.layers[i].size;
    }
  };
  rows(a, d.a, d.total_a);
  rows(b, d.b, d.total_b);
  return d;
}

HistoryDiff compare_history(const image::ImageConfig& a, const image::ImageConfig& b) {
  HistoryDiff d;
  while (d.shared < a.history.size() && d.shared < b.history.size() &&
         same_step(a.history[d.shared], b.history[d.shared]))
    ++d.shared;
  d.only_a.assign(a.history.begin() + static_cast<std::ptrdiff_t>(d.shared), a.history.end());
  d.only_b.assign(b.history.begin() + static_cast<std::ptrdiff_t>(d.shared), b.history.end());
  return d;
}

std::vector<MetadataChange> compare_metadata(const image::ImageConfig& a, const image::ImageConfig& b) {
  std::vector<MetadataChange> out;
  auto str = [](const std::string& s) { return s.empty() ? json() : json(s); };
  scalar(out, "Architecture", str(a.architecture), str(b.architecture));
  scalar(out, "Os", str(a.os), str(b.os));
  scalar(out, "Variant", str(a.variant), str(b.variant));
  scalar(out, "Author", str(a.author), str(b.author));
  const image::ContainerConfig none;
  const auto& ca = a.config ? *a.config : none;
  const auto& cb = b.config ? *b.config : none;
  scalar(out, "User", opt(ca.user), opt(cb.user));
  scalar(out, "WorkingDir", opt(ca.working_dir), opt(cb.working_dir));
  scalar(out, "Entrypoint", opt_list(ca.entrypoint), opt_list(cb.entrypoint));
  scalar(out, "Cmd", opt_list(ca.cmd), opt_list(cb.cmd));
  keyed(out, "Env", env_map(ca.env), env_map(cb.env));
  keyed(out, "Labels", ca.labels.value_or(std::map<std::string, std::string>{}),
        cb.labels.value_or(std::map<std::string, std::string>{}));
  keyed(out, "ExposedPorts", set_map(ca.exposed_ports), set_map(cb.exposed_ports));
  keyed(out, "Volumes", set_map(ca.volumes), set_map(cb.volumes));
  scalar(out, "StopSignal", opt(ca.stop_signal), opt(cb.stop_signal));
  for (const char* key : {"Healthcheck", "Shell", "OnBuild", "StopTimeout"})
    scalar(out, key, extra_field(ca, key), extra_field(cb, key));
  return out;
}

PackageDiff compare_packages(const std::optional<PackageIndex>& a, const std::optional<PackageIndex>& b) {
  PackageDiff d;
  d.a_has_database = a.has_value();
  d.b_has_database = b.has_value();
  const PackageIndex empty;
  const auto& pa = a ? *a : empty;
  const auto& pb = b ? *b : empty;
  for (const auto& [k, p] : pa) {
    auto it = pb.find(k);
    if (it == pb.end()) {
      d.only_a.push_back(p);
    } else if (it->second.version != p.version || it->second.size != p.size) {
      d.changed.push_back({k, p, it->second});
    }
  }
  for (const auto& [k, p] : pb)
    if (!pa.contains(k)) d.only_b.push_back(p);
  return d;
}

}  // namespace berth::imagediff
