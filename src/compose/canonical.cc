#include "compose/canonical.h"

#include <fmt/format.h>

#include "compose/diagnostics.h"
#include "compose/short_syntax.h"

namespace berth::compose {

namespace {

// ["K=V", "K"] → {K: V, K: null} (`null_without_value`) or {K: ""}.
Result<void> list_to_map(Node& n, const std::string& path, bool null_without_value) {
  if (!n.is_sequence()) return {};
  Node map = Node::make_mapping();
  map.mark = n.mark;
  map.tag = n.tag;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (!item.is_scalar()) return invalid_at(item, fmt::format("{}.{}", path, i), "must be a string");
    const std::string& s = item.scalar;
    size_t eq = s.find('=');
    Node value;
    if (eq != std::string::npos) {
      value = Node::make_scalar(s.substr(eq + 1));
    } else if (!null_without_value) {
      value = Node::make_scalar("");
    }
    value.mark = item.mark;
    map.set(eq == std::string::npos ? s : s.substr(0, eq), std::move(value));
  }
  n = std::move(map);
  return {};
}

void scalar_to_list(Node& n) {
  if (!n.is_scalar()) return;
  Node list = Node::make_sequence();
  list.mark = n.mark;
  list.items.push_back(std::move(n));
  n = std::move(list);
}

Result<void> extra_hosts(Node& n, const std::string& path) {
  if (n.is_mapping()) return {};
  if (!n.is_sequence()) return {};
  Node map = Node::make_mapping();
  map.mark = n.mark;
  map.tag = n.tag;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (!item.is_scalar()) return invalid_at(item, fmt::format("{}.{}", path, i), "must be a string");
    const std::string& s = item.scalar;
    size_t sep = s.find('=');
    if (sep == std::string::npos) sep = s.find(':');
    if (sep == std::string::npos || sep == 0) {
      return invalid_at(item, fmt::format("{}.{}", path, i), fmt::format("invalid extra host \"{}\"", s));
    }
    Node ip = Node::make_scalar(s.substr(sep + 1));
    ip.mark = item.mark;
    map.set(s.substr(0, sep), std::move(ip));
  }
  n = std::move(map);
  return {};
}

Result<void> ports(Node& n, const std::string& path) {
  if (!n.is_sequence()) return {};
  std::vector<Node> out;
  for (size_t i = 0; i < n.items.size(); ++i) {
    Node& item = n.items[i];
    if (item.is_mapping()) {
      out.push_back(std::move(item));
      continue;
    }
    if (!item.is_scalar()) return invalid_at(item, fmt::format("{}.{}", path, i), "must be a string or number");
    auto expanded = expand_port(item.scalar);
    if (!expanded) return invalid_at(item, fmt::format("{}.{}", path, i), expanded.error().message);
    for (Node& e : *expanded) {
      e.mark = item.mark;
      out.push_back(std::move(e));
    }
  }
  n.items = std::move(out);
  return {};
}

template <class Expand>
Result<void> expand_each(Node& n, const std::string& path, Expand expand) {
  if (!n.is_sequence()) return {};
  for (size_t i = 0; i < n.items.size(); ++i) {
    Node& item = n.items[i];
    if (!item.is_scalar()) continue;
    auto e = expand(item.scalar);
    if (!e) return invalid_at(item, fmt::format("{}.{}", path, i), e.error().message);
    e->mark = item.mark;
    item = std::move(*e);
  }
  return {};
}

Result<void> depends_on(Node& n, const std::string& path) {
  if (!n.is_sequence()) return {};
  Node map = Node::make_mapping();
  map.mark = n.mark;
  map.tag = n.tag;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (!item.is_scalar()) return invalid_at(item, fmt::format("{}.{}", path, i), "must be a string");
    Node dep = Node::make_mapping();
    dep.mark = item.mark;
    dep.set("condition", Node::make_scalar("service_started"));
    dep.set("required", Node::make_scalar("true", true));
    map.set(item.scalar, std::move(dep));
  }
  n = std::move(map);
  return {};
}

Result<void> file_refs(Node& n) {
  if (!n.is_sequence()) return {};
  for (Node& item : n.items) {
    if (!item.is_scalar()) continue;
    Node ref = Node::make_mapping();
    ref.mark = item.mark;
    ref.set("source", std::move(item));
    item = std::move(ref);
  }
  return {};
}

Result<void> env_files(Node& n) {
  scalar_to_list(n);
  if (!n.is_sequence()) return {};
  for (Node& item : n.items) {
    if (!item.is_scalar()) continue;
    Node ref = Node::make_mapping();
    ref.mark = item.mark;
    ref.set("path", std::move(item));
    ref.set("required", Node::make_scalar("true", true));
    item = std::move(ref);
  }
  return {};
}

Node* child(Node& n, const char* key) { return n.is_mapping() ? n.find(key) : nullptr; }

// `external: {name: x}` (the legacy form) → `name: x` + `external: true`.
void legacy_external(Node& resource) {
  Node* ext = child(resource, "external");
  if (!ext || !ext->is_mapping()) return;
  Node name;
  if (Node* nm = ext->find("name")) name = *nm;
  *ext = Node::make_scalar("true", true);
  if (!name.is_null() && !resource.find("name")) resource.set("name", std::move(name));
}

}  // namespace

Result<void> canonicalize_service(Node& s, const std::string& path) {
  if (!s.is_mapping()) return {};
  auto at = [&](const char* key) { return path + "." + key; };
  if (Node* b = child(s, "build"); b && b->is_scalar()) {
    Node build = Node::make_mapping();
    build.mark = b->mark;
    build.set("context", std::move(*b));
    *b = std::move(build);
  }
  if (Node* b = child(s, "build"); b && b->is_mapping()) {
    if (Node* n = b->find("args")) TRYV(list_to_map(*n, at("build.args"), true));
    if (Node* n = b->find("labels")) TRYV(list_to_map(*n, at("build.labels"), false));
    if (Node* n = b->find("extra_hosts")) TRYV(extra_hosts(*n, at("build.extra_hosts")));
  }
  if (Node* n = child(s, "extends"); n && n->is_scalar()) {
    Node ext = Node::make_mapping();
    ext.mark = n->mark;
    ext.set("service", std::move(*n));
    *n = std::move(ext);
  }
  if (Node* n = child(s, "environment")) TRYV(list_to_map(*n, at("environment"), true));
  if (Node* n = child(s, "labels")) TRYV(list_to_map(*n, at("labels"), false));
  if (Node* n = child(s, "annotations")) TRYV(list_to_map(*n, at("annotations"), false));
  if (Node* n = child(s, "sysctls")) TRYV(list_to_map(*n, at("sysctls"), false));
  if (Node* n = child(s, "depends_on")) TRYV(depends_on(*n, at("depends_on")));
  if (Node* n = child(s, "ports")) TRYV(ports(*n, at("ports")));
  if (Node* n = child(s, "volumes")) TRYV(expand_each(*n, at("volumes"), expand_volume));
  if (Node* n = child(s, "devices")) TRYV(expand_each(*n, at("devices"), expand_device));
  if (Node* n = child(s, "extra_hosts")) TRYV(extra_hosts(*n, at("extra_hosts")));
  if (Node* n = child(s, "secrets")) TRYV(file_refs(*n));
  if (Node* n = child(s, "configs")) TRYV(file_refs(*n));
  if (Node* n = child(s, "env_file")) TRYV(env_files(*n));
  for (const char* key : {"dns", "dns_search", "tmpfs"})
    if (Node* n = child(s, key)) scalar_to_list(*n);
  if (Node* n = child(s, "networks"); n && n->is_sequence()) {
    Node map = Node::make_mapping();
    map.mark = n->mark;
    map.tag = n->tag;
    for (size_t i = 0; i < n->items.size(); ++i) {
      const Node& item = n->items[i];
      if (!item.is_scalar()) return invalid_at(item, fmt::format("{}.{}", at("networks"), i), "must be a string");
      Node none;
      none.mark = item.mark;
      map.set(item.scalar, std::move(none));
    }
    *n = std::move(map);
  }
  if (Node* h = child(s, "healthcheck")) {
    if (Node* t = child(*h, "test"); t && t->is_scalar()) {
      Node list = Node::make_sequence();
      list.mark = t->mark;
      list.items.push_back(Node::make_scalar("CMD-SHELL"));
      list.items.push_back(std::move(*t));
      *t = std::move(list);
    }
  }
  if (Node* d = child(s, "deploy")) {
    if (Node* n = child(*d, "labels")) TRYV(list_to_map(*n, at("deploy.labels"), false));
  }
  return {};
}

Result<void> canonicalize(Node& root) {
  if (!root.is_mapping()) return {};
  if (Node* services = root.find("services"); services && services->is_mapping()) {
    for (auto& [name, s] : services->entries) TRYV(canonicalize_service(s, "services." + name));
  }
  for (const char* top : {"networks", "volumes", "configs", "secrets"}) {
    Node* section = root.find(top);
    if (!section || !section->is_mapping()) continue;
    for (auto& [name, res] : section->entries) {
      legacy_external(res);
      if (Node* n = child(res, "labels")) TRYV(list_to_map(*n, fmt::format("{}.{}.labels", top, name), false));
    }
  }
  return {};
}

}  // namespace berth::compose
