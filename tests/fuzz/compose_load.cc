// Fuzz target: Compose files (anyone's, cloned with a project) through the
// whole loader. The input is compose.yaml, then after a NUL an override file,
// then after another NUL a .env; all are served from memory.
// Checks: no crash, throw or unbounded recursion; loading is deterministic;
// errors are InvalidArgument, NotFound or Unsupported; what loads renders
// as YAML that parses back to the same document as the JSON rendering, and
// its start levels hold every service once.
#include <cstdint>
#include <map>
#include <string>

#include "compose/loader.h"
#include "compose/fields.h"
#include "compose/order.h"
#include "compose/render.h"
#include "compose/tree.h"
#include "fuzz_check.h"

using namespace berth;
using namespace berth::compose;

namespace {

class MemoryReader : public FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return fail(Errc::NotFound, "open " + path + ": no such file or directory");
    return it->second;
  }
  bool exists(const std::string& path) const override { return files.contains(path); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  MemoryReader reader;
  size_t a = in.find('\0');
  reader.files["/proj/compose.yaml"] = std::string(in.substr(0, a));
  if (a != std::string_view::npos) {
    std::string_view rest = in.substr(a + 1);
    size_t b = rest.find('\0');
    reader.files["/proj/compose.override.yaml"] = std::string(rest.substr(0, b));
    if (b != std::string_view::npos) reader.files["/proj/.env"] = std::string(rest.substr(b + 1));
  }
  LoadOptions o;
  o.working_directory = "/proj";
  o.home = "/home/fuzz";
  o.environment = {{"SET", "value"}, {"EMPTY", ""}};
  o.reader = &reader;
  auto p1 = load_project(o);
  auto p2 = load_project(o);
  FUZZ_CHECK(p1.has_value() == p2.has_value(), "load is not deterministic");
  if (!p1) {
    FUZZ_CHECK(p1.error().message == p2.error().message, "error is not deterministic");
    Errc c = p1.error().code;
    FUZZ_CHECK(c == Errc::InvalidArgument || c == Errc::NotFound || c == Errc::Unsupported,
               "unexpected error kind: " + p1.error().message);
    return 0;
  }
  std::string yaml = render_yaml(*p1);
  FUZZ_CHECK(yaml == render_yaml(*p2), "rendering is not deterministic");
  std::string json = render_json(*p1);
  auto back = parse_yaml(yaml, "rendered");
  FUZZ_CHECK(back.has_value(), "rendered YAML does not parse: " + (back ? "" : back.error().message) + "\n" + yaml);
  nlohmann::json from_yaml = to_json(*back);
  // Text that is not UTF-8 comes out of the JSON rendering replaced (as Go's
  // encoder does), so the two renderings are compared only for valid text.
  bool utf8 = true;
  try {
    (void)project_to_json(*p1).dump();
  } catch (const nlohmann::json::exception&) {
    utf8 = false;
  }
  nlohmann::json from_json = nlohmann::json::parse(json, nullptr, false);
  if (utf8 && !from_json.is_discarded()) {
    FUZZ_CHECK(from_yaml == from_json, "YAML and JSON renderings differ:\n" + yaml + "\n" + json);
  }
  auto levels = start_levels(*p1);
  FUZZ_CHECK(levels.has_value(), "a validated project has a dependency cycle");
  size_t n = 0;
  for (const auto& level : *levels) n += level.size();
  FUZZ_CHECK(n == p1->services.size(), "start levels lose or repeat services");
  return 0;
}
