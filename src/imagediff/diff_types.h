// What `berth image diff --type=...` can compare, by name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::imagediff {

// In the order results are shown.
enum class DiffType { Size, History, Metadata, File, Apt, Apk };

std::string_view diff_type_name(DiffType t);  // "size", "history", ...
// The names, comma separated as well ("file,size"), each once, in the order
// above. None: size alone, container-diff's default. An unknown name is
// InvalidArgument listing the ones there are.
Result<std::vector<DiffType>> parse_diff_types(const std::vector<std::string>& names);
// Whether the layers must be read for these (file, apt, apk).
bool needs_layers(const std::vector<DiffType>& types);
bool has_type(const std::vector<DiffType>& types, DiffType t);

}  // namespace berth::imagediff
