// Fuzz target: image references (image/reference.h).
// Checks: parsing arbitrary bytes never crashes; a reference that parses is
// printed (str(), familiar()) as text that parses back to the same reference,
// and its parts obey the rules the parser enforces.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "image/reference.h"

using berth::image::Reference;

namespace {

void check_round_trip(const Reference& r, bool named, std::string_view input) {
  auto parse = [named](std::string_view text) { return named ? Reference::parse_named(text) : Reference::parse(text); };
  for (const std::string& text : {r.str(), r.familiar()}) {
    auto again = parse(text);
    FUZZ_CHECK(again, "'" + std::string(input) + "' printed as '" + text + "' does not parse: " + again.error().str());
    FUZZ_CHECK(*again == r, "'" + std::string(input) + "' printed as '" + text + "' parses to " + again->str());
  }
  // The repository alone (what `docker images` shows) names the same repository.
  auto repo = Reference::parse_named(r.familiar_name());
  FUZZ_CHECK(repo, "familiar name '" + r.familiar_name() + "' of '" + std::string(input) + "' does not parse");
  FUZZ_CHECK(repo->name() == r.name(), "familiar name '" + r.familiar_name() + "' names " + repo->name());
  FUZZ_CHECK(berth::image::valid_domain(r.domain()), "domain " + r.domain());
  FUZZ_CHECK(!r.has_tag() || berth::image::valid_tag(r.tag()), "tag " + r.tag());
  FUZZ_CHECK(named || r.has_tag() || r.has_digest(), "parse gave neither tag nor digest");
  FUZZ_CHECK(r.name().size() <= berth::image::kNameTotalLengthMax, "name too long: " + r.name());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (bool named : {false, true}) {
    auto r = named ? Reference::parse_named(input) : Reference::parse(input);
    if (r) check_round_trip(*r, named, input);
  }
  return 0;
}
