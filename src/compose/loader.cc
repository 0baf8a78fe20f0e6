#include "compose/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "compose/convert.h"
#include "compose/dotenv.h"
#include "compose/fields.h"
#include "compose/file_loader.h"
#include "compose/merge.h"
#include "compose/paths.h"
#include "compose/project_name.h"
#include "compose/validate.h"

namespace berth::compose {

namespace {

constexpr const char* kDefaultFiles[] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
constexpr const char* kOverrideFiles[] = {"compose.override.yaml", "compose.override.yml",
                                          "docker-compose.override.yml", "docker-compose.override.yaml"};

std::optional<std::string> env_value(const LoadOptions& o, const char* name) {
  auto it = o.environment.find(name);
  if (it == o.environment.end()) return std::nullopt;
  return it->second;
}

// -f, COMPOSE_FILE, or the default names in the working directory and its
// parents (the first directory holding one), then its override file.
Result<std::vector<std::string>> config_files(const LoadOptions& o, const FileReader& reader) {
  std::vector<std::string> given = o.config_files;
  if (given.empty()) {
    if (auto env = env_value(o, "COMPOSE_FILE"); env && !env->empty()) {
      std::string sep = env_value(o, "COMPOSE_PATH_SEPARATOR").value_or(":");
      given = split(*env, sep.empty() ? ':' : sep[0], true);
    }
  }
  std::vector<std::string> out;
  for (const std::string& f : given) out.push_back(absolute_path(o.working_directory, f, o.home));
  if (!out.empty()) return out;
  std::string dir = o.project_directory.empty() ? o.working_directory
                                                : absolute_path(o.working_directory, o.project_directory, o.home);
  while (true) {
    for (const char* name : kDefaultFiles) {
      std::string candidate = absolute_path(dir, name, o.home);
      if (!reader.exists(candidate)) continue;
      out.push_back(candidate);
      for (const char* over : kOverrideFiles) {
        std::string o_candidate = absolute_path(dir, over, o.home);
        if (reader.exists(o_candidate)) {
          out.push_back(o_candidate);
          break;
        }
      }
      return out;
    }
    if (dir == "/" || dir.empty() || !o.project_directory.empty()) break;
    dir = dirname_of(dir);
  }
  return fail(Errc::NotFound, "no configuration file provided: not found");
}

// The caller's environment, then the .env (or --env-file) entries it does not set.
Result<StringMap> project_environment(const LoadOptions& o, const std::string& project_dir, const FileReader& reader) {
  StringMap env(o.environment.begin(), o.environment.end());
  std::vector<std::string> files;
  for (const std::string& f : o.env_files) files.push_back(absolute_path(o.working_directory, f, o.home));
  if (files.empty()) {
    std::string dot_env = absolute_path(project_dir, ".env", o.home);
    if (reader.exists(dot_env)) files.push_back(dot_env);
  } else {
    for (const std::string& f : files) {
      if (!reader.exists(f)) return fail(Errc::NotFound, fmt::format("couldn't find env file: {}", f));
    }
  }
  for (const std::string& f : files) {
    std::string text = TRY(reader.read(f));
    Lookup caller = [&](const std::string& k) -> std::optional<std::string> {
      if (auto it = o.environment.find(k); it != o.environment.end()) return it->second;
      return std::nullopt;
    };
    for (auto& [k, v] : TRY(parse_dotenv(text, f, caller))) env.try_emplace(k, v);
  }
  return env;
}

// env_file entries, then environment (which wins); a key without a value
// takes the project environment's.
Result<void> resolve_environment(Node& service, const StringMap& env, const FileReader& reader, const std::string& name) {
  if (!service.is_mapping()) return {};
  Node merged = Node::make_mapping();
  Lookup lookup = [&](const std::string& k) -> std::optional<std::string> {
    if (auto it = env.find(k); it != env.end()) return it->second;
    return std::nullopt;
  };
  if (const Node* files = service.find("env_file"); files && files->is_sequence()) {
    for (const Node& f : files->items) {
      const Node* path = f.find("path");
      if (!path || !path->is_scalar()) continue;
      bool required = true;
      if (const Node* r = f.find("required"); r && r->is_scalar()) required = r->scalar != "false";
      if (!reader.exists(path->scalar)) {
        if (!required) continue;
        return fail(Errc::NotFound, fmt::format("env file {} not found: stat {}: no such file or directory",
                                                path->scalar, path->scalar));
      }
      std::string text = TRY(reader.read(path->scalar));
      for (auto& [k, v] : TRY(parse_dotenv(text, path->scalar, lookup))) merged.set(k, Node::make_scalar(v));
    }
  }
  if (const Node* e = service.find("environment"); e && e->is_mapping()) {
    for (const auto& [k, v] : e->entries) merged.set(k, v);
  }
  for (auto& [k, v] : merged.entries) {
    if (!v.is_null()) continue;
    if (auto value = lookup(k)) v = Node::make_scalar(*value);
  }
  if (!merged.entries.empty() || service.find("environment")) {
    merged.mark = service.find("environment") ? service.find("environment")->mark : service.mark;
    service.set("environment", std::move(merged));
  }
  (void)name;
  return {};
}

std::vector<std::string> active_profiles(const LoadOptions& o) {
  std::vector<std::string> out = o.profiles;
  if (auto env = env_value(o, "COMPOSE_PROFILES")) {
    for (const std::string& p : split(*env, ',', true)) out.push_back(std::string(trim(p)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool enabled(const Service& s, const std::vector<std::string>& profiles) {
  if (s.profiles.empty()) return true;
  for (const std::string& p : s.profiles) {
    if (p == "*" || std::binary_search(profiles.begin(), profiles.end(), p)) return true;
  }
  return std::binary_search(profiles.begin(), profiles.end(), "*");
}

Result<std::string> project_name(const LoadOptions& o, const Node& root, const std::string& project_dir) {
  if (!o.project_name.empty()) {
    TRYV(check_project_name(o.project_name));
    return o.project_name;
  }
  if (auto env = env_value(o, "COMPOSE_PROJECT_NAME"); env && !env->empty()) {
    TRYV(check_project_name(*env));
    return *env;
  }
  if (const Node* n = root.find("name"); n && n->is_scalar() && !n->scalar.empty()) {
    TRYV(check_project_name(n->scalar));
    return n->scalar;
  }
  std::string name = normalize_project_name(basename_of(project_dir));
  TRYV(check_project_name(name));
  return name;
}

// Networks and volumes get their engine names; every service without
// network_mode or networks joins `default`, which exists when used.
Result<void> name_resources(Project& p, const Node& root) {
  bool default_used = false;
  for (auto& [_, s] : p.services) {
    if (s.networks.empty() && s.network_mode.empty()) s.networks["default"] = std::nullopt;
    if (s.networks.contains("default")) default_used = true;
  }
  if (default_used && !p.networks.contains("default")) p.networks["default"] = NetworkConfig{};
  for (auto& [key, n] : p.networks)
    if (n.name.empty()) n.name = n.external ? key : p.name + "_" + key;
  for (auto& [key, v] : p.volumes)
    if (v.name.empty()) v.name = v.external ? key : p.name + "_" + key;
  for (auto* objects : {&p.configs, &p.secrets}) {
    for (auto& [key, c] : *objects)
      if (c.name.empty()) c.name = c.external ? key : p.name + "_" + key;
  }
  (void)root;
  return {};
}

template <class T, class Convert>
Result<void> convert_section(const Node& root, const char* key, std::map<std::string, T>& out, Convert convert) {
  const Node* section = root.find(key);
  if (!section || section->is_null()) return {};
  if (!section->is_mapping()) return fail(Errc::InvalidArgument, fmt::format("{} must be a mapping", key));
  for (const auto& [name, node] : section->entries) {
    if (name.starts_with("x-")) continue;
    out[name] = TRY(convert(name, node));
  }
  return {};
}

Result<void> check_top_level(const Node& root, std::vector<std::string>& warnings) {
  static const std::set<std::string> known = {"version", "name", "services", "networks", "volumes", "configs", "secrets"};
  for (const auto& [k, v] : root.entries) {
    if (k.starts_with("x-") || known.contains(k)) continue;
    if (k == "include") return fail(Errc::Unsupported, fmt::format("{}: include is not supported by berth compose yet", where(v.mark)));
    return fail(Errc::InvalidArgument, fmt::format("{}: (root) Additional property {} is not allowed", where(v.mark), k));
  }
  if (root.find("version")) {
    warnings.push_back("the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion");
  }
  return {};
}

}  // namespace

Result<Project> load_project(const LoadOptions& options) {
  const FileReader& reader = options.reader ? *options.reader : disk_reader();
  Project p;
  p.config_files = TRY(config_files(options, reader));
  p.working_dir = options.project_directory.empty()
                      ? dirname_of(p.config_files.front())
                      : absolute_path(options.working_directory, options.project_directory, options.home);
  p.environment = TRY(project_environment(options, p.working_dir, reader));
  p.profiles = active_profiles(options);

  Lookup lookup = [&p](const std::string& k) -> std::optional<std::string> {
    if (auto it = p.environment.find(k); it != p.environment.end()) return it->second;
    return std::nullopt;
  };
  FileLoader files(reader, lookup, options.home);
  Node root = Node::make_mapping();
  for (const std::string& file : p.config_files) {
    Node tree = TRY(files.load(file));
    TRYV(check_top_level(tree, p.warnings));
    merge_trees(root, std::move(tree));
  }
  strip_resets(root);
  enforce_unique(root);
  for (const std::string& v : files.unset()) {
    p.warnings.push_back(fmt::format("The \"{}\" variable is not set. Defaulting to a blank string.", v));
  }

  p.name = TRY(project_name(options, root, p.working_dir));
  resolve_resource_paths(root, p.working_dir, options.home);
  if (Node* services = root.find("services"); services && services->is_mapping()) {
    for (auto& [name, node] : services->entries) {
      resolve_service_paths(node, p.working_dir, options.home);
      TRYV(resolve_environment(node, p.environment, reader, name));
      Service s = TRY(convert_service(name, node));
      if (enabled(s, p.profiles)) {
        p.services[name] = std::move(s);
      } else {
        p.disabled_services[name] = std::move(s);
      }
    }
  } else if (const Node* s = root.find("services"); s && !s->is_null()) {
    return fail(Errc::InvalidArgument, fmt::format("{}: services must be a mapping", where(s->mark)));
  }
  TRYV(convert_section(root, "networks", p.networks, convert_network));
  TRYV(convert_section(root, "volumes", p.volumes, convert_volume));
  TRYV(convert_section(root, "configs", p.configs, [](const std::string& n, const Node& node) {
    return convert_file_object("configs", n, node);
  }));
  TRYV(convert_section(root, "secrets", p.secrets, [](const std::string& n, const Node& node) {
    return convert_file_object("secrets", n, node);
  }));
  for (const auto& [k, v] : root.entries)
    if (k.starts_with("x-")) p.extensions[k] = to_json(v);
  TRYV(name_resources(p, root));
  TRYV(validate_project(p));
  return p;
}

}  // namespace berth::compose
