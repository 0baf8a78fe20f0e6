// Platforms of images, and choosing a manifest from an index or manifest list
// as Docker/containerd do (containerd's platforms package: Normalize, and its
// default matcher for linux/amd64 and linux/arm variants).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "image/oci.h"

namespace berth::registry {

struct PlatformSpec {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH: "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"
  std::string variant;       // "v7", "v8", or empty
  bool operator==(const PlatformSpec&) const = default;
};

// "linux/amd64", "linux/arm64/v8", "linux/arm/v7", "amd64", "linux" ...
// normalized: x86_64/x86-64 -> amd64, aarch64 -> arm64, armhf -> arm v7,
// armel -> arm v6, i386/i686 -> 386; arm64's "v8" variant is dropped (it is
// the default), arm without a variant is v7. InvalidArgument names the input.
Result<PlatformSpec> parse_platform(std::string_view text);
PlatformSpec host_platform();
std::string format_platform(const PlatformSpec& p);  // "linux/arm/v7", "linux/amd64"

// Whether an index entry's platform runs on `want` (after normalizing both):
// same os and architecture; for arm a variant up to the wanted one (v7 runs
// v6 and v5); an entry without a variant matches any wanted variant.
bool platform_matches(const image::Platform& entry, const PlatformSpec& want);

// The manifest to pull from an index for `want`: among the entries whose
// platform matches, the best variant (exact first, then the highest lower
// one), the first in index order on a tie. Entries without a platform, and
// attestation manifests (annotation "vnd.docker.reference.type" =
// "attestation-manifest"), are never chosen. NotFound reads like Docker's:
// "no matching manifest for linux/arm64/v8 in the manifest list entries".
Result<image::Descriptor> select_manifest(const image::Index& index, const PlatformSpec& want);

}  // namespace berth::registry
