#include "compose_ops/create_request.h"

#include <algorithm>

#include <fmt/format.h>

#include "compose/labels.h"
#include "compose_ops/naming.h"

namespace berth::compose_ops {

namespace {

// environment entries; a key without a value takes the project's
// environment (the caller's, then .env), or is left out, as compose-go does.
std::vector<std::string> resolve_env(const compose::Project& project, const compose::Service& service) {
  std::vector<std::string> env;
  for (const auto& [key, value] : service.environment) {
    if (value) {
      env.push_back(key + "=" + *value);
    } else if (auto it = project.environment.find(key); it != project.environment.end()) {
      env.push_back(key + "=" + it->second);
    }
  }
  return env;
}

Json healthcheck_json(const compose::Healthcheck& h) {
  Json j = Json::object();
  if (h.disable) {
    j["Test"] = Json::array({"NONE"});
    return j;
  }
  if (!h.test.empty()) j["Test"] = h.test;
  if (h.interval) j["Interval"] = *h.interval;
  if (h.timeout) j["Timeout"] = *h.timeout;
  if (h.start_period) j["StartPeriod"] = *h.start_period;
  if (h.start_interval) j["StartInterval"] = *h.start_interval;
  if (h.retries) j["Retries"] = *h.retries;
  return j;
}

Json exposed_ports(const compose::Service& service, bool no_ports) {
  Json ports = Json::object();
  if (!no_ports) {
    for (const auto& p : service.ports) ports[fmt::format("{}/{}", p.target, p.protocol.empty() ? "tcp" : p.protocol)] = Json::object();
  }
  for (const auto& e : service.expose) ports[e.find('/') == std::string::npos ? e + "/tcp" : e] = Json::object();
  return ports;
}

bool is_service_network_mode(const std::string& mode) {
  return mode.empty();  // attached to the project's networks
}

}  // namespace

std::vector<std::string> ordered_network_keys(const compose::Service& service) {
  std::vector<std::string> keys;
  for (const auto& [key, _] : service.networks) keys.push_back(key);
  auto priority = [&](const std::string& key) {
    const auto& n = service.networks.at(key);
    return n && n->priority ? *n->priority : 0;
  };
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    return priority(a) > priority(b);  // the map gave name order already
  });
  return keys;
}

namespace {

Json endpoint_settings(const compose::Service& service, const std::string& key) {
  Json ep = Json::object();
  std::vector<std::string> aliases{service.name};
  const auto& options = service.networks.at(key);
  if (options) {
    for (const auto& a : options->aliases)
      if (std::find(aliases.begin(), aliases.end(), a) == aliases.end()) aliases.push_back(a);
    Json ipam = Json::object();
    if (!options->ipv4_address.empty()) ipam["IPv4Address"] = options->ipv4_address;
    if (!options->ipv6_address.empty()) ipam["IPv6Address"] = options->ipv6_address;
    if (!options->link_local_ips.empty()) ipam["LinkLocalIPs"] = options->link_local_ips;
    if (!ipam.empty()) ep["IPAMConfig"] = ipam;
    if (!options->mac_address.empty()) ep["MacAddress"] = options->mac_address;
  }
  ep["Aliases"] = aliases;
  return ep;
}

const std::string& network_name(const compose::Project& project, const std::string& key) {
  return project.networks.at(key).name;
}

}  // namespace

Result<ContainerCreate> build_container_create(const compose::Project& project, const compose::Service& service,
                                               const CreateOptions& options) {
  for (const auto& [key, _] : service.networks) {
    if (!project.networks.contains(key))
      return fail(Errc::InvalidArgument, fmt::format("service \"{}\" refers to undefined network {}: invalid compose project", service.name, key));
  }
  ContainerCreate out;
  out.name = options.name;
  Json& c = out.body;
  c["Image"] = service_image(project, service);
  if (!service.hostname.empty()) c["Hostname"] = service.hostname;
  if (!service.domainname.empty()) c["Domainname"] = service.domainname;
  if (!service.user.empty()) c["User"] = service.user;
  if (!service.working_dir.empty()) c["WorkingDir"] = service.working_dir;
  c["Tty"] = options.tty.value_or(service.tty);
  c["OpenStdin"] = options.stdin_open.value_or(service.stdin_open);
  c["AttachStdin"] = false;
  c["AttachStdout"] = !options.oneoff;
  c["AttachStderr"] = !options.oneoff;
  std::vector<std::string> env = resolve_env(project, service);
  env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
  c["Env"] = env;
  if (options.command) {
    c["Cmd"] = *options.command;
  } else if (service.command) {
    c["Cmd"] = service.command->args;
  }
  if (options.entrypoint) {
    c["Entrypoint"] = options.entrypoint->empty() ? Json::array({""}) : Json::array({*options.entrypoint});
  } else if (service.entrypoint) {
    c["Entrypoint"] = service.entrypoint->args.empty() ? Json::array({""}) : Json(service.entrypoint->args);
  }
  if (Json ports = exposed_ports(service, options.no_ports); !ports.empty()) c["ExposedPorts"] = ports;
  if (service.healthcheck) c["Healthcheck"] = healthcheck_json(*service.healthcheck);
  if (!service.stop_signal.empty()) c["StopSignal"] = service.stop_signal;
  if (service.stop_grace_period) c["StopTimeout"] = *service.stop_grace_period / 1'000'000'000;
  if (!service.mac_address.empty()) c["MacAddress"] = service.mac_address;

  compose::StringMap labels = compose::container_labels(project, service, options.number, options.oneoff);
  if (options.image_id) labels[compose::label::kImage] = *options.image_id;
  c["Labels"] = labels;

  c["HostConfig"] = TRY(build_host_config(project, service, options));

  if (is_service_network_mode(service.network_mode)) {
    std::vector<std::string> keys = ordered_network_keys(service);
    if (!keys.empty()) {
      const std::string& primary = network_name(project, keys[0]);
      c["HostConfig"]["NetworkMode"] = primary;
      c["NetworkingConfig"]["EndpointsConfig"][primary] = endpoint_settings(service, keys[0]);
      for (size_t i = 1; i < keys.size(); ++i)
        out.connect_after.push_back({network_name(project, keys[i]), endpoint_settings(service, keys[i])});
    }
  }
  return out;
}

}  // namespace berth::compose_ops
