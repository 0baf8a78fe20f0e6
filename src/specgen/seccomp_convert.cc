// Docker's seccomp profile format -> OCI linux.seccomp, as moby's setupSeccomp
// does: pick this architecture from archMap, keep only the rules whose
// includes/excludes match the container's capabilities, this architecture and
// this kernel, and carry the rest over unchanged (the runtime validates
// actions, operators and names when it compiles the profile).
#include <sys/utsname.h>

#include <algorithm>

#include "base/strings.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

using nlohmann::json;

// Docker's names for this architecture: the native one (includes.arches) and libseccomp's.
#if defined(__x86_64__)
constexpr const char kNativeArch[] = "amd64";
constexpr const char kScmpArch[] = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
constexpr const char kNativeArch[] = "arm64";
constexpr const char kScmpArch[] = "SCMP_ARCH_AARCH64";
#elif defined(__riscv) && __riscv_xlen == 64
constexpr const char kNativeArch[] = "riscv64";
constexpr const char kScmpArch[] = "SCMP_ARCH_RISCV64";
#elif defined(__s390x__)
constexpr const char kNativeArch[] = "s390x";
constexpr const char kScmpArch[] = "SCMP_ARCH_S390X";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr const char kNativeArch[] = "ppc64le";
constexpr const char kScmpArch[] = "SCMP_ARCH_PPC64LE";
#else
#error "add this architecture's seccomp names"
#endif

std::unexpected<Error> bad(const std::string& what) {
  return fail(Errc::InvalidArgument, "seccomp profile: " + what);
}

Result<std::vector<std::string>> strings_at(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_array()) return bad(where + "." + key + " must be a list of strings");
  for (const auto& v : obj[key]) {
    if (!v.is_string()) return bad(where + "." + key + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// "4.8", "5.10.0-foo" -> {major, minor}; nullopt when unparseable.
std::optional<std::pair<int, int>> kernel_version(const std::string& text) {
  auto parts = split(text, '.');
  if (parts.size() < 2) return std::nullopt;
  std::string minor;
  for (char c : parts[1]) {
    if (c < '0' || c > '9') break;
    minor += c;
  }
  auto ma = parse_int(parts[0]), mi = parse_int(minor);
  if (!ma || !mi) return std::nullopt;
  return std::pair<int, int>(static_cast<int>(*ma), static_cast<int>(*mi));
}

Result<bool> kernel_at_least(const std::string& min, const std::string& running) {
  auto want = kernel_version(min);
  if (!want) return bad("minKernel \"" + min + "\" is not a kernel version");
  auto have = kernel_version(running);
  if (!have) return bad("cannot compare minKernel with running kernel \"" + running + "\"");
  return *have >= *want;
}

bool non_negative(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Whether the rule applies to this container (moby's Loop filtering).
Result<bool> rule_applies(const json& rule, const std::vector<std::string>& caps,
                          const std::string& kernel, const std::string& where) {
  const json none = json::object();
  const json& inc = rule.is_object() && rule.contains("includes") && rule["includes"].is_object()
                        ? rule["includes"] : none;
  const json& exc = rule.is_object() && rule.contains("excludes") && rule["excludes"].is_object()
                        ? rule["excludes"] : none;
  auto exc_arches = TRY(strings_at(exc, "arches", where + ".excludes"));
  if (contains(exc_arches, kNativeArch)) return false;
  for (const auto& c : TRY(strings_at(exc, "caps", where + ".excludes")))
    if (contains(caps, c)) return false;
  if (exc.contains("minKernel") && exc["minKernel"].is_string() &&
      !exc["minKernel"].get<std::string>().empty() &&
      TRY(kernel_at_least(exc["minKernel"].get<std::string>(), kernel)))
    return false;
  auto inc_arches = TRY(strings_at(inc, "arches", where + ".includes"));
  if (!inc_arches.empty() && !contains(inc_arches, kNativeArch)) return false;
  for (const auto& c : TRY(strings_at(inc, "caps", where + ".includes")))
    if (!contains(caps, c)) return false;
  if (inc.contains("minKernel") && inc["minKernel"].is_string() &&
      !inc["minKernel"].get<std::string>().empty() &&
      !TRY(kernel_at_least(inc["minKernel"].get<std::string>(), kernel)))
    return false;
  return true;
}

}  // namespace

Result<json> seccomp_profile_to_oci(const json& profile, const std::vector<std::string>& caps,
                                    const std::string& kernel_release) {
  if (!profile.is_object()) return bad("expected a JSON object");
  std::string kernel = kernel_release;
  if (kernel.empty()) {
    struct utsname u {};
    if (::uname(&u) == 0) kernel = u.release;
  }
  const json empty = json::array();
  const json& syscalls = profile.contains("syscalls") && !profile["syscalls"].is_null()
                             ? profile["syscalls"] : empty;
  if (!syscalls.is_array()) return bad("syscalls must be a list");
  std::string default_action;
  if (profile.contains("defaultAction") && !profile["defaultAction"].is_null()) {
    if (!profile["defaultAction"].is_string()) return bad("defaultAction must be a string");
    default_action = profile["defaultAction"].get<std::string>();
  }
  // No default action and no rules: seccomp disabled.
  if (default_action.empty() && syscalls.empty()) return json();
  if (default_action.empty()) return bad("defaultAction is required");

  json out = json::object();
  out["defaultAction"] = default_action;
  if (profile.contains("defaultErrnoRet") && !profile["defaultErrnoRet"].is_null()) {
    if (!non_negative(profile["defaultErrnoRet"])) return bad("defaultErrnoRet must be a non-negative integer");
    out["defaultErrnoRet"] = profile["defaultErrnoRet"];
  }

  auto arches = TRY(strings_at(profile, "architectures", "profile"));
  bool has_map = profile.contains("archMap") && !profile["archMap"].is_null() &&
                 !(profile["archMap"].is_array() && profile["archMap"].empty());
  if (!arches.empty() && has_map)
    return bad("'architectures' and 'archMap' were specified in the seccomp profile, use either "
               "'architectures' or 'archMap'");
  if (has_map) {
    if (!profile["archMap"].is_array()) return bad("archMap must be a list");
    for (const auto& entry : profile["archMap"]) {
      if (!entry.is_object() || !entry.contains("architecture") || !entry["architecture"].is_string())
        return bad("archMap entries need an architecture");
      if (entry["architecture"] != kScmpArch) continue;
      arches.push_back(kScmpArch);
      for (const auto& s : TRY(strings_at(entry, "subArchitectures", "archMap")))
        arches.push_back(s);
      break;
    }
  }
  if (!arches.empty()) out["architectures"] = arches;
  for (const char* key : {"flags"})
    if (profile.contains(key) && !profile[key].is_null()) out[key] = TRY(strings_at(profile, key, "profile"));
  for (const char* key : {"listenerPath", "listenerMetadata"})
    if (profile.contains(key) && profile[key].is_string() && !profile[key].get<std::string>().empty())
      out[key] = profile[key];

  json rules = json::array();
  for (size_t i = 0; i < syscalls.size(); ++i) {
    const json& rule = syscalls[i];
    std::string where = "syscalls[" + std::to_string(i) + "]";
    if (!rule.is_object()) return bad(where + " must be an object");
    if (!TRY(rule_applies(rule, caps, kernel, where))) continue;
    std::vector<std::string> names = TRY(strings_at(rule, "names", where));
    bool has_name = rule.contains("name") && rule["name"].is_string() && !rule["name"].get<std::string>().empty();
    if (has_name && !names.empty())
      return bad("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    if (has_name) names.push_back(rule["name"].get<std::string>());
    if (names.empty()) return bad(where + " names no syscall");
    if (!rule.contains("action") || !rule["action"].is_string()) return bad(where + ".action must be a string");
    json r = {{"names", names}, {"action", rule["action"]}};
    if (rule.contains("errnoRet") && !rule["errnoRet"].is_null()) {
      if (!non_negative(rule["errnoRet"])) return bad(where + ".errnoRet must be a non-negative integer");
      r["errnoRet"] = rule["errnoRet"];
    }
    if (rule.contains("args") && !rule["args"].is_null()) {
      if (!rule["args"].is_array()) return bad(where + ".args must be a list");
      json args = json::array();
      for (const auto& a : rule["args"]) {
        if (!a.is_object() || !a.contains("op") || !a["op"].is_string())
          return bad(where + ".args entries need an op");
        json arg = {{"index", a.value("index", json(0))},
                    {"value", a.value("value", json(0))},
                    {"op", a["op"]}};
        if (a.contains("valueTwo") && !a["valueTwo"].is_null()) arg["valueTwo"] = a["valueTwo"];
        for (const char* k : {"index", "value", "valueTwo"})
          if (arg.contains(k) && !non_negative(arg[k]))
            return bad(where + ".args." + k + " must be a non-negative integer");
        args.push_back(std::move(arg));
      }
      if (!args.empty()) r["args"] = std::move(args);
    }
    rules.push_back(std::move(r));
  }
  if (!rules.empty()) out["syscalls"] = std::move(rules);
  return out;
}

}  // namespace berth::specgen
