#include "dockerapi/events_json.h"

#include <algorithm>

namespace berth::dockerapi {
namespace {

bool any_of(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

nlohmann::json render_event(const model::Event& e) {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : e.attributes) attrs[k] = v;
  nlohmann::json j = {{"Type", e.type},
                      {"Action", e.action},
                      {"Actor", {{"ID", e.id}, {"Attributes", attrs}}},
                      {"scope", "local"},
                      {"time", e.time_nano / 1000000000},
                      {"timeNano", e.time_nano}};
  if (e.type == "container" || e.type == "image") {
    j["status"] = e.action;
    j["id"] = e.id;
    if (auto it = e.attributes.find("image"); e.type == "container" && it != e.attributes.end()) j["from"] = it->second;
  }
  return j;
}

bool EventFilter::matches(const model::Event& e) const {
  // Another front end's events (the CRI's, namespace k8s.io) only when a
  // `namespace` filter names it; Docker's own are namespace "".
  auto ns = by_key.find("namespace");
  if (ns == by_key.end() || ns->second.empty() ? !e.ns.empty() : !any_of(ns->second, e.ns)) return false;
  for (const auto& [key, values] : by_key) {
    if (values.empty()) continue;
    bool ok = false;
    if (key == "type") {
      ok = any_of(values, e.type);
    } else if (key == "event") {
      // "exec_start" matches "exec_start: sh -c ..." as in Docker.
      std::string base = e.action.substr(0, e.action.find(':'));
      ok = any_of(values, e.action) || any_of(values, base);
    } else if (key == "container") {
      auto name = e.attributes.count("name") ? e.attributes.at("name") : "";
      ok = e.type == "container" &&
           (any_of(values, name) || std::any_of(values.begin(), values.end(), [&](const std::string& v) {
              return !v.empty() && e.id.rfind(v, 0) == 0;
            }));
    } else if (key == "image") {
      auto img = e.attributes.count("image") ? e.attributes.at("image") : "";
      ok = any_of(values, img) || (e.type == "image" && any_of(values, e.id));
    } else if (key == "label") {
      for (const auto& v : values) {
        auto eq = v.find('=');
        std::string k = v.substr(0, eq);
        auto it = e.attributes.find(k);
        if (it != e.attributes.end() && (eq == std::string::npos || it->second == v.substr(eq + 1))) ok = true;
      }
    } else if (key == "daemon") {
      ok = e.type == "daemon";
    } else if (key == "namespace") {
      ok = true;  // checked above
    } else if (key == "scope") {
      ok = any_of(values, "local");
    } else {
      ok = true;  // unknown keys are refused when parsing
    }
    if (!ok) return false;
  }
  return true;
}

std::optional<EventFilter> EventFilter::parse(const std::string& text) {
  EventFilter f;
  if (text.empty()) return f;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return std::nullopt;
    for (auto& [key, val] : j.items()) {
      static const char* known[] = {"type", "event", "container", "image", "label", "daemon", "scope", "namespace",
                                    "network", "volume", "plugin", "node", "service", "secret", "config"};
      if (std::find(std::begin(known), std::end(known), key) == std::end(known)) return std::nullopt;
      std::vector<std::string> values;
      if (val.is_array()) {
        for (auto& v : val) values.push_back(v.get<std::string>());
      } else if (val.is_object()) {
        for (auto& [v, on] : val.items())
          if (on.is_boolean() && on.get<bool>()) values.push_back(v);
      } else {
        return std::nullopt;
      }
      f.by_key[key] = std::move(values);
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return f;
}

}  // namespace berth::dockerapi
