// The CRI handler "vm": which pods and containers can be in one microVM, the
// VM's size, and that a VM pod's containers get the berth-vm runtime.
#include <gtest/gtest.h>

#include "cri/containers/spec_from_cri.h"
#include "cri/pods/vm_pod.h"

namespace berth::cri {
namespace {

namespace rt = runtime::v1;

TEST(VmPod, HandlerNames) {
  EXPECT_TRUE(is_vm_handler("vm"));
  EXPECT_TRUE(is_vm_handler("berth-vm"));
  EXPECT_FALSE(is_vm_handler(""));
  EXPECT_FALSE(is_vm_handler("berth"));
}

TEST(VmPod, TheVmsCgroupIsUnderThePodsParent) {
  EXPECT_EQ(vm_pod_cgroup("/kubepods/burstable/podu1", "abc"), "/kubepods/burstable/podu1/vm-abc");
  EXPECT_EQ(vm_pod_cgroup("kubepods/podu1/", "abc"), "/kubepods/podu1/vm-abc");
  EXPECT_EQ(vm_pod_cgroup("berth", "abc"), "/berth/vm-abc");
}

TEST(VmPod, ShapeFromThePodsResourcesOrTheDefault) {
  rt::PodSandboxConfig c;
  auto s = vm_pod_shape(c, 128);
  EXPECT_EQ(s.memory_mib, 128u);
  EXPECT_EQ(s.vcpus, 1u);
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(256ll << 20);
  c.mutable_linux()->mutable_overhead()->set_memory_limit_in_bytes(32ll << 20);
  r->set_cpu_period(100000);
  r->set_cpu_quota(150000);  // 1.5 CPUs: 2 vCPUs
  s = vm_pod_shape(c, 128);
  EXPECT_EQ(s.memory_mib, 288u);
  EXPECT_EQ(s.vcpus, 2u);
}

TEST(VmPod, RefusesWhatCannotBeInAVmWithTheReason) {
  rt::PodSandboxConfig c;
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(rt::CONTAINER);
  EXPECT_EQ(vm_pod_refusal(c), "");
  ns->set_network(rt::NODE);
  EXPECT_NE(vm_pod_refusal(c).find("host networking"), std::string::npos);
  ns->set_network(rt::POD);
  ns->set_ipc(rt::NODE);
  EXPECT_NE(vm_pod_refusal(c).find("IPC"), std::string::npos);
  ns->set_ipc(rt::POD);
  ns->set_pid(rt::POD);
  EXPECT_NE(vm_pod_refusal(c).find("shareProcessNamespace"), std::string::npos);
  ns->set_pid(rt::CONTAINER);
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_NE(vm_pod_refusal(c).find("privileged"), std::string::npos);

  rt::ContainerConfig k;
  EXPECT_EQ(vm_container_refusal(k), "");
  auto* d = k.add_devices();
  d->set_host_path("/dev/sda");
  EXPECT_NE(vm_container_refusal(k).find("/dev/sda"), std::string::npos);
  EXPECT_NE(vm_container_refusal(k).find("VFIO"), std::string::npos);
  k.clear_devices();
  k.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_NE(vm_container_refusal(k).find("privileged"), std::string::npos);
}

PodSandbox vm_pod() {
  PodSandbox p;
  p.id = std::string(64, 'b');
  p.config.mutable_metadata()->set_name("web");
  p.config.mutable_metadata()->set_uid("u1");
  p.config.mutable_metadata()->set_namespace_("prod");
  p.dir = "/run/pods/b";
  p.netns = "/run/pods/b/net";
  p.ipcns = "/run/pods/b/ipc";
  p.utsns = "/run/pods/b/uts";
  p.runtime_handler = "vm";
  return p;
}

rt::ContainerConfig app() {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  c.mutable_image()->set_image("busybox:1");
  return c;
}

TEST(VmPod, ItsContainersRunWithBerthVmOnThePodsNamespaces) {
  SpecSources s;
  s.read_file = [](const std::string& p) -> Result<std::string> { return fail(Errc::NotFound, p); };
  auto out = spec_from_cri(app(), vm_pod(), s);
  ASSERT_TRUE(out.has_value()) << out.error().str();
  EXPECT_EQ(out->spec.host.runtime, "berth-vm");
  EXPECT_EQ(out->spec.host.network_mode.target, "/run/pods/b/net");  // where the runtime finds the pod's VM

  PodSandbox plain = vm_pod();
  plain.runtime_handler = "";
  auto ns = spec_from_cri(app(), plain, s);
  ASSERT_TRUE(ns.has_value());
  EXPECT_EQ(ns->spec.host.runtime, "");  // the daemon's default

  auto priv = app();
  priv.mutable_linux()->mutable_security_context()->set_privileged(true);
  auto refused = spec_from_cri(priv, vm_pod(), s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument);
  EXPECT_NE(refused.error().message.find("VM pod"), std::string::npos);
}

TEST(VmPod, RecordsKeepTheHandlerAndTheKeeper) {
  auto p = vm_pod();
  p.vm_keeper = 4242;
  p.vm_dir = "/run/pods/b/vm";
  p.vm_socket = "/run/pods/b/vm/pod.sock";
  auto back = pod_from_json(pod_to_json(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->is_vm());
  EXPECT_EQ(back->vm_keeper, 4242);
  EXPECT_EQ(back->vm_dir, p.vm_dir);
  EXPECT_EQ(back->vm_socket, p.vm_socket);
}

}  // namespace
}  // namespace berth::cri
