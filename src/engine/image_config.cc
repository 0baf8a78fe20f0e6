#include "engine/image_config.h"

#include "dockerapi/container_json.h"

namespace berth::engine {

image::ContainerConfig image_config_of(const model::ContainerConfig& c) {
  image::ContainerConfig cc;
  if (!c.user.empty()) cc.user = c.user;
  if (!c.exposed_ports.empty()) cc.exposed_ports = c.exposed_ports;
  if (!c.env.empty()) cc.env = c.env;
  if (c.entrypoint) cc.entrypoint = *c.entrypoint;
  if (c.cmd) cc.cmd = *c.cmd;
  if (!c.volumes.empty()) cc.volumes = c.volumes;
  if (!c.working_dir.empty()) cc.working_dir = c.working_dir;
  if (!c.labels.empty()) cc.labels = c.labels;
  if (!c.stop_signal.empty()) cc.stop_signal = c.stop_signal;
  auto j = dockerapi::render_config(c);
  for (const char* key : {"Healthcheck", "OnBuild", "Shell"})
    if (j.contains(key) && !j[key].is_null()) cc.extra[key] = j[key];
  return cc;
}

}  // namespace berth::engine
