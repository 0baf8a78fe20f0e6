// parse_process, parse_resources, hook (de)serialisation, and the generated
// documents of `spec` and `features`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/default_spec.h"
#include "runtime/features.h"
#include "runtime/linux/caps.h"
#include "spec/runtime_spec.h"

using namespace berth;
using nlohmann::json;
using V = std::vector<std::string>;

TEST(ParseProcess, ExecProcessFile) {
  auto p = spec::parse_process(R"({
    "terminal": false,
    "user": {"uid": 33, "gid": 33, "additionalGids": [4]},
    "args": ["/bin/ls", "-l"],
    "env": ["A=1"],
    "cwd": "/var/www",
    "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"]},
    "rlimits": [{"type": "RLIMIT_NPROC", "hard": 100, "soft": 50}],
    "noNewPrivileges": true,
    "oomScoreAdj": 100
  })");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_FALSE(p->terminal);
  EXPECT_EQ(p->user.uid, 33u);
  EXPECT_EQ(p->user.additional_gids, std::vector<uint32_t>{4});
  EXPECT_EQ(p->args, (V{"/bin/ls", "-l"}));
  EXPECT_EQ(p->env, V{"A=1"});
  EXPECT_EQ(p->cwd, "/var/www");
  ASSERT_TRUE(p->capabilities);
  EXPECT_EQ(p->capabilities->bounding, V{"CAP_CHOWN"});
  EXPECT_TRUE(p->capabilities->ambient.empty());
  ASSERT_EQ(p->rlimits.size(), 1u);
  EXPECT_EQ(p->rlimits[0].soft, 50u);
  EXPECT_TRUE(p->no_new_privileges);
  EXPECT_EQ(p->oom_score_adj, 100);
}

TEST(ParseProcess, ErrorsNameTheField) {
  auto rel = spec::parse_process(R"({"args":["ls"],"cwd":"tmp"})");
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().code, Errc::InvalidArgument);
  EXPECT_NE(rel.error().message.find("process: cwd: must be an absolute path"), std::string::npos)
      << rel.error().message;

  auto rl = spec::parse_process(R"({"rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":2}]})");
  ASSERT_FALSE(rl);
  EXPECT_NE(rl.error().message.find("rlimits[0].soft"), std::string::npos) << rl.error().message;

  auto bad = spec::parse_process("{");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("process is not valid JSON"), std::string::npos);

  auto arr = spec::parse_process("[]");
  ASSERT_FALSE(arr);
  EXPECT_NE(arr.error().message.find("expected a JSON object"), std::string::npos);
}

TEST(ParseResources, UpdateDocument) {
  auto r = spec::parse_resources(R"({
    "memory": {"limit": 1073741824, "swap": -1},
    "cpu": {"quota": -1, "period": 100000, "cpus": "1"},
    "pids": {"limit": -1},
    "blockIO": {"weight": 100},
    "unified": {"cpu.weight": "50"}
  })");
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_TRUE(r->memory);
  EXPECT_EQ(r->memory->limit, 1073741824);
  EXPECT_EQ(r->memory->swap, -1);
  EXPECT_FALSE(r->memory->reservation);
  ASSERT_TRUE(r->cpu);
  EXPECT_EQ(r->cpu->quota, -1);
  EXPECT_EQ(r->cpu->period, 100000u);
  EXPECT_EQ(r->cpu->cpus, "1");
  EXPECT_FALSE(r->cpu->shares);
  ASSERT_TRUE(r->pids);
  EXPECT_EQ(r->pids->limit, -1);
  ASSERT_TRUE(r->block_io);
  EXPECT_EQ(r->block_io->weight, 100);
  EXPECT_EQ(r->unified.at("cpu.weight"), "50");
  EXPECT_FALSE(r->network);
  EXPECT_TRUE(r->devices.empty());
}

TEST(ParseResources, EmptyObjectSetsNothing) {
  auto r = spec::parse_resources("{}");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->memory);
  EXPECT_FALSE(r->cpu);
  EXPECT_FALSE(r->pids);
  EXPECT_FALSE(r->block_io);
}

TEST(ParseResources, ErrorsNameTheField) {
  auto r = spec::parse_resources(R"({"memory":{"limit":4096,"swap":2048}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("resources: memory.swap:"), std::string::npos) << r.error().message;

  auto t = spec::parse_resources(R"({"cpu":{"shares":"lots"}})");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("cpu.shares"), std::string::npos) << t.error().message;

  auto bad = spec::parse_resources("memory=1G");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("resources is not valid JSON"), std::string::npos);
}

namespace {

spec::Hooks sample_hooks() {
  spec::Hooks h;
  h.prestart = {{"/usr/bin/a", {"a", "1"}, {"E=1"}, 5}};
  h.create_runtime = {{"/usr/bin/b", {}, {}, std::nullopt}, {"/usr/bin/b2", {"b2"}, {}, 1}};
  h.create_container = {{"/usr/bin/c", {}, {"X=y", "Z="}, std::nullopt}};
  h.start_container = {{"/usr/bin/d", {"d"}, {}, 60}};
  h.poststart = {{"/usr/bin/e", {}, {}, std::nullopt}};
  h.poststop = {{"/usr/bin/f", {"f", "--rm"}, {"P=1"}, 2}};
  return h;
}

void expect_same(const std::vector<spec::Hook>& a, const std::vector<spec::Hook>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_EQ(a[i].args, b[i].args);
    EXPECT_EQ(a[i].env, b[i].env);
    EXPECT_EQ(a[i].timeout, b[i].timeout);
  }
}

}  // namespace

TEST(Hooks, JsonRoundTrip) {
  spec::Hooks h = sample_hooks();
  json j = spec::hooks_to_json(h);
  for (const char* k : {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"})
    EXPECT_TRUE(j.contains(k)) << k;
  // Through text as well, as it is persisted in state.json.
  auto back = spec::hooks_from_json(json::parse(j.dump()));
  ASSERT_TRUE(back) << back.error().str();
  expect_same(back->prestart, h.prestart);
  expect_same(back->create_runtime, h.create_runtime);
  expect_same(back->create_container, h.create_container);
  expect_same(back->start_container, h.start_container);
  expect_same(back->poststart, h.poststart);
  expect_same(back->poststop, h.poststop);
}

TEST(Hooks, ToJsonOmitsEmptyFields) {
  spec::Hooks h;
  h.poststop = {{"/bin/x", {}, {}, std::nullopt}};
  json j = spec::hooks_to_json(h);
  EXPECT_EQ(j["poststop"], json::parse(R"([{"path":"/bin/x"}])"));
  EXPECT_TRUE(j["prestart"].is_array());
  EXPECT_TRUE(j["prestart"].empty());
}

TEST(Hooks, SameAsParsedFromConfig) {
  json cfg = {{"ociVersion", "1.0.2"}, {"root", {{"path", "r"}}}, {"hooks", spec::hooks_to_json(sample_hooks())}};
  auto s = spec::parse_spec(cfg.dump());
  ASSERT_TRUE(s) << s.error().str();
  expect_same(s->hooks.prestart, sample_hooks().prestart);
  expect_same(s->hooks.poststop, sample_hooks().poststop);
}

TEST(Hooks, FromJsonValidates) {
  auto r = spec::hooks_from_json(json::parse(R"({"poststart":[{"path":"rel"}]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("hooks.poststart[0].path"), std::string::npos) << r.error().message;
  auto empty = spec::hooks_from_json(json::object());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->prestart.empty());
}

TEST(DefaultSpec, ParsesAndMatchesRunc) {
  std::string text = runtime::default_spec_json(false);
  auto s = spec::parse_spec(text);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->oci_version, runtime::kOciVersion);
  EXPECT_EQ(s->root.path, "rootfs");
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(s->hostname, "berth");
  ASSERT_TRUE(s->process);
  EXPECT_TRUE(s->process->terminal);
  EXPECT_EQ(s->process->args, V{"sh"});
  EXPECT_EQ(s->process->env,
            (V{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}));
  EXPECT_EQ(s->process->cwd, "/");
  EXPECT_TRUE(s->process->no_new_privileges);
  ASSERT_TRUE(s->process->capabilities);
  V caps{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  EXPECT_EQ(s->process->capabilities->bounding, caps);
  EXPECT_EQ(s->process->capabilities->effective, caps);
  EXPECT_EQ(s->process->capabilities->permitted, caps);
  ASSERT_EQ(s->process->rlimits.size(), 1u);
  EXPECT_EQ(s->process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process->rlimits[0].hard, 1024u);
  EXPECT_EQ(s->process->rlimits[0].soft, 1024u);

  V dests;
  for (const auto& m : s->mounts) dests.push_back(m.destination);
  EXPECT_EQ(dests, (V{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
  EXPECT_EQ(s->mounts[5].type, "sysfs");
  EXPECT_EQ(s->mounts[2].options.back(), "gid=5");

  V ns;
  for (const auto& n : s->linux.namespaces) ns.push_back(n.type);
  EXPECT_EQ(ns, (V{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_TRUE(s->linux.uid_mappings.empty());
  ASSERT_TRUE(s->linux.resources);
  ASSERT_EQ(s->linux.resources->devices.size(), 1u);
  EXPECT_FALSE(s->linux.resources->devices[0].allow);
  EXPECT_EQ(s->linux.resources->devices[0].access, "rwm");
  EXPECT_EQ(s->linux.masked_paths.size(), 10u);
  EXPECT_NE(std::find(s->linux.masked_paths.begin(), s->linux.masked_paths.end(), "/proc/kcore"),
            s->linux.masked_paths.end());
  EXPECT_EQ(s->linux.readonly_paths,
            (V{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
}

TEST(DefaultSpec, KeyOrderFollowsRunc) {
  std::string text = runtime::default_spec_json(false);
  auto pos = [&](const char* key) { return text.find(std::string("\"") + key + "\":"); };
  EXPECT_LT(pos("ociVersion"), pos("process"));
  EXPECT_LT(pos("process"), pos("root"));
  EXPECT_LT(pos("root"), pos("hostname"));
  EXPECT_LT(pos("hostname"), pos("mounts"));
  EXPECT_LT(pos("mounts"), pos("linux"));
  EXPECT_EQ(text.rfind("{\n\t\"ociVersion\"", 0), 0u) << "tab-indented as runc writes it";
}

TEST(DefaultSpec, Rootless) {
  auto s = spec::parse_spec(runtime::default_spec_json(true));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->linux.find_namespace("network"), nullptr);
  ASSERT_NE(s->linux.find_namespace("user"), nullptr);
  EXPECT_NE(s->linux.find_namespace("mount"), nullptr);
  ASSERT_EQ(s->linux.uid_mappings.size(), 1u);
  EXPECT_EQ(s->linux.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(s->linux.uid_mappings[0].host_id, ::geteuid());
  EXPECT_EQ(s->linux.uid_mappings[0].size, 1u);
  ASSERT_EQ(s->linux.gid_mappings.size(), 1u);
  EXPECT_EQ(s->linux.gid_mappings[0].host_id, ::getegid());
  EXPECT_FALSE(s->linux.resources);
  for (const auto& m : s->mounts) {
    for (const auto& o : m.options) {
      EXPECT_NE(o.rfind("gid=", 0), 0u) << m.destination << " " << o;
      EXPECT_NE(o.rfind("uid=", 0), 0u) << m.destination << " " << o;
    }
    if (m.destination == "/sys") {
      EXPECT_EQ(m.type, "none");
      EXPECT_EQ(m.source, "/sys");
      EXPECT_EQ(m.options, (V{"rbind", "nosuid", "noexec", "nodev", "ro"}));
    }
  }
}

TEST(Features, HasTheExpectedKeys) {
  json f = runtime::features_json();
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_EQ(f["ociVersionMax"], runtime::kOciVersion);
  EXPECT_EQ(f["hooks"], json({"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                              "poststop"}));
  ASSERT_TRUE(f["mountOptions"].is_array());
  auto opts = f["mountOptions"].get<V>();
  EXPECT_TRUE(std::is_sorted(opts.begin(), opts.end()));
  EXPECT_EQ(std::set<std::string>(opts.begin(), opts.end()).size(), opts.size()) << "no duplicates";
  for (const char* o : {"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async",
                        "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime",
                        "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime", "bind",
                        "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
                        "unbindable", "runbindable"})
    EXPECT_NE(std::find(opts.begin(), opts.end(), o), opts.end()) << o;

  const json& l = f["linux"];
  EXPECT_EQ(l["namespaces"], json({"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}));
  EXPECT_EQ(l["capabilities"].get<V>(), runtime::all_cap_names());
  EXPECT_EQ(l["capabilities"][0], "CAP_CHOWN");
  EXPECT_EQ(l["cgroup"], json::parse(R"({"v1":true,"v2":true,"systemd":false,"systemdUser":false})"));
  const json& sc = l["seccomp"];
  EXPECT_EQ(sc["enabled"], true);
  for (const char* k : {"actions", "operators", "archs", "knownFlags", "supportedFlags"})
    EXPECT_TRUE(sc[k].is_array()) << k;
  auto actions = sc["actions"].get<V>();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "SCMP_ACT_ALLOW"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "SCMP_ACT_ERRNO"), actions.end());
  auto ops = sc["operators"].get<V>();
  EXPECT_NE(std::find(ops.begin(), ops.end(), "SCMP_CMP_MASKED_EQ"), ops.end());
  auto archs = sc["archs"].get<V>();
  EXPECT_NE(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64"), archs.end());
  auto known = sc["knownFlags"].get<V>();
  for (const auto& s : sc["supportedFlags"].get<V>())
    EXPECT_NE(std::find(known.begin(), known.end(), s), known.end()) << s << " supported but not known";
  EXPECT_EQ(l["apparmor"], json::parse(R"({"enabled":false})"));
  EXPECT_EQ(l["selinux"], json::parse(R"({"enabled":false})"));
  std::string version = f["annotations"]["io.github.seccomp.libseccomp.version"];
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
}
