// Compact JSON written byte-for-byte as Go's encoding/json writes it, because
// image IDs and manifest digests are hashes of those bytes: no spaces, keys in
// the order the object holds them, and Go's HTML-safe escaping ('<' '>' '&' as
// \u003c \u003e \u0026, U+2028/U+2029 escaped, other controls as \u00XX).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace berth::image {

std::string go_json(const nlohmann::ordered_json& j);
void append_go_json(std::string& out, const nlohmann::ordered_json& j);
void append_go_string(std::string& out, const std::string& s);

}  // namespace berth::image
