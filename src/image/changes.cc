#include "image/changes.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace berth::image {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Whitespace-separated words; double quotes group (and are dropped), as Docker's
// key=value parser does for ENV/LABEL.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false, quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) { cur += s[++i]; in_word = true; continue; }
    if (c == '"') { quoted = !quoted; in_word = true; continue; }
    if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(std::move(cur)), cur.clear(), in_word = false;
      continue;
    }
    cur += c;
    in_word = true;
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

// JSON array form when it parses as an array of strings, else nullopt.
std::optional<std::vector<std::string>> json_form(std::string_view args) {
  if (!args.starts_with("[")) return std::nullopt;
  auto j = nlohmann::json::parse(args, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

// CMD/ENTRYPOINT: exec form, or shell form run by /bin/sh -c.
std::vector<std::string> command(std::string_view args) {
  if (auto j = json_form(args)) return *j;
  return {"/bin/sh", "-c", std::string(args)};
}

// "k=v k2=v2", or the legacy single pair "k v".
Result<std::vector<std::pair<std::string, std::string>>> pairs(std::string_view insn,
                                                                std::string_view args) {
  std::vector<std::pair<std::string, std::string>> out;
  auto w = words(args);
  if (w.empty()) return fail(Errc::InvalidArgument, std::string(insn) + " requires at least one argument");
  if (w[0].find('=') == std::string::npos) {
    auto sp = args.find_first_of(" \t");
    if (sp == std::string_view::npos)
      return fail(Errc::InvalidArgument, std::string(insn) + " " + std::string(args) +
                                             ": expected KEY=VALUE or KEY VALUE");
    out.emplace_back(std::string(args.substr(0, sp)), std::string(trim(args.substr(sp))));
    return out;
  }
  for (const auto& kv : w) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Errc::InvalidArgument, std::string(insn) + ": '" + kv + "' is not KEY=VALUE");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<void> apply_change(ContainerConfig& c, std::string_view change) {
  change = trim(change);
  auto sp = change.find_first_of(" \t");
  std::string insn(change.substr(0, sp));
  std::string_view args = sp == std::string_view::npos ? "" : trim(change.substr(sp));
  std::transform(insn.begin(), insn.end(), insn.begin(), [](unsigned char ch) { return std::toupper(ch); });
  auto need_args = [&]() -> Result<void> {
    if (args.empty()) return fail(Errc::InvalidArgument, insn + " requires an argument");
    return {};
  };

  if (insn == "CMD") {
    TRYV(need_args());
    c.cmd = command(args);
  } else if (insn == "ENTRYPOINT") {
    TRYV(need_args());
    c.entrypoint = command(args);
  } else if (insn == "ENV") {
    auto kvs = TRY(pairs(insn, args));
    if (!c.env) c.env.emplace();
    for (auto& [k, v] : kvs) {
      auto it = std::find_if(c.env->begin(), c.env->end(),
                             [&](const std::string& e) { return e.starts_with(k + "="); });
      if (it != c.env->end()) *it = k + "=" + v;
      else c.env->push_back(k + "=" + v);
    }
  } else if (insn == "LABEL") {
    auto kvs = TRY(pairs(insn, args));
    if (!c.labels) c.labels.emplace();
    for (auto& [k, v] : kvs) (*c.labels)[k] = v;
  } else if (insn == "WORKDIR") {
    TRYV(need_args());
    std::string dir(args);
    // A relative WORKDIR is relative to the previous one, as in a Dockerfile.
    if (!dir.starts_with("/")) {
      std::string base = c.working_dir.value_or("/");
      dir = base + (base.ends_with("/") ? "" : "/") + dir;
    }
    c.working_dir = dir;
  } else if (insn == "USER") {
    TRYV(need_args());
    c.user = std::string(args);
  } else if (insn == "EXPOSE") {
    TRYV(need_args());
    if (!c.exposed_ports) c.exposed_ports.emplace();
    for (auto& p : words(args)) {
      std::string port = p.find('/') == std::string::npos ? p + "/tcp" : p;
      auto num = port.substr(0, port.find('/'));
      if (num.empty() || !std::all_of(num.begin(), num.end(), ::isdigit))
        return fail(Errc::InvalidArgument, "EXPOSE: invalid port '" + p + "'");
      c.exposed_ports->insert(port);
    }
  } else if (insn == "VOLUME") {
    TRYV(need_args());
    if (!c.volumes) c.volumes.emplace();
    auto list = json_form(args);
    for (auto& v : list ? *list : words(args)) {
      if (v.empty()) return fail(Errc::InvalidArgument, "VOLUME: empty path");
      c.volumes->insert(v);
    }
  } else if (insn == "STOPSIGNAL") {
    TRYV(need_args());
    c.stop_signal = std::string(args);
  } else {
    return fail(Errc::InvalidArgument,
                "change '" + std::string(change) + "': " + (insn.empty() ? "empty" : insn) +
                    " is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, "
                    "VOLUME, WORKDIR, STOPSIGNAL");
  }
  return {};
}

Result<void> apply_changes(ContainerConfig& config, const std::vector<std::string>& changes) {
  for (const auto& ch : changes) TRYV_CTX(apply_change(config, ch), "applying --change");
  return {};
}

}  // namespace berth::image
