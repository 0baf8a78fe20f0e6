#include "compose/merge.h"

#include <fmt/format.h>

#include <map>
#include <optional>

namespace berth::compose {

namespace {

using Path = std::vector<std::string>;

// "services.*.ports" matches {services, web, ports}.
bool matches(const Path& p, std::initializer_list<const char*> pattern) {
  if (p.size() != pattern.size()) return false;
  size_t i = 0;
  for (const char* part : pattern) {
    if (std::string_view(part) != "*" && p[i] != part) return false;
    ++i;
  }
  return true;
}

bool in_service(const Path& p, const char* key) { return matches(p, {"services", "*", key}); }

bool replaced_whole(const Path& p) {
  return in_service(p, "command") || in_service(p, "entrypoint") ||
         matches(p, {"services", "*", "healthcheck", "test"});
}

std::string scalar_of(const Node* n) { return n && n->is_scalar() ? n->scalar : ""; }

// The key that makes an entry of a sequence unique, or nullopt when the
// sequence keeps duplicates.
std::optional<std::string> unique_key(const Path& p, const Node& item) {
  if (in_service(p, "ports")) {
    if (!item.is_mapping()) return std::nullopt;
    return fmt::format("{}:{}:{}/{}", scalar_of(item.find("host_ip")), scalar_of(item.find("published")),
                       scalar_of(item.find("target")), scalar_of(item.find("protocol")));
  }
  if (in_service(p, "volumes") || in_service(p, "devices")) {
    if (!item.is_mapping()) return std::nullopt;
    return scalar_of(item.find("target"));
  }
  if (in_service(p, "secrets") || in_service(p, "configs")) {
    if (!item.is_mapping()) return std::nullopt;
    std::string target = scalar_of(item.find("target"));
    if (!target.empty()) return target;
    return (p[2] == "secrets" ? "/run/secrets/" : "/") + scalar_of(item.find("source"));
  }
  if (in_service(p, "env_file")) {
    if (!item.is_mapping()) return std::nullopt;
    return scalar_of(item.find("path"));
  }
  for (const char* key : {"cap_add", "cap_drop", "dns", "dns_opt", "dns_search", "expose", "links", "profiles",
                          "tmpfs", "external_links", "security_opt", "group_add", "volumes_from"}) {
    if (in_service(p, key)) return item.is_scalar() ? std::optional(item.scalar) : std::nullopt;
  }
  if (matches(p, {"services", "*", "networks", "*", "aliases"}) || matches(p, {"services", "*", "build", "tags"}) ||
      matches(p, {"services", "*", "build", "platforms"}) || matches(p, {"services", "*", "build", "cache_from"})) {
    return item.is_scalar() ? std::optional(item.scalar) : std::nullopt;
  }
  return std::nullopt;
}

void make_unique(Node& seq, const Path& p) {
  std::vector<Node> out;
  std::map<std::string, size_t> seen;
  for (Node& item : seq.items) {
    auto key = unique_key(p, item);
    if (!key) {
      out.push_back(std::move(item));
      continue;
    }
    if (auto it = seen.find(*key); it != seen.end()) {
      out[it->second] = std::move(item);
    } else {
      seen.emplace(*key, out.size());
      out.push_back(std::move(item));
    }
  }
  seq.items = std::move(out);
}

void merge_node(Node& base, Node over, Path& path);

void merge_mapping(Node& base, Node over, Path& path) {
  for (auto& [key, value] : over.entries) {
    if (value.tag == "!reset") {
      base.erase(key);
      continue;
    }
    Node* existing = base.find(key);
    if (!existing || value.tag == "!override") {
      value.tag.clear();
      strip_resets(value);
      base.set(key, std::move(value));
      continue;
    }
    path.push_back(key);
    merge_node(*existing, std::move(value), path);
    path.pop_back();
  }
}

void merge_node(Node& base, Node over, Path& path) {
  if (over.is_null()) return;  // an empty key in an override leaves the base as it is
  if (replaced_whole(path)) {
    strip_resets(over);
    base = std::move(over);
    return;
  }
  // logging: another driver means other options.
  if (in_service(path, "logging") && base.is_mapping() && over.is_mapping()) {
    const Node* bd = base.find("driver");
    const Node* od = over.find("driver");
    if (bd && od && scalar_of(bd) != scalar_of(od)) {
      strip_resets(over);
      base = std::move(over);
      return;
    }
  }
  if (base.is_mapping() && over.is_mapping()) {
    merge_mapping(base, std::move(over), path);
    return;
  }
  if (base.is_sequence() && over.is_sequence()) {
    for (Node& item : over.items) {
      if (item.tag == "!reset") continue;
      strip_resets(item);
      base.items.push_back(std::move(item));
    }
    make_unique(base, path);
    return;
  }
  strip_resets(over);
  base = std::move(over);
}

}  // namespace

void strip_resets(Node& n) {
  if (n.is_mapping()) {
    std::erase_if(n.entries, [](const auto& kv) { return kv.second.tag == "!reset"; });
    for (auto& [k, v] : n.entries) strip_resets(v);
  } else if (n.is_sequence()) {
    std::erase_if(n.items, [](const Node& item) { return item.tag == "!reset"; });
    for (Node& item : n.items) strip_resets(item);
  }
  if (n.tag == "!override") n.tag.clear();
}

void enforce_unique(Node& root) {
  Node* services = root.find("services");
  if (!services || !services->is_mapping()) return;
  for (auto& [name, s] : services->entries) {
    if (!s.is_mapping()) continue;
    for (auto& [key, value] : s.entries) {
      if (value.is_sequence()) make_unique(value, Path{"services", name, key});
    }
  }
}

void merge_trees(Node& base, Node override_tree) {
  Path path;
  merge_node(base, std::move(override_tree), path);
}

void merge_service(Node& base, Node override_service) {
  Path path{"services", "_"};
  merge_node(base, std::move(override_service), path);
}

}  // namespace berth::compose
