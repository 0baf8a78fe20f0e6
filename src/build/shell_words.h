// Variable expansion and quote removal in Dockerfile instructions: moby's
// shell lexer (frontend/dockerfile/shell, ProcessWord / ProcessWords) as
// Docker's legacy builder uses it on ENV, LABEL, ARG, COPY, ADD, WORKDIR,
// USER, EXPOSE, VOLUME, STOPSIGNAL, FROM and ONBUILD arguments.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

// The value of a variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// One word: $V, ${V}, ${V:-d}, ${V-d}, ${V:+x}, ${V+x}, ${V:?msg}, ${V?msg}
// (unset variables expand to ""); '...' literal, "..." with expansion and
// the escape char escaping only `"`, `$` and itself; outside quotes the
// escape char takes the next character literally (and is dropped at the
// end); `$` not followed by a name or '{' stays. Quotes are removed.
// Errors are InvalidArgument in Docker's words:
//   failed to process "${a": syntax error: missing '}'
Result<std::string> expand_word(std::string_view word, const EnvLookup& env, char escape = '\\');

// The same, then split into words on white space that is neither quoted nor
// escaped, white space from a variable's value included (EXPOSE $PORTS with
// PORTS="80 443" is two words); a word of empty quotes alone is no word.
Result<std::vector<std::string>> expand_words(std::string_view text, const EnvLookup& env, char escape = '\\');

}  // namespace berth::build
