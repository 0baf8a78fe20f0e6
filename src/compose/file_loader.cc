#include "compose/file_loader.h"

#include <fmt/format.h>

#include "compose/canonical.h"
#include "compose/extends.h"
#include "compose/fields.h"

namespace berth::compose {

Result<Node> FileLoader::parse(const std::string& path) {
  if (auto it = parsed_.find(path); it != parsed_.end()) return it->second;
  std::string text = TRY(reader_.read(path));
  Node root = TRY(parse_yaml(text, path));
  if (!root.is_mapping()) {
    return fail(Errc::InvalidArgument, fmt::format("{}: top-level object must be a mapping", path));
  }
  TRYV(interpolate_tree(root, lookup_, &unset_));
  TRYV(canonicalize(root));
  parsed_.emplace(path, root);
  return root;
}

Result<Node> FileLoader::load(const std::string& path) {
  Node root = TRY(parse(path));
  TRYV(apply_extends(root, path, *this));
  return root;
}

}  // namespace berth::compose
