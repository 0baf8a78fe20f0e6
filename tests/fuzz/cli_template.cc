// Fuzz target: the Go-template subset of the CLI's --format (cli/template.h):
// a fuzzed template is parsed and, when it parses, executed against a fixed
// document shaped like `docker inspect` output (or null), normally or in
// header mode.
// Checks: no crash, throw, hang (libFuzzer's -timeout) or unbounded recursion
// (ASan's stack overflow report), whatever the nesting or loop counts.
// Executions run with lower step and output bounds than the CLI's: the same
// code stops them, but an input that reaches a bound takes well under a
// second under ASan (the CLI's 1M steps took up to 7 s, past -timeout on a
// loaded CI machine).
#include <cstdint>
#include <string_view>

#include "cli/template.h"
#include "fuzz_check.h"

using berth::cli::Json;
using berth::cli::Template;

namespace {

const Json& document() {
  static const Json doc = Json::parse(R"({
    "ID": "4f1c2d3e5a6b", "Names": ["/web", "/alias"], "Image": "busybox:latest", "Size": 0,
    "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0, "Health": null},
    "Config": {"Env": ["PATH=/usr/bin", "A=b c"], "Cmd": ["sh", "-c", "echo <hi> & bye"],
               "Labels": {"com.example.v": "1.0", "empty": ""}, "ExposedPorts": {"80/tcp": {}}},
    "HostConfig": {"Memory": 536870912, "NanoCpus": 1.5e9, "CpuShares": -1, "Big": 18446744073709551615,
                   "Ratio": 0.25, "Binds": null, "Tiny": 1e-300, "Huge": 1e300},
    "Mounts": [{"Type": "bind", "Source": "/a", "Destination": "/b", "RW": false}, {}],
    "Nested": [[1, 2, [3, {"k": [true, false, null]}]], "x", 2.5, {"": "empty key"}],
    "Unicode": "h\u00e9llo \ud83d\ude00"
  })");
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = Template::parse(text);
  if (!t) return 0;
  // One execution per input: normal, header mode, or against a null document.
  const berth::cli::TemplateLimits limits{.steps = 100'000, .output = size_t{1} << 20};
  switch (size % 3) {
    case 0: (void)t->execute(document(), false, limits); break;
    case 1: (void)t->execute(document(), true, limits); break;
    default: (void)t->execute(Json(), false, limits); break;
  }
  return 0;
}
