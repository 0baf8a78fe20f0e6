// Request Config + image config -> the container's effective Config (moby's
// daemon merge() and mergeAndVerifyConfig()).
#include <set>

#include "specgen/host_settings.h"
#include "specgen/specgen.h"

namespace berth::specgen {

using detail::env_key;

namespace {

constexpr const char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void fill(std::string& out, const std::string& image) {
  if (out.empty()) out = image;
}

}  // namespace

Result<MergedConfig> merge_config(const model::ContainerConfig& request, const model::ContainerConfig& image) {
  model::ContainerConfig out = request;
  fill(out.user, image.user);
  fill(out.working_dir, image.working_dir);
  fill(out.stop_signal, image.stop_signal);
  if (!out.working_dir.empty() && out.working_dir[0] != '/')
    return fail(Errc::InvalidArgument,
                "the working directory '" + out.working_dir + "' is invalid, it needs to be an absolute path");
  out.exposed_ports.insert(image.exposed_ports.begin(), image.exposed_ports.end());
  out.volumes.insert(image.volumes.begin(), image.volumes.end());
  for (const auto& [k, v] : image.labels) out.labels.emplace(k, v);  // the request's keys win

  // Env: the request's entries, then the image's whose key the request does not set.
  std::set<std::string> keys;
  for (const auto& e : out.env) keys.insert(env_key(e));
  for (const auto& e : image.env)
    if (!keys.count(env_key(e))) out.env.push_back(e);

  // An Entrypoint in the request discards the image's Cmd as well; an empty
  // one given explicitly keeps the image's Entrypoint out.
  bool no_entrypoint = !out.entrypoint || out.entrypoint->empty();
  if (no_entrypoint) {
    if (!out.cmd || out.cmd->empty()) {
      out.cmd = image.cmd;
      out.args_escaped = image.args_escaped;
    }
    if (!out.entrypoint) out.entrypoint = image.entrypoint;
  }
  // Healthcheck: the request's unset fields come from the image's.
  if (image.healthcheck) {
    if (!out.healthcheck) {
      out.healthcheck = image.healthcheck;
    } else {
      auto& h = *out.healthcheck;
      const auto& ih = *image.healthcheck;
      if (h.test.empty()) h.test = ih.test;
      if (h.interval_ns == 0) h.interval_ns = ih.interval_ns;
      if (h.timeout_ns == 0) h.timeout_ns = ih.timeout_ns;
      if (h.start_period_ns == 0) h.start_period_ns = ih.start_period_ns;
      if (h.start_interval_ns == 0) h.start_interval_ns = ih.start_interval_ns;
      if (h.retries == 0) h.retries = ih.retries;
    }
  }

  // --entrypoint "" resets it to none.
  if (out.entrypoint && out.entrypoint->size() == 1 && (*out.entrypoint)[0].empty()) out.entrypoint.reset();
  std::vector<std::string> all = out.entrypoint.value_or(std::vector<std::string>{});
  if (out.cmd) all.insert(all.end(), out.cmd->begin(), out.cmd->end());
  if (all.empty()) return fail(Errc::InvalidArgument, "No command specified");

  MergedConfig m;
  m.path = all.front();
  m.args.assign(all.begin() + 1, all.end());
  m.config = std::move(out);
  return m;
}

std::vector<std::string> process_env(const model::ContainerConfig& config, const std::string& hostname) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOSTNAME=" + hostname};
  if (config.tty) env.push_back("TERM=xterm");
  for (const auto& e : config.env) {
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
