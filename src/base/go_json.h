// JSON text byte for byte as Go writes it. Image IDs and manifest digests are
// hashes of such bytes, json-file logs are read by Docker's own tools, and
// `--format '{{json .}}'` output is compared with docker's: one encoder for
// all of them.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::go {

// Which of Go's two string escapers to follow. Both are HTML-safe (< > & as
// \u003c \u003e \u0026), escape U+2028/U+2029, and write each byte of
// invalid UTF-8 as \ufffd; they differ in the short escapes.
enum class JsonEscape {
  EncodingJson,  // encoding/json (Go 1.22+): \" \\ \b \f \n \r \t, other controls \u00XX
  JsonLog,       // moby's json-file log writer: \" \\ \n \r only, \t is \u0009
};

// Appends s as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view s, JsonEscape style = JsonEscape::EncodingJson);

// json.Marshal of a value: compact, object keys in the order the object
// holds them (ordered_json: insertion order, as Go writes struct fields;
// json: sorted, as Go writes maps), float64 as Go formats it ("1" for 1.0,
// "1e-7", "1e+21"), NaN and infinities as null.
void append_json(std::string& out, const nlohmann::ordered_json& value);
void append_json(std::string& out, const nlohmann::json& value);
std::string marshal(const nlohmann::ordered_json& value);
std::string marshal(const nlohmann::json& value);

// strconv.FormatFloat(f, 'f' or 'e', -1, 64) as encoding/json picks it.
std::string json_float(double f);

}  // namespace berth::go
