// Where and why a JSON text is malformed, in the words of Go's encoding/json
// (what dockerd answers for a bad request body), so that clients never see a
// JSON library's internals:
//   invalid character 'x' looking for beginning of object key string
//   unexpected end of JSON input
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

struct JsonSyntaxError {
  std::string message;  // Go's text
  size_t offset = 0;    // bytes read when the error was found (Go's SyntaxError.Offset)
};

// nullopt when `text` is one well-formed JSON value (surrounded by whitespace only).
std::optional<JsonSyntaxError> json_syntax_error(std::string_view text);

}  // namespace berth
