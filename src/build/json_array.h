// The exec form of an instruction: a JSON array of strings, decoded as Go's
// encoding/json decodes it into []interface{} (what moby's parseJSON does).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::build {

enum class JsonArray {
  NotJson,     // not a well-formed JSON array: the instruction is in shell form
  NotStrings,  // a JSON array with an element that is not a string: an error
  Strings,
};

// `text` starts (after white space) with '[' and is one JSON value; its
// strings are unescaped as Go does (invalid UTF-8 and lone surrogates become
// U+FFFD).
JsonArray parse_json_string_array(std::string_view text, std::vector<std::string>& out);

}  // namespace berth::build
