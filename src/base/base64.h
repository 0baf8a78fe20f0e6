// Base64 (RFC 4648) for the few places the Docker API uses it: X-Registry-Auth
// (URL-safe alphabet), config.json's "auth" (standard). Small enough that a
// crypto library for it would cost the CLI more at start-up than it saves.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::base64 {

std::string encode(std::string_view bytes);      // standard alphabet, padded
std::string encode_url(std::string_view bytes);  // '-' and '_', padded (Go's base64.URLEncoding)
// Either alphabet, padding optional, no whitespace; nullopt when malformed.
std::optional<std::string> decode(std::string_view text);

}  // namespace berth::base64
