// A PodService over the real ContainerService with fakes at every seam
// (task runtime, rootfs, network attacher; CNI; kernel), in a temp dir.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../engine/fakes.h"
#include "cri/pods/pod_service.h"
#include "engine/container_service.h"
#include "metadata/container_store.h"
#include "pods_fakes.h"
#include "volume/service.h"

namespace berth::cri::testing {

namespace rt = runtime::v1;

class PodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bpod-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    engine::ImageDefaults busybox;
    busybox.id = "sha256:" + std::string(64, 'b');
    busybox.defaults.cmd = std::vector<std::string>{"sh"};
    busybox.defaults.entrypoint = std::vector<std::string>{"/entry"};
    busybox.defaults.labels = {{"from", "image"}};
    rootfs_.images["busybox"] = busybox;
    {
      std::ofstream(root_ + "/resolv.conf") << "nameserver 192.0.2.53\n";
      std::ofstream(root_ + "/hosts") << "127.0.0.1 localhost host-file\n";
    }
    open_engine();
    open_pods();
  }

  void open_engine() {
    store_ = std::make_unique<metadata::ContainerStore>(*metadata::ContainerStore::open(root_ + "/metadata.db"));
    volumes_ = std::move(*volume::VolumeService::open(root_ + "/data", root_ + "/metadata.db"));
    engine::ContainerServiceConfig cfg;
    cfg.data_root = root_ + "/data";
    cfg.exec_root = root_ + "/exec";
    engine::ContainerServiceDeps deps;
    deps.store = store_.get();
    deps.rootfs = &rootfs_;
    deps.networks = &attacher_;
    deps.volumes = volumes_.get();
    deps.events = &events_;
    deps.runtimes["berth"] = &runtime_;
    deps.host.ncpus = 2;
    deps.host.hostname = "node-1";
    auto s = engine::ContainerService::open(cfg, deps);
    ASSERT_TRUE(s) << s.error().str();
    containers_ = std::move(*s);
  }

  void open_pods() {
    pods_.reset();
    PodServiceDeps d;
    d.containers = containers_.get();
    d.events = &events_;
    d.network = &network_;
    d.kernel = &kernel_;
    d.init_path = "/usr/libexec/berth/berth-init";
    d.data_dir = root_ + "/cri-data";
    d.state_dir = root_ + "/cri-state";
    d.host_resolv_conf = root_ + "/resolv.conf";
    d.host_hosts = root_ + "/hosts";
    d.vm = vm_;
    auto p = PodService::open(d);
    ASSERT_TRUE(p) << p.error().str();
    pods_ = std::move(*p);
  }

  void TearDown() override {
    pods_.reset();
    containers_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  static rt::PodSandboxConfig pod_config(const std::string& name = "web", const std::string& uid = "uid-1") {
    rt::PodSandboxConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_metadata()->set_uid(uid);
    c.mutable_metadata()->set_namespace_("default");
    c.set_hostname(name + "-host");
    c.set_log_directory("/var/log/pods/default_" + name + "_" + uid);
    (*c.mutable_labels())["app"] = name;
    (*c.mutable_annotations())["note"] = "kept";
    c.mutable_linux()->set_cgroup_parent("/kubepods/pod" + uid);
    // What the kubelet sends unless shareProcessNamespace is set.
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::CONTAINER);
    return c;
  }

  std::string run_pod(const rt::PodSandboxConfig& c) {
    rt::RunPodSandboxRequest req;
    *req.mutable_config() = c;
    rt::RunPodSandboxResponse resp;
    auto st = pods_->RunPodSandbox(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.pod_sandbox_id();
  }

  static rt::ContainerConfig container_config(const std::string& name) {
    rt::ContainerConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_image()->set_image("busybox");
    c.add_args("serve");
    c.set_log_path(name + "/0.log");
    (*c.mutable_labels())["io.kubernetes.container.name"] = name;
    (*c.mutable_annotations())["io.kubernetes.container.restartCount"] = "0";
    return c;
  }

  std::string create_container(const std::string& pod, const rt::ContainerConfig& c,
                               grpc::StatusCode want = grpc::StatusCode::OK) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_config() = c;
    rt::CreateContainerResponse resp;
    auto st = pods_->CreateContainer(req, &resp);
    EXPECT_EQ(st.error_code(), want) << st.error_message();
    return resp.container_id();
  }

  grpc::Status start(const std::string& id) {
    rt::StartContainerRequest req;
    req.set_container_id(id);
    rt::StartContainerResponse resp;
    return pods_->StartContainer(req, &resp);
  }

  // The fake task ends when the engine kills it (as a real one would).
  std::thread exit_on_kill(const std::string& id, int code = 137) {
    return std::thread([this, id, code] {
      bool killed = runtime_.log->wait_for([&] {
        for (const auto& [who, sig] : runtime_.log->signals)
          if (who == id) return true;
        return false;
      });
      if (killed) runtime_.exit(id, code);
    });
  }

  rt::ContainerStatus status_of(const std::string& id) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    auto st = pods_->ContainerStatus(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.status();
  }

  std::string root_;
  VmPodConfig vm_;  // the handler "vm" (empty: unavailable)
  std::unique_ptr<metadata::ContainerStore> store_;
  std::unique_ptr<volume::VolumeService> volumes_;
  engine::Events events_;
  engine::fakes::FakeRootfs rootfs_;
  engine::fakes::FakeAttacher attacher_;
  engine::fakes::FakeTaskRuntime runtime_;
  std::unique_ptr<engine::ContainerService> containers_;
  fakes::FakeNetwork network_;
  fakes::FakeKernel kernel_;
  std::unique_ptr<PodService> pods_;
};

}  // namespace berth::cri::testing
