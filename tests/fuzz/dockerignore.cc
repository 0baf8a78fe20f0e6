// Fuzz target: a .dockerignore (a file of the build context: anyone's) read
// by build::IgnorePatterns, then matched against paths. The input is the
// .dockerignore text, a NUL, then '\n'-separated paths to test.
// Checks: nothing crashes or loops; parse is deterministic; a path whose
// directory can_skip_dir() says may be skipped is excluded itself (a walker
// that skips the directory must not lose a path the patterns keep).
#include <cstdint>
#include <string>
#include <vector>

#include "base/strings.h"
#include "build/ignore.h"
#include "fuzz_check.h"

using namespace berth;
using namespace berth::build;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nul = in.find('\0');
  std::string_view text = in.substr(0, nul);
  std::string_view paths = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  auto a = IgnorePatterns::parse(text);
  auto b = IgnorePatterns::parse(text);
  FUZZ_CHECK(a.has_value() == b.has_value(), "parse is not deterministic");
  if (!a) {
    FUZZ_CHECK(a.error().code == Errc::InvalidArgument, "a bad .dockerignore is not InvalidArgument");
    return 0;
  }
  for (const auto& p : split(paths, '\n', true)) {
    if (p.empty() || p.size() > 512) continue;
    bool excluded = a->excluded(p);
    FUZZ_CHECK(excluded == b->excluded(p), "excluded() is not deterministic");
    // Every ancestor directory the walker may skip must be one whose contents are all excluded.
    for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      std::string dir = p.substr(0, slash);
      if (a->excluded(dir) && a->can_skip_dir(dir)) FUZZ_CHECK(excluded, "can_skip_dir skips a kept path");
    }
  }
  return 0;
}
