// The Dockerfile parser of Docker's legacy builder (dockerd 20.10: moby's
// frontend/dockerfile/parser plus the checks of its instructions package):
// text -> instructions with their flags and raw arguments. Pure: no I/O, no
// variable expansion (that is shell_words.h, done by the dispatcher).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::build {

struct Instruction {
  std::string keyword;   // upper case: "FROM", "RUN", ...
  // What Docker's "Step N/M : <original>" shows: the instruction's text,
  // continuation lines joined (escape + newline removed), comment lines inside
  // a continuation dropped, trimmed.
  std::string original;
  int line = 0;  // 1-based line where it starts
  // "--from=x" -> {"from", "x"}, in order; repeated flags kept (RUN --mount).
  std::vector<std::pair<std::string, std::string>> flags;
  bool json = false;              // exec (JSON array) form was used
  std::vector<std::string> args;  // raw: quotes and $ kept (see parse_dockerfile)
  // ONBUILD: the trigger, parsed but not checked (Docker checks a trigger
  // when it runs: parse its `original` with parse_dockerfile then).
  std::unique_ptr<Instruction> child;

  Instruction() = default;
  Instruction(const Instruction& other);
  Instruction& operator=(const Instruction& other);
  Instruction(Instruction&&) noexcept = default;
  Instruction& operator=(Instruction&&) noexcept = default;
  ~Instruction() = default;
};

struct Dockerfile {
  char escape = '\\';  // from a `# escape=` directive
  std::vector<Instruction> instructions;
  // Docker's warnings, e.g. the empty continuation line's
  // ("[WARNING]: Empty continuation line found in:\n    RUN ...").
  std::vector<std::string> warnings;
};

// Parses a Dockerfile. Keywords are case-insensitive; `args` per keyword,
// as moby's parser builds them:
//   FROM, EXPOSE          words split on white space (["img", "AS", "name"])
//   RUN, CMD, ENTRYPOINT  a JSON array's strings (json = true), else the rest
//                         of the line as one string; SHELL: JSON only
//   COPY, ADD, VOLUME     a JSON array's strings, else words split on white
//                         space (quotes are not word boundaries, as in Docker:
//                         expansion of each word removes them). VOLUME's are
//                         trimmed.
//   ENV, LABEL            key/value pairs flattened [k1, v1, k2, v2, ...]
//                         from `k=v k2="a b"` or the legacy `k some value`
//   ARG                   words split honouring quotes: "name" or "name=value"
//   WORKDIR, USER, STOPSIGNAL, MAINTAINER  the rest of the line
//   HEALTHCHECK           {"NONE"} or {"CMD", cmd...} (cmd as RUN's)
//   ONBUILD               none: `child` is the trigger
// Errors are InvalidArgument "dockerfile parse error line N: <Docker's
// words>"; an empty text is "the Dockerfile cannot be empty" and one without
// instructions "file with no instructions". Not checked here (the
// dispatcher's): instructions before the first FROM other than ARG.
Result<Dockerfile> parse_dockerfile(std::string_view text);

}  // namespace berth::build
