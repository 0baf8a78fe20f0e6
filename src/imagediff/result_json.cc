// DiffResult -> the JSON scripts read. Every key listed here is documented
// in docs/user-guide.md ("berth image diff", JSON output): keep them stable.
#include <cstdio>

#include "imagediff/image_diff.h"

namespace berth::imagediff {
namespace {

using ojson = nlohmann::ordered_json;

std::string hex(const Sha256& d) {
  std::string s;
  s.reserve(64);
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

ojson file_info(const FileInfo& f) {
  ojson j;
  j["type"] = file_type_name(f.type);
  j["size"] = f.size;
  j["mode"] = f.mode;
  j["uid"] = f.uid;
  j["gid"] = f.gid;
  j["link"] = f.link;
  j["digest"] = f.digest ? ojson("sha256:" + hex(*f.digest)) : ojson();
  return j;
}

ojson file_entry(const FileEntry& e) {
  ojson j{{"path", e.path}};
  ojson info = file_info(e.info);
  for (auto it = info.begin(); it != info.end(); ++it) j[it.key()] = std::move(*it);
  return j;
}

ojson ordered(const nlohmann::json& j) {
  return ojson::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

ojson side(const SourceImage& s) {
  return ojson{{"input", s.input}, {"kind", s.kind}, {"name", s.name}, {"id", s.id}};
}

ojson layers(const std::vector<LayerSize>& rows, int64_t total) {
  ojson list = ojson::array();
  for (const auto& l : rows) list.push_back({{"diff_id", l.diff_id.str()}, {"size", l.size}, {"shared", l.shared}});
  return ojson{{"layers", std::move(list)}, {"total", total}};
}

ojson history_entry(const image::History& h) {
  return ojson{{"created", h.created},
               {"created_by", h.created_by},
               {"comment", h.comment},
               {"empty_layer", h.empty_layer}};
}

ojson package(const Package& p) {
  return ojson{{"name", p.name}, {"version", p.version}, {"architecture", p.architecture}, {"size", p.size}};
}

ojson packages(const PackageDiff& d) {
  ojson only_a = ojson::array(), only_b = ojson::array(), changed = ojson::array();
  for (const auto& p : d.only_a) only_a.push_back(package(p));
  for (const auto& p : d.only_b) only_b.push_back(package(p));
  for (const auto& c : d.changed) changed.push_back({{"name", c.key}, {"a", package(c.a)}, {"b", package(c.b)}});
  return ojson{{"a_has_database", d.a_has_database},
               {"b_has_database", d.b_has_database},
               {"only_a", std::move(only_a)},
               {"only_b", std::move(only_b)},
               {"changed", std::move(changed)}};
}

}  // namespace

nlohmann::ordered_json to_json(const SourceImage& a, const SourceImage& b, const DiffResult& r) {
  ojson j;
  j["a"] = side(a);
  j["b"] = side(b);
  ojson types = ojson::array();
  for (auto t : r.types) types.push_back(diff_type_name(t));
  j["types"] = std::move(types);
  if (r.size) {
    j["size"] = ojson{{"a", layers(r.size->a, r.size->total_a)},
                      {"b", layers(r.size->b, r.size->total_b)},
                      {"difference", r.size->total_b - r.size->total_a}};
  }
  if (r.history) {
    ojson only_a = ojson::array(), only_b = ojson::array();
    for (const auto& h : r.history->only_a) only_a.push_back(history_entry(h));
    for (const auto& h : r.history->only_b) only_b.push_back(history_entry(h));
    j["history"] = ojson{{"shared", r.history->shared}, {"only_a", std::move(only_a)}, {"only_b", std::move(only_b)}};
  }
  if (has_type(r.types, DiffType::Metadata)) {
    ojson list = ojson::array();
    for (const auto& m : r.metadata)
      list.push_back({{"field", m.field}, {"key", m.key}, {"a", ordered(m.a)}, {"b", ordered(m.b)}});
    j["metadata"] = std::move(list);
  }
  if (r.file) {
    ojson added = ojson::array(), removed = ojson::array(), changed = ojson::array();
    for (const auto& e : r.file->added) added.push_back(file_entry(e));
    for (const auto& e : r.file->removed) removed.push_back(file_entry(e));
    for (const auto& c : r.file->changed)
      changed.push_back({{"path", c.path}, {"what", c.what}, {"a", file_info(c.a)}, {"b", file_info(c.b)}});
    j["file"] = ojson{{"added", std::move(added)}, {"removed", std::move(removed)}, {"changed", std::move(changed)}};
  }
  if (r.apt) j["apt"] = packages(*r.apt);
  if (r.apk) j["apk"] = packages(*r.apk);
  return j;
}

}  // namespace berth::imagediff
