// Request Config + image config -> the container's effective Config (moby's
// daemon merge() and mergeAndVerifyConfig()).
#include <set>

#include "specgen/json_fields.h"
#include "specgen/specgen.h"

namespace berth::specgen {

using nlohmann::json;
using detail::env_key;

namespace {

constexpr const char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool empty_value(const json& obj, const char* key) {
  if (!obj.is_object()) return true;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (it->is_string() || it->is_array() || it->is_object()) return it->empty();
  return false;
}

// The image's value fills a request field that is missing or empty.
void fill(json& out, const json& image, const char* key) {
  if (empty_value(out, key) && !empty_value(image, key)) out[key] = image[key];
}

// Object fields (Labels, Volumes, ExposedPorts): the request's keys win.
void union_objects(json& out, const json& image, const char* key) {
  if (empty_value(image, key) || !image[key].is_object()) return;
  if (empty_value(out, key) || !out[key].is_object()) {
    out[key] = image[key];
    return;
  }
  for (const auto& [k, v] : image[key].items())
    if (!out[key].contains(k)) out[key][k] = v;
}

}  // namespace

Result<MergedConfig> merge_config(const json& config, const json& image_config) {
  if (!config.is_null() && !config.is_object())
    return fail(Errc::InvalidArgument, "Config: expected an object");
  const json image = image_config.is_object() ? image_config : json::object();
  json out = config.is_object() ? config : json::object();

  // Type checks first, so every later read is safe.
  auto user_env = TRY(detail::get_strings(out, "Env", "Config"));
  auto image_env = TRY(detail::get_strings(image, "Env", "image config"));
  auto entrypoint = TRY(detail::get_strings(out, "Entrypoint", "Config"));
  auto cmd = TRY(detail::get_strings(out, "Cmd", "Config"));
  TRY(detail::get_strings(image, "Entrypoint", "image config"));
  TRY(detail::get_strings(image, "Cmd", "image config"));
  for (const char* key : {"User", "WorkingDir", "StopSignal"}) {
    TRY(detail::get_string(out, key, "Config"));
    TRY(detail::get_string(image, key, "image config"));
  }

  fill(out, image, "User");
  fill(out, image, "WorkingDir");
  fill(out, image, "StopSignal");
  const std::string wd = out.value("WorkingDir", json()).is_string() ? out["WorkingDir"].get<std::string>() : "";
  if (!wd.empty() && wd[0] != '/')
    return fail(Errc::InvalidArgument,
                "the working directory '" + wd + "' is invalid, it needs to be an absolute path");
  union_objects(out, image, "ExposedPorts");
  union_objects(out, image, "Labels");
  union_objects(out, image, "Volumes");

  // Env: the request's entries, then the image's whose key the request does not set.
  std::set<std::string> keys;
  for (const auto& e : user_env) keys.insert(env_key(e));
  for (const auto& e : image_env)
    if (!keys.count(env_key(e))) user_env.push_back(e);
  if (!user_env.empty()) out["Env"] = user_env;

  // An Entrypoint in the request discards the image's Cmd as well.
  if (entrypoint.empty()) {
    if (cmd.empty()) {
      fill(out, image, "Cmd");
      if (image.contains("ArgsEscaped")) out["ArgsEscaped"] = image["ArgsEscaped"];
    }
    if (!detail::has_value(config, "Entrypoint")) fill(out, image, "Entrypoint");
  }
  // Healthcheck: the request's fields that are unset come from the image's.
  if (image.contains("Healthcheck") && image["Healthcheck"].is_object()) {
    if (empty_value(out, "Healthcheck") || !out["Healthcheck"].is_object()) {
      out["Healthcheck"] = image["Healthcheck"];
    } else {
      for (const char* k : {"Test", "Interval", "Timeout", "StartPeriod", "Retries"}) {
        const json& hv = out["Healthcheck"].value(k, json());
        bool unset = hv.is_null() || (hv.is_array() && hv.empty()) || (hv.is_number() && hv == 0);
        if (unset && image["Healthcheck"].contains(k)) out["Healthcheck"][k] = image["Healthcheck"][k];
      }
    }
  }

  entrypoint = TRY(detail::get_strings(out, "Entrypoint", "Config"));
  cmd = TRY(detail::get_strings(out, "Cmd", "Config"));
  // --entrypoint "" resets it to none.
  if (entrypoint.size() == 1 && entrypoint[0].empty()) {
    entrypoint.clear();
    out["Entrypoint"] = nullptr;
  }
  if (entrypoint.empty() && cmd.empty()) return fail(Errc::InvalidArgument, "No command specified");

  MergedConfig m;
  std::vector<std::string> all = entrypoint;
  all.insert(all.end(), cmd.begin(), cmd.end());
  m.path = all.front();
  m.args.assign(all.begin() + 1, all.end());
  m.config = std::move(out);
  return m;
}

std::vector<std::string> process_env(const json& config, const std::string& hostname) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOSTNAME=" + hostname};
  if (config.is_object() && config.value("Tty", false) == true) env.push_back("TERM=xterm");
  auto user_env = detail::get_strings(config, "Env", "Config");
  if (!user_env) return env;
  for (const auto& e : *user_env) {
    std::string key = env_key(e);
    bool replaced = false;
    for (auto& existing : env)
      if (env_key(existing) == key) {
        existing = e;
        replaced = true;
      }
    if (!replaced) env.push_back(e);
  }
  return env;
}

}  // namespace berth::specgen
