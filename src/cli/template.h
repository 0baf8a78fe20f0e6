// A subset of Go's text/template, enough for the --format strings people put
// in scripts: {{.Field.Sub}}, {{json .}}, {{index .M "k"}}, {{join .A " "}},
// {{range}}/{{if}}/{{with}}/{{else}}/{{end}}, variables ($, $v := ...),
// pipes (|), {{- trim markers -}}, and docker's functions (json, join, split,
// lower, upper, title, truncate, pad, println) plus Go's builtins (index,
// len, printf, print, eq, ne, lt, le, gt, ge, and, or, not). Data is JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::cli {

using Json = nlohmann::ordered_json;

// Bounds that keep any template (a typo, or a script's) from crashing the CLI
// by recursion, hanging it or exhausting memory; Go has none of these, and
// no --format people write comes near them. Past one, parse or execute fails.
inline constexpr size_t kTemplateMaxNesting = 100;  // {{if}}/{{with}}/{{range}} blocks, and ( ) in an action
// Per execution: nodes run, range iterations, function calls and the parts
// of arrays they make; bytes of output, and (apart) of strings functions make.
inline constexpr uint64_t kTemplateMaxSteps = 1'000'000;
inline constexpr size_t kTemplateMaxOutput = size_t{16} << 20;

// The per-execution bounds above; a fuzzer or a test may ask for lower ones
// (the engine stops the same way, only sooner).
struct TemplateLimits {
  uint64_t steps = kTemplateMaxSteps;
  size_t output = kTemplateMaxOutput;
};

struct TemplateNode;

class Template {
 public:
  static Result<Template> parse(std::string_view text);
  // header_mode: docker's header functions, which return their first
  // argument untouched, so "table {{json .ID}}" still prints "CONTAINER ID".
  Result<std::string> execute(const Json& data, bool header_mode = false, TemplateLimits limits = {}) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  Template();
  std::unique_ptr<TemplateNode> root_;
};

// Go's %v of a JSON value: strings raw, arrays "[a b]", objects "map[k:v]"
// (keys sorted, as Go prints maps), null "<nil>".
std::string go_print(const Json& value);

}  // namespace berth::cli
