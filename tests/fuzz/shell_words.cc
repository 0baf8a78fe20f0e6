// Fuzz target: a word of a Dockerfile instruction through variable
// expansion (src/build/shell_words: moby's shell lexer). The first byte picks
// the escape character ('\' or '`'), the rest is the word; variables are a
// fixed set, some with white space and quotes in their values.
// Checks: nothing crashes or recurses without bound; expand_word and
// expand_words agree (both succeed or fail with the same message), the
// words are non-empty and hold the word's characters in order once white
// space is set aside; results are deterministic; errors are InvalidArgument
// "failed to process ...".
#include <cstdint>
#include <map>
#include <string>

#include "build/go_text.h"
#include "build/shell_words.h"
#include "fuzz_check.h"

using namespace berth;
using namespace berth::build;

namespace {

std::optional<std::string> lookup(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> vars = {
      {"A", "x y"}, {"EMPTY", ""}, {"B", "$A"}, {"Q", "\"'\\"}, {"SP", "  lead trail  "}, {"K", "\xED\x95\x9C"}};
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

std::string without_space(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto r = gotext::decode_rune(s, i);
    if (!gotext::is_space(r.value)) out.append(s.substr(i, r.width));
    i += r.width;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  char escape = (data[0] & 1) ? '`' : '\\';
  std::string_view word(reinterpret_cast<const char*>(data) + 1, size - 1);
  EnvLookup env = lookup;
  auto one = expand_word(word, env, escape);
  auto many = expand_words(word, env, escape);
  FUZZ_CHECK(one.has_value() == many.has_value(), "expand_word and expand_words disagree");
  if (!one) {
    FUZZ_CHECK(one.error().code == Errc::InvalidArgument, "error code");
    FUZZ_CHECK(one.error().message.starts_with("failed to process "), "error: " + one.error().message);
    FUZZ_CHECK(one.error().message == many.error().message, "different errors");
    return 0;
  }
  auto again = expand_word(word, env, escape);
  FUZZ_CHECK(again && *again == *one, "not deterministic");
  std::string joined;
  for (const auto& w : *many) {
    FUZZ_CHECK(!w.empty(), "empty word");
    joined += w;
  }
  FUZZ_CHECK(without_space(joined) == without_space(*one), "words '" + joined + "' vs word '" + *one + "'");
  return 0;
}
