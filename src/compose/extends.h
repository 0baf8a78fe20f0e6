// `extends`: a service built on another one, from the same file or
// `file: OTHER`, merged with the Compose merge rules (the extending service
// overrides). Relative paths of a service from another file are made
// absolute against that file's directory first, as compose-go rebases them.
#pragma once

#include <string>

#include "base/error.h"
#include "compose/tree.h"

namespace berth::compose {

class FileLoader;

// Resolves every `extends` of root's services (root was read from `file`).
Result<void> apply_extends(Node& root, const std::string& file, FileLoader& loader);

}  // namespace berth::compose
