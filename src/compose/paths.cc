#include "compose/paths.h"

#include <vector>

namespace berth::compose {

namespace {

std::string clean(std::string_view path) {
  bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

Node* child(Node& n, const char* key) { return n.is_mapping() ? n.find(key) : nullptr; }

void resolve_scalar(Node* n, const std::string& dir, const std::string& home) {
  if (n && n->is_scalar() && !n->scalar.empty()) n->scalar = absolute_path(dir, n->scalar, home);
}

}  // namespace

std::string absolute_path(std::string_view dir, std::string_view path, std::string_view home) {
  if (path == "~") return clean(home);
  if (path.starts_with("~/")) return clean(std::string(home) + "/" + std::string(path.substr(2)));
  if (path.starts_with('/')) return clean(path);
  return clean(std::string(dir) + "/" + std::string(path));
}

std::string dirname_of(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string basename_of(std::string_view path) {
  while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool is_remote_context(std::string_view c) {
  return c.find("://") != std::string_view::npos || c.starts_with("git@") || c.starts_with("github.com/");
}

void resolve_service_paths(Node& s, const std::string& dir, const std::string& home) {
  if (Node* build = child(s, "build")) {
    Node* context = child(*build, "context");
    if (context && context->is_scalar() && !is_remote_context(context->scalar)) resolve_scalar(context, dir, home);
  }
  if (Node* files = child(s, "env_file"); files && files->is_sequence()) {
    for (Node& f : files->items) resolve_scalar(child(f, "path"), dir, home);
  }
  if (Node* vols = child(s, "volumes"); vols && vols->is_sequence()) {
    for (Node& v : vols->items) {
      Node* type = child(v, "type");
      if (type && type->is_scalar() && type->scalar == "bind") resolve_scalar(child(v, "source"), dir, home);
    }
  }
}

void resolve_resource_paths(Node& root, const std::string& dir, const std::string& home) {
  for (const char* top : {"configs", "secrets"}) {
    Node* section = child(root, top);
    if (!section || !section->is_mapping()) continue;
    for (auto& [name, res] : section->entries) resolve_scalar(child(res, "file"), dir, home);
  }
}

}  // namespace berth::compose
