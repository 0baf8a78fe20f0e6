#include "compose/extends.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "compose/diagnostics.h"
#include "compose/file_loader.h"
#include "compose/merge.h"
#include "compose/paths.h"

namespace berth::compose {

class Extender {
 public:
  explicit Extender(FileLoader& loader) : loader_(loader) {}

  // The service `name` of `file` (whose tree is `root`) with its extends applied.
  Result<Node> resolve(const Node& root, const std::string& file, const std::string& name) {
    std::string id = file + "#" + name;
    if (std::find(stack_.begin(), stack_.end(), id) != stack_.end()) {
      return fail(Errc::InvalidArgument,
                  fmt::format("Circular reference with extends: service \"{}\" in {}", name, file));
    }
    const Node* services = root.find("services");
    const Node* service = services && services->is_mapping() ? services->find(name) : nullptr;
    if (!service) return fail(Errc::NotFound, fmt::format("cannot extend service \"{}\" in {}: service not found", name, file));
    Node self = *service;
    Node* ext = self.is_mapping() ? self.find("extends") : nullptr;
    if (!ext) return self;
    if (!ext->is_mapping()) return invalid_at(*ext, "", fmt::format("services.{}.extends must be a mapping", name));
    const Node* base_name = ext->find("service");
    if (!base_name || !base_name->is_scalar()) {
      return invalid_at(*ext, "", fmt::format("services.{}.extends.service is required", name));
    }
    std::string base_file = file;
    Node other;
    const Node* base_root = &root;
    if (const Node* f = ext->find("file"); f && f->is_scalar()) {
      base_file = absolute_path(dirname_of(file), f->scalar, loader_.home());
      other = TRY(loader_.parse(base_file));
      base_root = &other;
    }
    stack_.push_back(id);
    Node base = TRY(resolve(*base_root, base_file, base_name->scalar));
    stack_.pop_back();
    if (base_file != file) resolve_service_paths(base, dirname_of(base_file), loader_.home());
    self.erase("extends");
    merge_service(base, std::move(self));
    return base;
  }

 private:
  FileLoader& loader_;
  std::vector<std::string> stack_;
};

Result<void> apply_extends(Node& root, const std::string& file, FileLoader& loader) {
  Node* services = root.find("services");
  if (!services || !services->is_mapping()) return {};
  Node original = root;
  for (auto& [name, service] : services->entries) {
    if (!service.is_mapping() || !service.find("extends")) continue;
    Extender e(loader);
    service = TRY(e.resolve(original, file, name));
  }
  return {};
}

}  // namespace berth::compose
