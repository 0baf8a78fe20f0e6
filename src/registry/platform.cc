#include "registry/platform.h"

#include <string>
#include <vector>

#include "base/strings.h"

namespace berth::registry {
namespace {

std::string normalize_os(std::string_view os) {
  std::string o = ascii_lower(os);
  return o == "macos" ? "darwin" : o;
}

// containerd's normalizeArch, plus i686 -> 386.
void normalize_arch(std::string& arch, std::string& variant) {
  arch = ascii_lower(arch);
  variant = ascii_lower(variant);
  if (arch == "i386" || arch == "i686") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") variant.clear();
    if (variant == "9" || variant == "9.0" || variant == "v9.0") variant = "v9";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") variant = "v7";
    if (variant == "5" || variant == "6" || variant == "8") variant = "v" + variant;
  }
}

PlatformSpec normalized(std::string_view os, std::string_view arch, std::string_view variant) {
  PlatformSpec p{normalize_os(os), std::string(arch), std::string(variant)};
  normalize_arch(p.architecture, p.variant);
  return p;
}

bool known_os(const std::string& os) {
  for (const char* k : {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
                        "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos"})
    if (os == k) return true;
  return false;
}

bool known_arch(const std::string& arch) {
  for (const char* k : {"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64",
                        "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64",
                        "s390", "s390x", "sparc", "sparc64", "wasm"})
    if (arch == k) return true;
  return false;
}

// containerd's component syntax: [A-Za-z0-9_.-]+.
bool valid_component(std::string_view c) {
  if (c.empty()) return false;
  for (char ch : c) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// "v7" -> 7; -1 when the variant is not of that form.
int arm_level(const std::string& variant) {
  if (variant.size() != 2 || variant[0] != 'v' || variant[1] < '0' || variant[1] > '9') return -1;
  return variant[1] - '0';
}

constexpr int kExact = 1000;

// How well an entry suits `want` (both normalized): -1 no match, kExact for
// the same variant, else lower is worse (an older arm variant, or no variant).
int match_rank(const PlatformSpec& entry, const PlatformSpec& want) {
  if (entry.os != want.os || entry.architecture != want.architecture) return -1;
  if (entry.variant == want.variant) return kExact;
  if (entry.variant.empty()) return 0;
  if (want.architecture == "arm") {
    int have = arm_level(entry.variant), need = arm_level(want.variant);
    if (have >= 0 && need >= 0 && have < need) return 1 + have;
  }
  return -1;
}

}  // namespace

Result<PlatformSpec> parse_platform(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return fail(Errc::InvalidArgument, "invalid platform '" + std::string(text) + "': " + why);
  };
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() > 3) return invalid("expected os[/arch[/variant]]");
  for (auto p : parts)
    if (!valid_component(p)) return invalid("each part must be letters, digits, '_', '.' or '-'");
  if (parts.size() == 1) {
    // One word: an OS (the host's architecture), else an architecture (the host's OS).
    PlatformSpec host = host_platform();
    std::string os = normalize_os(parts[0]);
    if (known_os(os)) return PlatformSpec{os, host.architecture, host.variant};
    PlatformSpec p = normalized(host.os, parts[0], "");
    if (!known_arch(p.architecture)) return invalid("unknown operating system or architecture");
    return p;
  }
  return normalized(parts[0], parts[1], parts.size() == 3 ? parts[2] : std::string_view());
}

PlatformSpec host_platform() {
  // The architecture this binary was built for, as Go's runtime.GOARCH is.
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", ""};
#elif defined(__arm__) && defined(__ARM_ARCH)
  return {"linux", "arm", "v" + std::to_string(__ARM_ARCH < 5 ? 5 : (__ARM_ARCH > 8 ? 8 : __ARM_ARCH))};
#elif defined(__i386__)
  return {"linux", "386", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", ""};
#else
#error "host_platform: unknown architecture"
#endif
}

std::string format_platform(const PlatformSpec& p) {
  std::string s = p.os + "/" + p.architecture;
  if (!p.variant.empty()) s += "/" + p.variant;
  return s;
}

bool platform_matches(const image::Platform& entry, const PlatformSpec& want) {
  return match_rank(normalized(entry.os, entry.architecture, entry.variant),
                    normalized(want.os, want.architecture, want.variant)) >= 0;
}

Result<image::Descriptor> select_manifest(const image::Index& index, const PlatformSpec& want) {
  PlatformSpec w = normalized(want.os, want.architecture, want.variant);
  const image::Descriptor* best = nullptr;
  int best_rank = -1;
  for (const auto& d : index.manifests) {
    if (!d.platform) continue;
    auto type = d.annotations.find("vnd.docker.reference.type");
    if (type != d.annotations.end() && type->second == "attestation-manifest") continue;
    int rank = match_rank(normalized(d.platform->os, d.platform->architecture, d.platform->variant), w);
    if (rank > best_rank) {  // strictly better: the first wins a tie
      best = &d;
      best_rank = rank;
    }
  }
  if (!best)
    return fail(Errc::NotFound,
                "no matching manifest for " + format_platform(want) + " in the manifest list entries");
  return *best;
}

}  // namespace berth::registry
