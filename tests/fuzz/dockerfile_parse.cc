// Fuzz target: a Dockerfile, as a build's context may carry any bytes
// (src/build/dockerfile: moby's parser and its instruction checks).
// Checks: nothing crashes or recurses without bound; parsing is
// deterministic; a parsed file has instructions with a known upper-case
// keyword, lines in order within the text, flags with names, and the shapes
// its keyword promises (a shell form is one string, HEALTHCHECK is NONE or
// CMD, ONBUILD has a trigger); errors are InvalidArgument in Docker's words
// with the line; a trigger's text parses (or fails) on its own.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "build/dockerfile.h"
#include "fuzz_check.h"

using namespace berth;
using namespace berth::build;

namespace {

const std::set<std::string> kKeywords = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
                                         "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
                                         "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"};

bool same(const Instruction& a, const Instruction& b) {
  if (a.keyword != b.keyword || a.original != b.original || a.line != b.line || a.flags != b.flags ||
      a.json != b.json || a.args != b.args || bool(a.child) != bool(b.child))
    return false;
  return !a.child || same(*a.child, *b.child);
}

void check_shape(const Instruction& in, int lines, bool trigger) {
  FUZZ_CHECK(!in.keyword.empty(), "empty keyword");
  FUZZ_CHECK(std::none_of(in.keyword.begin(), in.keyword.end(), [](char c) { return c >= 'a' && c <= 'z'; }),
             "keyword not upper case: " + in.keyword);
  if (!trigger) FUZZ_CHECK(kKeywords.count(in.keyword), "unknown keyword accepted: " + in.keyword);
  FUZZ_CHECK(in.line > 0 && in.line <= lines, "line " + std::to_string(in.line) + " of " + std::to_string(lines));
  FUZZ_CHECK(!in.original.empty(), "empty original");
  const auto& k = in.keyword;
  if (!in.json && (k == "RUN" || k == "CMD" || k == "ENTRYPOINT"))
    FUZZ_CHECK(in.args.size() <= 1, k + " shell form with " + std::to_string(in.args.size()) + " args");
  if (trigger) return;
  if (k == "HEALTHCHECK") {
    FUZZ_CHECK(!in.args.empty() && (in.args[0] == "NONE" || in.args[0] == "CMD"), "HEALTHCHECK " + in.original);
    FUZZ_CHECK(in.args[0] == "NONE" ? in.args.size() == 1 : in.args.size() >= 2, "HEALTHCHECK args");
  }
  if (k == "ENV" || k == "LABEL") {
    FUZZ_CHECK(!in.args.empty() && in.args.size() % 2 == 0, k + " pairs");
    for (size_t i = 0; i < in.args.size(); i += 2) FUZZ_CHECK(!in.args[i].empty(), k + " blank name");
  }
  if (k == "COPY" || k == "ADD") FUZZ_CHECK(in.args.size() >= 2, k + " without destination");
  if (k == "FROM") FUZZ_CHECK(in.args.size() == 1 || in.args.size() == 3, "FROM args");
  if (k == "SHELL") FUZZ_CHECK(in.json && !in.args.empty(), "SHELL not JSON");
  if (k == "ONBUILD") {
    FUZZ_CHECK(in.child != nullptr, "ONBUILD without trigger");
    check_shape(*in.child, lines, true);
    FUZZ_CHECK(in.child->keyword != "ONBUILD" && in.child->keyword != "FROM" && in.child->keyword != "MAINTAINER",
               "trigger " + in.child->keyword);
    (void)parse_dockerfile(in.child->original);  // what a child build does with it
  } else {
    FUZZ_CHECK(in.child == nullptr, k + " with a child");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = parse_dockerfile(text);
  auto again = parse_dockerfile(text);
  FUZZ_CHECK(first.has_value() == again.has_value(), "parse not deterministic");
  if (!first) {
    FUZZ_CHECK(first.error().code == Errc::InvalidArgument, "error code");
    const auto& m = first.error().message;
    FUZZ_CHECK(m == again.error().message, "error not deterministic");
    FUZZ_CHECK(m.starts_with("dockerfile parse error line ") || m == "the Dockerfile cannot be empty" ||
                   m == "file with no instructions" || m == "dockerfile line greater than max allowed size of 65535",
               "error: " + m);
    return 0;
  }
  int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(!first->instructions.empty(), "no instructions");
  FUZZ_CHECK(first->escape == '\\' || first->escape == '`', "escape");
  FUZZ_CHECK(first->instructions.size() == again->instructions.size(), "count not deterministic");
  int previous = 0;
  for (size_t i = 0; i < first->instructions.size(); ++i) {
    const auto& in = first->instructions[i];
    FUZZ_CHECK(same(in, again->instructions[i]), "instruction not deterministic: " + in.original);
    FUZZ_CHECK(in.line > previous, "lines out of order");
    previous = in.line;
    check_shape(in, lines, false);
    Instruction copy = in;
    FUZZ_CHECK(same(copy, in), "copy differs");
  }
  return 0;
}
