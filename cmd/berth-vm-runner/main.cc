// berth-vm-runner: a container's microVM, started by berth-shim in VM mode
// (src/vm/runner.h). Its command line comes from the shim:
//   berth-vm-runner --id ID --state-dir DIR --ready-fd N --exec-process FILE
//     --container-state-dir DIR [--console-socket PATH] [--stdin]        (docker exec)
//   berth-vm-runner --id ID --bundle DIR --state-dir DIR --ready-fd N
//     [--console-socket PATH] [--stdin] --kernel FILE --initrd FILE
//     [--accel auto|kvm|tcg] [--memory-mib N] [--qemu PATH] [--virtiofsd PATH]
//     [--adopt SOCKET]                                   (a pooled VM's container)
//   berth-vm-runner --id ID --state-dir DIR --pool-vm --pool-fd N --kernel FILE
//     --initrd FILE [--accel ...] [--memory-mib N]        (a pooled VM's keeper)
//   berth-vm-runner --id ID --state-dir DIR --pod-vm --pool-fd N --pod-netns PATH
//     --kernel FILE --initrd FILE [--accel ...] [--memory-mib N] [--vcpus N]   (a VM pod's keeper)
//   ... container options ... --pod SOCKET                (a container of a VM pod)
#include <CLI/CLI.hpp>

#include "base/log.h"
#include "vm/runner.h"

int main(int argc, char** argv) {
  berth::vm::RunnerOptions o;
  CLI::App app{"berth-vm-runner: one container's microVM (started by berth-shim)", "berth-vm-runner"};
  app.add_option("--id", o.id)->required();
  app.add_option("--bundle", o.bundle);
  app.add_option("--exec-process", o.exec_process, "exec mode: the process to run in the container");
  app.add_option("--container-state-dir", o.container_state_dir, "exec mode: the container's runner's state dir");
  app.add_option("--state-dir", o.state_dir)->required();
  app.add_option("--ready-fd", o.ready_fd);
  app.add_option("--console-socket", o.console_socket);
  app.add_flag("--stdin", o.open_stdin);
  app.add_option("--kernel", o.kernel);
  app.add_option("--initrd", o.initrd);
  app.add_option("--accel", o.accel);
  app.add_option("--memory-mib", o.default_memory_mib);
  app.add_option("--qemu", o.qemu);
  app.add_option("--virtiofsd", o.virtiofsd);
  app.add_flag("--pool-vm", o.pool_vm, "keep a booted VM for the pool (berthd's end on --pool-fd)");
  app.add_option("--pool-fd", o.pool_fd);
  app.add_option("--adopt", o.adopt, "take the booted VM of the pool keeper listening here");
  app.add_flag("--pod-vm", o.pod_vm, "keep a VM pod's VM (report on --pool-fd)");
  app.add_option("--pod-netns", o.pod_netns, "the pod's network namespace (its eth0 becomes the guest's NIC)");
  app.add_option("--vcpus", o.vcpus, "the pod VM's vCPUs")->check(CLI::Range(1u, 256u));
  app.add_option("--pod", o.pod, "run the container in the VM pod whose keeper listens here");
  app.add_option("--pod-cgroup", o.pod_cgroup, "the pod VM's cgroup (the keeper moves itself there first)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    berth::log::error("berth-vm-runner: {}", e.what());
    return 125;
  }
  return berth::vm::run_vm(o);
}
