// Fuzz target: OCI/Docker image config, manifest, index and descriptor JSON
// (image/oci.h). Every input goes to all four parsers.
// Checks: no parser crashes or throws; whatever parses serializes to text that
// parses back to an equal value, and serializing that gives the same bytes.
// "Equal" leaves out the order of the keys berth keeps unmodelled (`extra`):
// serializing puts them in Docker's order, so only a canonical input keeps it.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "image/oci.h"

namespace {

using berth::image::ImageConfig;
using OrderedJson = nlohmann::ordered_json;

OrderedJson sorted(const OrderedJson& j) {
  auto text = j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  return OrderedJson::parse(nlohmann::json::parse(text).dump());  // nlohmann::json keeps keys sorted
}

ImageConfig comparable(ImageConfig c) {
  c.extra = sorted(c.extra);
  if (c.config) c.config->extra = sorted(c.config->extra);
  return c;
}
template <class T>
const T& comparable(const T& v) {
  return v;
}

template <class Parse>
void round_trip(std::string_view input, Parse parse, const char* what) {
  auto value = parse(input);
  if (!value) return;
  std::string text = berth::image::serialize(*value);
  auto again = parse(text);
  FUZZ_CHECK(again, std::string(what) + " serialized as " + text + " does not parse: " + again.error().str());
  FUZZ_CHECK(comparable(*again) == comparable(*value), std::string(what) + " changes in a round trip through " + text);
  FUZZ_CHECK(berth::image::serialize(*again) == text,
             std::string(what) + " serializes differently the second time: " + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  round_trip(input, berth::image::parse_image_config, "image config");
  round_trip(input, berth::image::parse_manifest, "manifest");
  round_trip(input, berth::image::parse_index, "index");
  round_trip(input, berth::image::parse_descriptor, "descriptor");
  return 0;
}
