// Fuzz target: the package databases `berth image diff --type=apt|apk`
// reads out of image layers (src/imagediff/packages): dpkg's status file and
// status.d entries, apk's installed database, as a hostile image may carry them.
// Checks: nothing crashes, throws or loops; every package listed has a name;
// no field carries a control character (they end up in tables and JSON); the
// lists come out sorted; dpkg sizes are whole KiB; the index keeps one entry
// per name or name:arch, and never more entries than packages.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "imagediff/packages.h"

using namespace berth::imagediff;

namespace {

bool clean(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

void check(const std::vector<Package>& list, bool dpkg) {
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& p = list[i];
    FUZZ_CHECK(!p.name.empty(), "a package without a name");
    FUZZ_CHECK(clean(p.name) && clean(p.version) && clean(p.architecture), "a control character in " + p.name);
    if (dpkg) FUZZ_CHECK(p.size % 1024 == 0, "a dpkg size that is not whole KiB");
    if (i > 0) {
      const auto& q = list[i - 1];
      FUZZ_CHECK(q.name < p.name || (q.name == p.name && q.architecture <= p.architecture), "not sorted at " + p.name);
    }
  }
  auto index = index_packages(list);
  FUZZ_CHECK(index.size() <= list.size(), "more index entries than packages");
  FUZZ_CHECK(list.empty() || !index.empty(), "packages lost by the index");
  for (const auto& [key, p] : index)
    FUZZ_CHECK(key == p.name || key == p.name + ":" + p.architecture, "key " + key + " for " + p.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  check(parse_dpkg_status(input), true);
  check(parse_apk_installed(input), false);
  return 0;
}
