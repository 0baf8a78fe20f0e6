// Platform specifiers (containerd's Normalize) and choosing a manifest from a
// multi-platform index as Docker does.
#include "registry/platform.h"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::registry;

namespace {

PlatformSpec parsed(std::string_view text) {
  auto p = parse_platform(text);
  EXPECT_TRUE(p) << text << ": " << p.error().str();
  return p ? *p : PlatformSpec{};
}

TEST(Platform, ParsesAndNormalizes) {
  struct Case {
    const char* input;
    PlatformSpec want;
  };
  const Case cases[] = {
      {"linux/amd64", {"linux", "amd64", ""}},
      {"amd64", {"linux", "amd64", ""}},
      {"linux/arm64/v8", {"linux", "arm64", ""}},
      {"linux/arm64", {"linux", "arm64", ""}},
      {"linux/arm64/v9.0", {"linux", "arm64", "v9"}},
      {"linux/arm", {"linux", "arm", "v7"}},
      {"linux/arm/7", {"linux", "arm", "v7"}},
      {"linux/arm/v6", {"linux", "arm", "v6"}},
      {"linux/arm/5", {"linux", "arm", "v5"}},
      {"arm", {"linux", "arm", "v7"}},
      {"x86_64", {"linux", "amd64", ""}},
      {"linux/x86-64", {"linux", "amd64", ""}},
      {"linux/amd64/v1", {"linux", "amd64", ""}},
      {"linux/amd64/v3", {"linux", "amd64", "v3"}},
      {"aarch64", {"linux", "arm64", ""}},
      {"armhf", {"linux", "arm", "v7"}},
      {"armel", {"linux", "arm", "v6"}},
      {"i386", {"linux", "386", ""}},
      {"linux/i686", {"linux", "386", ""}},
      {"s390x", {"linux", "s390x", ""}},
      {"LINUX/AMD64", {"linux", "amd64", ""}},
      {"Linux/ARM/V6", {"linux", "arm", "v6"}},
      {"windows/amd64", {"windows", "amd64", ""}},
      {"macos/arm64", {"darwin", "arm64", ""}},
      {"linux/mycpu", {"linux", "mycpu", ""}},  // os/arch pairs are taken as given
  };
  for (const auto& c : cases) EXPECT_EQ(parsed(c.input), c.want) << c.input;
}

TEST(Platform, OsAloneTakesTheHostArchitecture) {
  PlatformSpec host = host_platform();
  EXPECT_EQ(parsed("linux"), host);
  EXPECT_EQ(parsed("windows"), (PlatformSpec{"windows", host.architecture, host.variant}));
}

TEST(Platform, RejectsBadSpecifiersNamingThem) {
  for (const char* bad : {"", "linux/amd64/v1/x", "linux/", "/amd64", "linux//v7", "linux/amd 64", "linux/amd64/",
                          "nosuchthing", "linux/arm:v7", "a/b/c/d/e"}) {
    auto p = parse_platform(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Errc::InvalidArgument) << bad;
    EXPECT_NE(p.error().message.find("'" + std::string(bad) + "'"), std::string::npos) << p.error().message;
  }
}

TEST(Platform, HostIsTheBuildTarget) {
#if defined(__x86_64__)
  EXPECT_EQ(host_platform(), (PlatformSpec{"linux", "amd64", ""}));
  EXPECT_EQ(format_platform(host_platform()), "linux/amd64");
#else
  GTEST_SKIP() << "expectation written for x86_64";
#endif
}

TEST(Platform, Formats) {
  EXPECT_EQ(format_platform({"linux", "arm", "v7"}), "linux/arm/v7");
  EXPECT_EQ(format_platform({"linux", "amd64", ""}), "linux/amd64");
  for (const char* s : {"linux/arm/v6", "linux/arm64", "linux/386", "windows/amd64"})
    EXPECT_EQ(format_platform(parsed(s)), s);
}

image::Platform entry(std::string os, std::string arch, std::string variant = "") {
  image::Platform p;
  p.os = std::move(os);
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  return p;
}

TEST(Platform, Matches) {
  const PlatformSpec amd64{"linux", "amd64", ""}, arm64{"linux", "arm64", ""};
  const PlatformSpec v7{"linux", "arm", "v7"}, v6{"linux", "arm", "v6"};
  EXPECT_TRUE(platform_matches(entry("linux", "amd64"), amd64));
  EXPECT_TRUE(platform_matches(entry("Linux", "x86_64"), amd64));
  EXPECT_FALSE(platform_matches(entry("windows", "amd64"), amd64));
  EXPECT_FALSE(platform_matches(entry("linux", "arm64"), amd64));
  EXPECT_FALSE(platform_matches(entry("linux", "386"), amd64));
  EXPECT_TRUE(platform_matches(entry("linux", "arm64", "v8"), arm64));
  EXPECT_TRUE(platform_matches(entry("linux", "arm64"), PlatformSpec{"linux", "arm64", "v8"}));
  EXPECT_FALSE(platform_matches(entry("linux", "arm", "v7"), arm64));
  // arm: a variant up to the wanted one; no variant means v7.
  EXPECT_TRUE(platform_matches(entry("linux", "arm", "v7"), v7));
  EXPECT_TRUE(platform_matches(entry("linux", "arm", "v6"), v7));
  EXPECT_TRUE(platform_matches(entry("linux", "arm", "v5"), v7));
  EXPECT_FALSE(platform_matches(entry("linux", "arm", "v7"), v6));
  EXPECT_TRUE(platform_matches(entry("linux", "arm"), v7));
  EXPECT_FALSE(platform_matches(entry("linux", "arm"), v6));
  EXPECT_TRUE(platform_matches(entry("linux", "arm", "v7"), PlatformSpec{"linux", "arm", ""}));
  // Elsewhere an entry without a variant runs anywhere; a variant must be exact.
  EXPECT_TRUE(platform_matches(entry("linux", "amd64"), PlatformSpec{"linux", "amd64", "v3"}));
  EXPECT_FALSE(platform_matches(entry("linux", "amd64", "v3"), amd64));
  EXPECT_FALSE(platform_matches(entry("", ""), amd64));
}

image::Descriptor manifest(std::string name, std::optional<image::Platform> platform) {
  image::Descriptor d;
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  d.digest = content::sha256(name);
  d.size = 1000;
  d.platform = std::move(platform);
  return d;
}

image::Index multi_arch() {
  image::Index idx;
  idx.media_type = "application/vnd.oci.image.index.v1+json";
  idx.manifests.push_back(manifest("amd64", entry("linux", "amd64")));
  idx.manifests.push_back(manifest("arm64", entry("linux", "arm64", "v8")));
  idx.manifests.push_back(manifest("armv6", entry("linux", "arm", "v6")));
  idx.manifests.push_back(manifest("armv7", entry("linux", "arm", "v7")));
  auto att = manifest("attestation", entry("unknown", "unknown"));
  att.annotations["vnd.docker.reference.type"] = "attestation-manifest";
  att.annotations["vnd.docker.reference.digest"] = content::sha256("amd64").str();
  idx.manifests.push_back(att);
  return idx;
}

// Which manifest (by the name its digest was made from) is chosen.
std::string chosen(const image::Index& idx, const PlatformSpec& want) {
  auto d = select_manifest(idx, want);
  if (!d) return "error: " + d.error().message;
  for (const char* n : {"amd64", "amd64-2", "amd64v2", "arm64", "armv5", "armv6", "armv7", "attestation", "bare"})
    if (d->digest == content::sha256(n)) return n;
  return "?";
}

TEST(SelectManifest, PicksTheWantedPlatform) {
  auto idx = multi_arch();
  EXPECT_EQ(chosen(idx, {"linux", "amd64", ""}), "amd64");
  EXPECT_EQ(chosen(idx, {"linux", "arm64", ""}), "arm64");
  EXPECT_EQ(chosen(idx, {"linux", "arm64", "v8"}), "arm64");
  EXPECT_EQ(chosen(idx, {"linux", "arm", "v7"}), "armv7");  // exact, though v6 comes first
  EXPECT_EQ(chosen(idx, {"linux", "arm", "v6"}), "armv6");
  EXPECT_EQ(chosen(idx, {"linux", "arm", ""}), "armv7");
  EXPECT_EQ(chosen(idx, {"linux", "arm", "v8"}), "armv7");  // the highest lower variant
  EXPECT_EQ(chosen(idx, parsed("linux/arm/v7")), "armv7");
  EXPECT_EQ(chosen(idx, parsed("armhf")), "armv7");
  EXPECT_EQ(chosen(idx, parsed("armel")), "armv6");
}

TEST(SelectManifest, NoMatchReadsLikeDocker) {
  auto idx = multi_arch();
  auto d = select_manifest(idx, {"linux", "s390x", ""});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::NotFound);
  EXPECT_EQ(d.error().message, "no matching manifest for linux/s390x in the manifest list entries");
  // The platform as the caller named it (Docker's default spec on arm64 hosts carries v8).
  idx.manifests.erase(idx.manifests.begin() + 1);
  d = select_manifest(idx, {"linux", "arm64", "v8"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "no matching manifest for linux/arm64/v8 in the manifest list entries");
  EXPECT_EQ(chosen(idx, {"linux", "arm", "v5"}), "error: no matching manifest for linux/arm/v5 in the manifest list entries");
  EXPECT_EQ(chosen(idx, {"windows", "amd64", ""}),
            "error: no matching manifest for windows/amd64 in the manifest list entries");
  EXPECT_FALSE(select_manifest(image::Index{}, {"linux", "amd64", ""}));
}

TEST(SelectManifest, NeverAttestationsOrEntriesWithoutPlatform) {
  image::Index idx;
  auto att = manifest("attestation", entry("linux", "amd64"));  // even one claiming a real platform
  att.annotations["vnd.docker.reference.type"] = "attestation-manifest";
  idx.manifests.push_back(att);
  idx.manifests.push_back(manifest("bare", std::nullopt));
  EXPECT_FALSE(select_manifest(idx, {"linux", "amd64", ""}));
  idx.manifests.push_back(manifest("amd64", entry("linux", "amd64")));
  EXPECT_EQ(chosen(idx, {"linux", "amd64", ""}), "amd64");
}

TEST(SelectManifest, BestVariantThenIndexOrder) {
  image::Index idx;
  idx.manifests.push_back(manifest("armv5", entry("linux", "arm", "v5")));
  idx.manifests.push_back(manifest("armv6", entry("linux", "arm", "v6")));
  EXPECT_EQ(chosen(idx, {"linux", "arm", "v7"}), "armv6");

  image::Index tie;
  tie.manifests.push_back(manifest("amd64", entry("linux", "amd64")));
  tie.manifests.push_back(manifest("amd64-2", entry("linux", "x86_64")));
  EXPECT_EQ(chosen(tie, {"linux", "amd64", ""}), "amd64");

  // An exact variant beats an entry that runs anywhere, wherever it stands.
  image::Index v;
  v.manifests.push_back(manifest("amd64", entry("linux", "amd64")));
  v.manifests.push_back(manifest("amd64v2", entry("linux", "amd64", "v2")));
  EXPECT_EQ(chosen(v, {"linux", "amd64", "v2"}), "amd64v2");
  EXPECT_EQ(chosen(v, {"linux", "amd64", "v3"}), "amd64");
}

}  // namespace
