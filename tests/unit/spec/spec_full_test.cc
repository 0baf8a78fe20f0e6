// A full runc-style config.json: every field the parser knows is checked.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/runtime_spec.h"

using namespace berth;
using V = std::vector<std::string>;

namespace {

const char* kFullConfig = R"json({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6, 4294967295],
             "username": "alice"},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="],
    "cwd": "/home/alice",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_KILL"],
      "inheritable": [],
      "permitted": ["CAP_KILL", "CAP_AUDIT_WRITE"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "berth-default",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 100, "deadline": 200, "period": 300}
  },
  "root": {"path": "/var/lib/berth/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/data", "type": "none", "source": "/srv/data",
     "options": ["rbind", "rro", "rprivate"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}]},
    {"destination": "relative/dir", "type": "bind", "source": "/tmp", "options": ["bind"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/prestart", "args": ["prestart", "a"], "env": ["X=1"], "timeout": 5}],
    "createRuntime": [{"path": "/usr/bin/cr1"}, {"path": "/usr/bin/cr2", "timeout": 10}],
    "createContainer": [{"path": "/usr/bin/cc", "args": ["cc"]}],
    "startContainer": [{"path": "/usr/bin/sc", "env": ["Y=2", "Z=3"]}],
    "poststart": [{"path": "/usr/bin/ps", "timeout": 1}],
    "poststop": [{"path": "/usr/bin/pst", "args": ["pst", "--all"], "timeout": 30}]
  },
  "annotations": {"org.example.key": "value", "io.berth.empty": ""},
  "linux": {
    "namespaces": [
      {"type": "pid"},
      {"type": "network", "path": "/var/run/netns/blue"},
      {"type": "ipc"},
      {"type": "uts"},
      {"type": "mount"},
      {"type": "user"},
      {"type": "cgroup"},
      {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1},
                    {"containerID": 1, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "timeOffsets": {"monotonic": {"secs": 100, "nanosecs": 5}, "boottime": {"secs": -3}},
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"type": "b", "path": "/dev/sda", "major": 8, "minor": 0},
      {"type": "p", "path": "/dev/fifo"},
      {"type": "u", "path": "/dev/unbuffered", "major": 4, "minor": 64}
    ],
    "cgroupsPath": "/berth/c1",
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
        {"allow": true, "type": "b", "major": 8, "access": "r"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "kernel": -1, "kernelTCP": 1048576, "swappiness": 60,
                 "disableOOMKiller": true, "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "0-3", "mems": "0", "idle": 1},
      "pids": {"limit": 512},
      "blockIO": {
        "weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 100},
                         {"major": 8, "minor": 16}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 16, "rate": 100}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 200}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500},
                                                   {"name": "lo", "priority": 0}]},
      "unified": {"memory.high": "400000000", "io.weight": "default 100"}
    },
    "intelRdt": {"closID": "guaranteed_group"},
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4294967296"},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp-agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 5, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "personality": {"domain": "LINUX32", "flags": []}
  },
  "someFutureField": {"ignored": true}
})json";

class FullConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = spec::parse_spec(kFullConfig);
    ASSERT_TRUE(r) << r.error().str();
    s = std::move(*r);
  }
  spec::Spec s;
};

}  // namespace

TEST_F(FullConfig, TopLevel) {
  EXPECT_EQ(s.oci_version, "1.0.2-dev");
  EXPECT_EQ(s.root.path, "/var/lib/berth/rootfs");
  EXPECT_TRUE(s.root.readonly);
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example.org");
  EXPECT_EQ(s.annotations.size(), 2u);
  EXPECT_EQ(s.annotations.at("org.example.key"), "value");
  EXPECT_EQ(s.annotations.at("io.berth.empty"), "");
}

TEST_F(FullConfig, Process) {
  ASSERT_TRUE(s.process);
  const auto& p = *s.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6, 4294967295u}));
  EXPECT_EQ(p.user.username, "alice");
  EXPECT_EQ(p.args, (V{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(p.env, (V{"PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="}));
  EXPECT_EQ(p.cwd, "/home/alice");
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "berth-default");
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->klass, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 4);
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.scheduler->priority, 3);
  EXPECT_EQ(p.scheduler->flags, V{"SCHED_FLAG_RESET_ON_FORK"});
  EXPECT_EQ(p.scheduler->runtime, 100u);
  EXPECT_EQ(p.scheduler->deadline, 200u);
  EXPECT_EQ(p.scheduler->period, 300u);
}

TEST_F(FullConfig, Capabilities) {
  ASSERT_TRUE(s.process && s.process->capabilities);
  const auto& c = *s.process->capabilities;
  EXPECT_EQ(c.bounding, (V{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
  EXPECT_EQ(c.effective, V{"CAP_KILL"});
  EXPECT_TRUE(c.inheritable.empty());
  EXPECT_EQ(c.permitted, (V{"CAP_KILL", "CAP_AUDIT_WRITE"}));
  EXPECT_EQ(c.ambient, V{"CAP_NET_BIND_SERVICE"});
}

TEST_F(FullConfig, Rlimits) {
  ASSERT_TRUE(s.process);
  const auto& r = s.process->rlimits;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(r[0].hard, 4096u);
  EXPECT_EQ(r[0].soft, 1024u);
  EXPECT_EQ(r[1].type, "RLIMIT_CORE");
  EXPECT_EQ(r[1].hard, UINT64_MAX);  // RLIM_INFINITY as Go writes it
  EXPECT_EQ(r[1].soft, 0u);
}

TEST_F(FullConfig, Mounts) {
  ASSERT_EQ(s.mounts.size(), 4u);
  EXPECT_EQ(s.mounts[0].destination, "/proc");
  EXPECT_EQ(s.mounts[0].type, "proc");
  EXPECT_EQ(s.mounts[0].source, "proc");
  EXPECT_TRUE(s.mounts[0].options.empty());
  EXPECT_EQ(s.mounts[1].options, (V{"nosuid", "strictatime", "mode=755", "size=65536k"}));
  const auto& data = s.mounts[2];
  EXPECT_EQ(data.destination, "/data");
  EXPECT_EQ(data.type, "none");
  EXPECT_EQ(data.source, "/srv/data");
  EXPECT_EQ(data.options, (V{"rbind", "rro", "rprivate"}));
  ASSERT_EQ(data.uid_mappings.size(), 1u);
  EXPECT_EQ(data.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(data.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(data.uid_mappings[0].size, 65536u);
  ASSERT_EQ(data.gid_mappings.size(), 1u);
  EXPECT_EQ(data.gid_mappings[0].host_id, 200000u);
  EXPECT_EQ(data.gid_mappings[0].size, 1000u);
  // runc treats a relative destination as relative to the container's root.
  EXPECT_EQ(s.mounts[3].destination, "/relative/dir");
  EXPECT_EQ(s.mounts[3].options, V{"bind"});
}

TEST_F(FullConfig, HooksOfAllSixKinds) {
  const auto& h = s.hooks;
  ASSERT_EQ(h.prestart.size(), 1u);
  EXPECT_EQ(h.prestart[0].path, "/usr/bin/prestart");
  EXPECT_EQ(h.prestart[0].args, (V{"prestart", "a"}));
  EXPECT_EQ(h.prestart[0].env, V{"X=1"});
  EXPECT_EQ(h.prestart[0].timeout, 5);
  ASSERT_EQ(h.create_runtime.size(), 2u);
  EXPECT_EQ(h.create_runtime[0].path, "/usr/bin/cr1");
  EXPECT_FALSE(h.create_runtime[0].timeout);
  EXPECT_EQ(h.create_runtime[1].path, "/usr/bin/cr2");
  EXPECT_EQ(h.create_runtime[1].timeout, 10);
  ASSERT_EQ(h.create_container.size(), 1u);
  EXPECT_EQ(h.create_container[0].args, V{"cc"});
  ASSERT_EQ(h.start_container.size(), 1u);
  EXPECT_EQ(h.start_container[0].env, (V{"Y=2", "Z=3"}));
  ASSERT_EQ(h.poststart.size(), 1u);
  EXPECT_EQ(h.poststart[0].timeout, 1);
  ASSERT_EQ(h.poststop.size(), 1u);
  EXPECT_EQ(h.poststop[0].path, "/usr/bin/pst");
  EXPECT_EQ(h.poststop[0].args, (V{"pst", "--all"}));
  EXPECT_EQ(h.poststop[0].timeout, 30);
}

TEST_F(FullConfig, NamespacesAndMappings) {
  const auto& l = s.linux;
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[0].type, "pid");
  EXPECT_TRUE(l.namespaces[0].path.empty());
  const auto* net = l.find_namespace("network");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->path, "/var/run/netns/blue");
  for (const char* t : {"pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time"})
    EXPECT_NE(l.find_namespace(t), nullptr) << t;
  EXPECT_EQ(l.find_namespace("nope"), nullptr);

  ASSERT_EQ(l.uid_mappings.size(), 2u);
  EXPECT_EQ(l.uid_mappings[1].container_id, 1u);
  EXPECT_EQ(l.uid_mappings[1].host_id, 100000u);
  EXPECT_EQ(l.uid_mappings[1].size, 65536u);
  ASSERT_EQ(l.gid_mappings.size(), 1u);
  EXPECT_EQ(l.gid_mappings[0].host_id, 1000u);

  ASSERT_EQ(l.time_offsets.size(), 2u);
  EXPECT_EQ(l.time_offsets.at("monotonic"), (std::pair<int64_t, uint32_t>{100, 5}));
  EXPECT_EQ(l.time_offsets.at("boottime"), (std::pair<int64_t, uint32_t>{-3, 0}));
}

TEST_F(FullConfig, Devices) {
  const auto& d = s.linux.devices;
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].type, "c");
  EXPECT_EQ(d[0].path, "/dev/fuse");
  EXPECT_EQ(d[0].major, 10);
  EXPECT_EQ(d[0].minor, 229);
  EXPECT_EQ(d[0].file_mode, 0666u);
  EXPECT_EQ(d[0].uid, 0u);
  EXPECT_EQ(d[0].gid, 0u);
  EXPECT_EQ(d[1].type, "b");
  EXPECT_EQ(d[1].major, 8);
  EXPECT_FALSE(d[1].file_mode);
  EXPECT_FALSE(d[1].uid);
  EXPECT_EQ(d[2].type, "p");
  EXPECT_EQ(d[3].type, "u");
}

TEST_F(FullConfig, ResourcesDevicesMemoryCpuPids) {
  EXPECT_EQ(s.linux.cgroups_path, "/berth/c1");
  ASSERT_TRUE(s.linux.resources);
  const auto& r = *s.linux.resources;
  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, "a");  // default
  EXPECT_FALSE(r.devices[0].major);
  EXPECT_EQ(r.devices[0].access, "rwm");
  EXPECT_TRUE(r.devices[1].allow);
  EXPECT_EQ(r.devices[1].type, "c");
  EXPECT_EQ(r.devices[1].major, 10);
  EXPECT_EQ(r.devices[1].minor, 229);
  EXPECT_EQ(r.devices[1].access, "rw");
  EXPECT_EQ(r.devices[2].major, 8);
  EXPECT_FALSE(r.devices[2].minor);  // wildcard

  ASSERT_TRUE(r.memory);
  EXPECT_EQ(r.memory->limit, 536870912);
  EXPECT_EQ(r.memory->reservation, 268435456);
  EXPECT_EQ(r.memory->swap, 1073741824);
  EXPECT_EQ(r.memory->kernel, -1);
  EXPECT_EQ(r.memory->kernel_tcp, 1048576);
  EXPECT_EQ(r.memory->swappiness, 60u);
  EXPECT_EQ(r.memory->disable_oom_killer, true);
  EXPECT_EQ(r.memory->use_hierarchy, false);
  EXPECT_EQ(r.memory->check_before_update, true);

  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(r.cpu->shares, 1024u);
  EXPECT_EQ(r.cpu->quota, 50000);
  EXPECT_EQ(r.cpu->burst, 10000u);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "0-3");
  EXPECT_EQ(r.cpu->mems, "0");
  EXPECT_EQ(r.cpu->idle, 1);

  ASSERT_TRUE(r.pids);
  EXPECT_EQ(r.pids->limit, 512);
}

TEST_F(FullConfig, ResourcesBlockIoHugepagesNetworkUnified) {
  ASSERT_TRUE(s.linux.resources);
  const auto& r = *s.linux.resources;
  ASSERT_TRUE(r.block_io);
  const auto& b = *r.block_io;
  EXPECT_EQ(b.weight, 500);
  EXPECT_EQ(b.leaf_weight, 300);
  ASSERT_EQ(b.weight_device.size(), 2u);
  EXPECT_EQ(b.weight_device[0].major, 8);
  EXPECT_EQ(b.weight_device[0].minor, 0);
  EXPECT_EQ(b.weight_device[0].weight, 600);
  EXPECT_EQ(b.weight_device[0].leaf_weight, 100);
  EXPECT_EQ(b.weight_device[1].minor, 16);
  EXPECT_FALSE(b.weight_device[1].weight);
  ASSERT_EQ(b.throttle_read_bps.size(), 1u);
  EXPECT_EQ(b.throttle_read_bps[0].rate, 1048576u);
  ASSERT_EQ(b.throttle_write_bps.size(), 1u);
  EXPECT_EQ(b.throttle_write_bps[0].rate, 2097152u);
  ASSERT_EQ(b.throttle_read_iops.size(), 1u);
  EXPECT_EQ(b.throttle_read_iops[0].minor, 16);
  EXPECT_EQ(b.throttle_read_iops[0].rate, 100u);
  ASSERT_EQ(b.throttle_write_iops.size(), 1u);
  EXPECT_EQ(b.throttle_write_iops[0].rate, 200u);

  ASSERT_EQ(r.hugepage_limits.size(), 2u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
  EXPECT_EQ(r.hugepage_limits[1].page_size, "1GB");

  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->class_id, 1048577u);
  ASSERT_EQ(r.network->priorities.size(), 2u);
  EXPECT_EQ(r.network->priorities[0].name, "eth0");
  EXPECT_EQ(r.network->priorities[0].priority, 500u);

  EXPECT_EQ(r.unified.size(), 2u);
  EXPECT_EQ(r.unified.at("memory.high"), "400000000");
  EXPECT_EQ(r.unified.at("io.weight"), "default 100");
}

TEST_F(FullConfig, Seccomp) {
  ASSERT_TRUE(s.linux.seccomp);
  const auto& sc = *s.linux.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 1u);
  EXPECT_EQ(sc.architectures, (V{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(sc.flags, V{"SECCOMP_FILTER_FLAG_LOG"});
  EXPECT_EQ(sc.listener_path, "/run/seccomp-agent.sock");
  EXPECT_EQ(sc.listener_metadata, "meta");
  ASSERT_EQ(sc.syscalls.size(), 3u);
  EXPECT_EQ(sc.syscalls[0].names, (V{"read", "write", "exit_group"}));
  EXPECT_EQ(sc.syscalls[0].action, "SCMP_ACT_ALLOW");
  EXPECT_FALSE(sc.syscalls[0].errno_ret);
  EXPECT_TRUE(sc.syscalls[0].args.empty());
  const auto& args = sc.syscalls[1].args;
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0].index, 0u);
  EXPECT_EQ(args[0].value, 8u);
  EXPECT_EQ(args[0].value_two, 0u);
  EXPECT_EQ(args[0].op, "SCMP_CMP_EQ");
  EXPECT_EQ(args[1].index, 5u);
  EXPECT_EQ(args[1].value, 255u);
  EXPECT_EQ(args[1].value_two, 8u);
  EXPECT_EQ(args[1].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(sc.syscalls[2].errno_ret, 13u);
}

TEST_F(FullConfig, SysctlPathsPropagationPersonality) {
  const auto& l = s.linux;
  EXPECT_EQ(l.sysctl.size(), 2u);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.sysctl.at("kernel.shmmax"), "4294967296");
  EXPECT_EQ(l.masked_paths, (V{"/proc/kcore", "/sys/firmware"}));
  EXPECT_EQ(l.readonly_paths, (V{"/proc/sys", "/proc/sysrq-trigger"}));
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
  EXPECT_TRUE(l.has_intel_rdt);
  ASSERT_TRUE(l.personality);
  EXPECT_EQ(l.personality->domain, "LINUX32");
  EXPECT_TRUE(l.personality->flags.empty());
}

TEST(SpecParse, DefaultsWhenFieldsAreAbsent) {
  auto s = spec::parse_spec(R"({"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["x"]}})");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_FALSE(s->root.readonly);
  EXPECT_TRUE(s->mounts.empty());
  EXPECT_TRUE(s->hooks.prestart.empty());
  ASSERT_TRUE(s->process);
  EXPECT_EQ(s->process->cwd, "/");
  EXPECT_FALSE(s->process->terminal);
  EXPECT_FALSE(s->process->capabilities);
  EXPECT_FALSE(s->process->oom_score_adj);
  EXPECT_EQ(s->process->user.uid, 0u);
  EXPECT_FALSE(s->linux.resources);
  EXPECT_FALSE(s->linux.seccomp);
  EXPECT_TRUE(s->linux.namespaces.empty());
  EXPECT_EQ(s->linux.rootfs_propagation, "");
}

TEST(SpecParse, NullFieldsCountAsAbsent) {
  auto s = spec::parse_spec(
      R"({"ociVersion":"1.0.0","root":{"path":"r"},"process":null,"hooks":null,"linux":{"resources":null,"seccomp":null}})");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_FALSE(s->process);
  EXPECT_FALSE(s->linux.resources);
}

TEST(SpecParse, EveryRootfsPropagationIsAccepted) {
  for (const char* p : {"private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable",
                        "runbindable"}) {
    nlohmann::json j = {{"ociVersion", "1.0.2"}, {"root", {{"path", "r"}}},
                        {"linux", {{"rootfsPropagation", p}}}};
    auto s = spec::parse_spec(j.dump());
    ASSERT_TRUE(s) << p << ": " << s.error().str();
    EXPECT_EQ(s->linux.rootfs_propagation, p);
  }
}
