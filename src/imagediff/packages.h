// The installed packages an image's package database lists: dpkg's
// /var/lib/dpkg/status (and distroless' /var/lib/dpkg/status.d/*), apk's
// /lib/apk/db/installed. The parsers are lenient (a line they cannot read is
// skipped, as dpkg-query would complain and go on) and pure: they are fuzzed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::imagediff {

struct Package {
  std::string name;
  std::string version;
  std::string architecture;
  uint64_t size = 0;  // installed size in bytes (dpkg's Installed-Size is in KiB)
  bool operator==(const Package&) const = default;
};

// Paragraphs of "Field: value" (continuation lines start with a space or a
// tab) separated by blank lines. Only packages whose Status says they are on
// disk (not "not-installed" or "config-files"); a paragraph without a Status
// (status.d files) counts as installed. Sorted by name, then architecture.
std::vector<Package> parse_dpkg_status(std::string_view text);

// "K:value" lines, packages separated by blank lines: P name, V version,
// A architecture, I installed size (bytes). Sorted by name.
std::vector<Package> parse_apk_installed(std::string_view text);

// Keyed by name; a name listed for several architectures (dpkg multi-arch)
// is keyed "name:arch" for each of them.
using PackageIndex = std::map<std::string, Package>;
PackageIndex index_packages(const std::vector<Package>& packages);

}  // namespace berth::imagediff
