// The checks of moby's instructions package (ParseInstruction and BFlags):
// argument counts, the flags each keyword takes, HEALTHCHECK's values, in the
// order and words of Docker's legacy builder.
#include <cstdint>
#include <set>
#include <string>

#include "base/go_time.h"
#include "build/dockerfile_node.h"
#include "build/go_text.h"

namespace berth::build::detail {
namespace {

Result<void> error(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

struct FlagSpec {
  std::string_view name;
  bool repeatable = false;  // BFlags' stringsType
};

// BFlags.Parse: every flag known, given once (unless repeatable), with a value.
Result<void> check_flags(const Node& node, std::initializer_list<FlagSpec> allowed) {
  std::set<std::string, std::less<>> seen;
  for (const auto& word : node.flag_words) {
    std::string_view arg = std::string_view(word).substr(2);
    auto eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    const FlagSpec* spec = nullptr;
    for (const auto& f : allowed)
      if (f.name == name) spec = &f;
    if (!spec) return error("Unknown flag: " + std::string(name));
    if (!seen.emplace(name).second && !spec->repeatable) return error("Duplicate flag specified: " + std::string(name));
    if (eq == std::string_view::npos) return error("Missing a value on flag: " + std::string(name));
  }
  return {};
}

std::string_view flag_value(const Node& node, std::string_view name) {
  for (const auto& word : node.flag_words) {
    std::string_view arg = std::string_view(word).substr(2);
    auto eq = arg.find('=');
    if (eq != std::string_view::npos && arg.substr(0, eq) == name) return arg.substr(eq + 1);
  }
  return {};
}

Result<void> at_least_one(const Node& node, std::string_view keyword) {
  if (node.args.empty()) return error(std::string(keyword) + " requires at least one argument");
  return {};
}

Result<void> exactly_one(const Node& node, std::string_view keyword) {
  if (node.args.size() != 1) return error(std::string(keyword) + " requires exactly one argument");
  return {};
}

Result<void> sources_and_dest(const Node& node, std::string_view keyword) {
  if (node.args.size() < 2) {
    return error(std::string(keyword) +
                 " requires at least two arguments, but only one was provided. Destination could not be determined.");
  }
  return {};
}

// parseKvps (ENV, LABEL).
Result<void> key_values(const Node& node, std::string_view keyword) {
  TRYV(at_least_one(node, keyword));
  for (size_t i = 0; i < node.args.size(); i += 2)
    if (node.args[i].empty()) return error(std::string(keyword) + " names can not be blank");
  return {};
}

// parseBuildStageName.
Result<void> check_from(const Node& node) {
  const auto& a = node.args;
  if (a.size() == 3 && (a[1] == "as" || a[1] == "AS" || a[1] == "As" || a[1] == "aS")) {
    std::string name = lower_keyword(a[2]);
    bool ok = !name.empty() && name[0] >= 'a' && name[0] <= 'z';
    for (char c : name)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    if (!ok) {
      return error("invalid name for build stage: " + gotext::quote(a[2]) +
                   ", name can't start with a number or contain symbols");
    }
  } else if (a.size() != 1) {
    return error("FROM requires either one or three arguments");
  }
  return check_flags(node, {{"platform"}});
}

Result<void> check_onbuild(const Node& node) {
  if (!node.child) return error("ONBUILD requires at least one argument");
  TRYV(check_flags(node, {}));
  std::string trigger = upper_ascii(node.child->cmd);
  if (trigger == "ONBUILD") return error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "MAINTAINER" || trigger == "FROM") return error(trigger + " isn't allowed as an ONBUILD trigger");
  return {};
}

// parseOptInterval: a Go duration of at least 1ms (container.MinimumDuration).
Result<void> check_interval(const Node& node, std::string_view name) {
  std::string_view value = flag_value(node, name);
  if (value.empty()) return {};
  auto ns = go::parse_duration(value);
  if (!ns) return error(ns.error().message);
  if (*ns < 1000000) return error("Interval " + gotext::quote(name) + " cannot be less than 1ms");
  return {};
}

// strconv.ParseInt(s, 10, 32) and its error text.
Result<void> check_retries(const Node& node) {
  std::string_view value = flag_value(node, "retries");
  if (value.empty()) return {};
  std::string_view digits = value;
  bool negative = false;
  if (digits[0] == '+' || digits[0] == '-') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  const std::string prefix = "strconv.ParseInt: parsing " + gotext::quote(value) + ": ";
  if (digits.empty()) return error(prefix + "invalid syntax");
  int64_t n = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return error(prefix + "invalid syntax");
    if (n <= INT64_C(1) << 32) n = n * 10 + (c - '0');
    else overflow = true;
  }
  if (negative) n = -n;
  if (overflow || n > INT32_MAX || n < INT32_MIN) return error(prefix + "value out of range");
  if (n < 1) return error("--retries must be at least 1 (not " + std::to_string(n) + ")");
  return {};
}

Result<void> check_healthcheck(const Node& node) {
  TRYV(at_least_one(node, "HEALTHCHECK"));
  std::string type = upper_ascii(node.args[0]);
  if (type == "NONE") {
    if (node.args.size() != 1) return error("HEALTHCHECK NONE takes no arguments");
    return {};  // Docker reads no flags for NONE
  }
  TRYV(check_flags(node, {{"interval"}, {"timeout"}, {"start-period"}, {"start-interval"}, {"retries"}}));
  if (type != "CMD") return error("Unknown type " + gotext::quote(type) + " in HEALTHCHECK (try CMD)");
  if (node.args.size() < 2) return error("Missing command after HEALTHCHECK CMD");
  for (std::string_view name : {"interval", "timeout", "start-period", "start-interval"})
    TRYV(check_interval(node, name));
  return check_retries(node);
}

Result<void> check_volume(const Node& node) {
  TRYV(at_least_one(node, "VOLUME"));
  TRYV(check_flags(node, {}));
  for (const auto& v : node.args)
    if (gotext::trim_space(v).empty()) return error("VOLUME specified can not be an empty string");
  return {};
}

Result<void> check_arg(const Node& node) {
  TRYV(at_least_one(node, "ARG"));
  for (const auto& a : node.args)
    if (a.starts_with('=')) return error("ARG names can not be blank");
  return {};  // Docker reads no flags for ARG
}

Result<void> check_shell(const Node& node) {
  TRYV(check_flags(node, {}));
  if (node.args.empty()) return error("SHELL requires at least one argument");
  if (!node.json) return error("SHELL requires the arguments to be in JSON form");
  return {};
}

}  // namespace

Result<void> check_node(const Node& node) {
  const std::string& c = node.cmd;
  if (c == "env") {
    TRYV(check_flags(node, {}));
    return key_values(node, "ENV");
  }
  if (c == "label") {
    TRYV(check_flags(node, {}));
    return key_values(node, "LABEL");
  }
  if (c == "maintainer" || c == "workdir" || c == "user") {
    TRYV(exactly_one(node, upper_ascii(c)));
    return check_flags(node, {});
  }
  if (c == "add") {
    TRYV(sources_and_dest(node, "ADD"));
    return check_flags(node, {{"chown"}, {"chmod"}});
  }
  if (c == "copy") {
    TRYV(sources_and_dest(node, "COPY"));
    return check_flags(node, {{"chown"}, {"from"}, {"chmod"}});
  }
  if (c == "from") return check_from(node);
  if (c == "onbuild") return check_onbuild(node);
  if (c == "run") return check_flags(node, {{"mount", true}, {"network"}});
  if (c == "cmd" || c == "entrypoint") return check_flags(node, {});
  if (c == "healthcheck") return check_healthcheck(node);
  if (c == "expose") {
    TRYV(at_least_one(node, "EXPOSE"));
    return check_flags(node, {});
  }
  if (c == "volume") return check_volume(node);
  if (c == "stopsignal") return exactly_one(node, "STOPSIGNAL");  // Docker reads no flags
  if (c == "arg") return check_arg(node);
  if (c == "shell") return check_shell(node);
  return error("unknown instruction: " + upper_ascii(c));
}

}  // namespace berth::build::detail
