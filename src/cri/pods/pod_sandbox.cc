#include "cri/pods/pod_sandbox.h"

#include <google/protobuf/util/json_util.h>

namespace berth::cri {

namespace rt = runtime::v1;

std::string PodSandbox::reserved_name() const {
  const auto& m = metadata();
  return m.name() + "_" + m.namespace_() + "_" + m.uid() + "_" + std::to_string(m.attempt());
}

namespace {
const rt::NamespaceOption& ns_options(const rt::PodSandboxConfig& c) {
  return c.linux().security_context().namespace_options();
}
}  // namespace

bool PodSandbox::host_network() const { return ns_options(config).network() == rt::NODE; }
bool PodSandbox::host_ipc() const { return ns_options(config).ipc() == rt::NODE; }
bool PodSandbox::host_pid() const { return ns_options(config).pid() == rt::NODE; }

nlohmann::json pod_to_json(const PodSandbox& pod) {
  std::string config;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(pod.config, &config, opts);
  return {{"id", pod.id},
          {"config", nlohmann::json::parse(config)},
          {"state", pod.state == rt::SANDBOX_READY ? "ready" : "notready"},
          {"created_at_ns", pod.created_at_ns},
          {"dir", pod.dir},
          {"netns", pod.netns},
          {"ipcns", pod.ipcns},
          {"utsns", pod.utsns},
          {"shm", pod.shm},
          {"pidns", pod.pidns},
          {"pid_holder", pod.pid_holder},
          {"ips", pod.ips},
          {"network_attached", pod.network_attached},
          {"runtime_handler", pod.runtime_handler},
          {"vm_keeper", pod.vm_keeper},
          {"vm_dir", pod.vm_dir},
          {"vm_socket", pod.vm_socket},
          {"vm_cgroup", pod.vm_cgroup}};
}

Result<PodSandbox> pod_from_json(const nlohmann::json& j) {
  try {
    PodSandbox p;
    p.id = j.at("id").get<std::string>();
    auto status = google::protobuf::util::JsonStringToMessage(j.at("config").dump(), &p.config);
    if (!status.ok()) return fail(Errc::InvalidArgument, "pod record " + p.id + ": its config does not parse");
    p.state = j.at("state").get<std::string>() == "ready" ? rt::SANDBOX_READY : rt::SANDBOX_NOTREADY;
    p.created_at_ns = j.at("created_at_ns").get<int64_t>();
    p.dir = j.at("dir").get<std::string>();
    p.netns = j.value("netns", "");
    p.ipcns = j.value("ipcns", "");
    p.utsns = j.value("utsns", "");
    p.shm = j.value("shm", "");
    p.pidns = j.value("pidns", "");
    p.pid_holder = j.value("pid_holder", 0);
    p.ips = j.value("ips", std::vector<std::string>{});
    p.network_attached = j.value("network_attached", false);
    p.runtime_handler = j.value("runtime_handler", "");
    p.vm_keeper = j.value("vm_keeper", 0);
    p.vm_dir = j.value("vm_dir", "");
    p.vm_socket = j.value("vm_socket", "");
    p.vm_cgroup = j.value("vm_cgroup", "");
    return p;
  } catch (const std::exception&) {
    return fail(Errc::InvalidArgument, "pod record: a field is missing or has the wrong type");
  }
}

}  // namespace berth::cri
