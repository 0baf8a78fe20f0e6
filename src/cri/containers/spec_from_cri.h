// A CRI ContainerConfig (with its pod) -> the engine's ContainerSpec, never
// through Docker's JSON. Kubernetes' command semantics: `command` replaces
// the image's entrypoint (and drops its cmd), `args` replace its cmd.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"
#include "cri/pods/pod_sandbox.h"
#include "model/container_spec.h"
#include "runtime/v1/api.pb.h"

namespace berth::cri {

struct CriContainerSpec {
  std::string name;  // k8s_<container>_<pod>_<namespace>_<uid>_<attempt>, as dockershim named them
  model::ContainerSpec spec;
};

struct SpecSources {
  // The host pid of a running container of this pod (namespace mode TARGET).
  std::function<Result<int>(const std::string& container_id)> target_pid;
  // Reads a file (a Localhost seccomp profile).
  std::function<Result<std::string>(const std::string& path)> read_file;
  std::string default_cgroup_parent = "berth";
};

// The resources a CreateContainer or UpdateContainerResources asks for, over
// res (other fields kept); InvalidArgument naming what berth cannot honour.
Result<void> resources_from_cri(const runtime::v1::LinuxContainerResources& r, model::Resources& res);

// InvalidArgument naming the field for what berth cannot honour or a bad value.
Result<CriContainerSpec> spec_from_cri(const runtime::v1::ContainerConfig& config, const PodSandbox& pod,
                                       const SpecSources& sources);

}  // namespace berth::cri
