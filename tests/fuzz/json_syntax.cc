// Fuzz target: the JSON syntax checker of the API edge (base/json_syntax.h),
// on arbitrary bytes.
// Checks: no crash; the error offset lies within the input; the verdict is
// nlohmann::json::accept's, except where Go's encoding/json (which berth
// follows) and nlohmann differ on purpose:
//  - bytes >= 0x80 (Go accepts invalid UTF-8 in strings):
//    compared after mapping each such byte to 'Z', which is valid inside a
//    string and invalid anywhere else (even in a \u escape), as any byte
//    >= 0x80 is to Go;
//  - "\uD800".."\uDFFF" escapes (Go accepts unpaired surrogates): their hex
//    digits are mapped to "0041" for the comparison;
//  - a NUL byte, which nlohmann takes for the end of the input: mapped to
//    0x01, invalid anywhere to both;
//  - numbers out of double's range (Go's syntax check accepts 1e999): such
//    inputs are not compared.
#include <cctype>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/json_syntax.h"
#include "fuzz_check.h"

namespace {

std::string as_nlohmann_sees_go(std::string_view in) {
  std::string s(in);
  for (char& c : s)
    if (static_cast<unsigned char>(c) >= 0x80) c = 'Z';
    else if (c == '\0') c = '\x01';
  for (size_t i = 0; i + 5 < s.size(); ++i) {
    if (s[i] == '\\' && s[i + 1] == 'u' && (s[i + 2] == 'd' || s[i + 2] == 'D') &&
        std::string_view("89abcdefABCDEF").find(s[i + 3]) != std::string_view::npos &&
        std::isxdigit(static_cast<unsigned char>(s[i + 4])) && std::isxdigit(static_cast<unsigned char>(s[i + 5])))
      s.replace(i + 2, 4, "0041");
  }
  return s;
}

// Records whether nlohmann refused a number for its range (406) rather than its syntax.
struct Acceptor : nlohmann::json_sax<nlohmann::json> {
  bool out_of_range = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    out_of_range = e.id == 406;
    return false;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto error = berth::json_syntax_error(text);
  if (error) FUZZ_CHECK(error->offset <= size, "offset " + std::to_string(error->offset) + " past the input");

  std::string mapped = as_nlohmann_sees_go(text);
  Acceptor acceptor;
  bool accepted = nlohmann::json::sax_parse(mapped, &acceptor);
  if (acceptor.out_of_range) return 0;
  FUZZ_CHECK(accepted == !error, accepted ? "nlohmann accepts what berth refuses: " + error->message
                                          : std::string("berth accepts what nlohmann refuses"));
  return 0;
}
