// The create body must match what docker-cli 28 sends for the same flags
// (captured from docker 28.2.2 against dockerd 20.10 through a logging proxy).
#include "cli/run_options.h"

#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/go_compat.h"

namespace berth::cli {
namespace {

RunEnvironment fake_env() {
  return RunEnvironment{
      .getenv = [](const std::string& k) -> std::optional<std::string> {
        if (k == "HOME") return "/root";
        return std::nullopt;
      },
      .read_file = [](const std::string& path) -> Result<std::string> {
        if (path == "sc.json") return std::string("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []}\n");
        if (path == "env.list") return std::string("# comment\n\nX=1\n  Y=two words\nHOME\nUNSET\n");
        return fail(Errc::NotFound, "no such file");
      },
  };
}

TEST(CreateRequest, ManyFlagsAsDockerCli28) {
  RunOptions o;
  o.name = "c1";
  o.networks = {"none"};
  o.env = {"A=1", "HOME"};
  o.labels = {"k=v", "x"};
  o.memory = "64m";
  o.memory_swap = "128m";
  o.cpus = "1.5";
  o.cpu_shares = 512;
  o.cpuset_cpus = "0";
  o.pids_limit = 100;
  o.ulimits = {"nofile=1024:2048", "nproc=50"};
  o.read_only = true;
  o.tmpfs = {"/run:rw,size=64m", "/tmp"};
  o.cap_add = {"net_admin"};
  o.cap_drop = {"CHOWN"};
  o.security_opt = {"no-new-privileges"};
  o.stop_signal = "SIGUSR1";
  o.stop_timeout = 5;
  o.restart = "on-failure:3";
  o.init = true;
  o.workdir = "/tmp";
  o.user = "1000";
  o.hostname = "myhost";
  o.entrypoint = "/bin/sh";
  o.interactive = o.tty = true;
  o.image = "busybox";
  o.command = {"-c", "echo hi"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->query, "?name=c1");
  const Json& b = req->body;
  const Json expected_config = Json::parse(R"({
    "Hostname": "myhost", "Domainname": "", "User": "1000", "AttachStdin": true, "AttachStdout": true,
    "AttachStderr": true, "Tty": true, "OpenStdin": true, "StdinOnce": true, "Env": ["A=1", "HOME=/root"],
    "Cmd": ["-c", "echo hi"], "Image": "busybox", "Volumes": {}, "WorkingDir": "/tmp",
    "Entrypoint": ["/bin/sh"], "OnBuild": null, "Labels": {"k": "v", "x": ""}, "StopSignal": "SIGUSR1",
    "StopTimeout": 5})");
  for (auto it = expected_config.begin(); it != expected_config.end(); ++it) {
    EXPECT_EQ(b[it.key()], it.value()) << it.key();
  }
  const Json expected_host = Json::parse(R"({
    "NetworkMode": "none", "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}, "AutoRemove": false,
    "CapAdd": ["CAP_NET_ADMIN"], "CapDrop": ["CAP_CHOWN"], "Privileged": false, "ReadonlyRootfs": true,
    "SecurityOpt": ["no-new-privileges"], "Tmpfs": {"/run": "rw,size=64m", "/tmp": ""}, "CpuShares": 512,
    "Memory": 67108864, "NanoCpus": 1500000000, "CpusetCpus": "0", "MemorySwap": 134217728,
    "MemorySwappiness": -1, "PidsLimit": 100, "Init": true,
    "Ulimits": [{"Name": "nofile", "Hard": 2048, "Soft": 1024}, {"Name": "nproc", "Hard": 50, "Soft": 50}]})");
  for (auto it = expected_host.begin(); it != expected_host.end(); ++it) {
    EXPECT_EQ(b["HostConfig"][it.key()], it.value()) << it.key();
  }
  EXPECT_EQ(b["NetworkingConfig"], Json::parse(R"({"EndpointsConfig": {}})"));
}

TEST(CreateRequest, RunRmForegroundDefaults) {
  RunOptions o;
  o.rm = true;
  o.networks = {"none"};
  o.image = "busybox";
  o.command = {"sh", "-c", "exit 3"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req);
  const Json& b = req->body;
  EXPECT_EQ(req->query, "");
  EXPECT_EQ(b["AttachStdin"], false);
  EXPECT_EQ(b["AttachStdout"], true);
  EXPECT_EQ(b["AttachStderr"], true);
  EXPECT_EQ(b["StdinOnce"], false);
  EXPECT_TRUE(b["Env"].is_null());
  EXPECT_TRUE(b["Entrypoint"].is_null());
  EXPECT_EQ(b["Labels"], Json::object());
  EXPECT_EQ(b["HostConfig"]["AutoRemove"], true);
  EXPECT_EQ(b["HostConfig"]["RestartPolicy"], Json::parse(R"({"Name": "no", "MaximumRetryCount": 0})"));
  EXPECT_TRUE(b["HostConfig"]["CapAdd"].is_null());
  EXPECT_TRUE(b["HostConfig"]["SecurityOpt"].is_null());
  EXPECT_EQ(b["HostConfig"]["Ulimits"], Json::array());
  EXPECT_FALSE(b["HostConfig"].contains("Init"));
  EXPECT_FALSE(b["HostConfig"].contains("Tmpfs"));
}

TEST(CreateRequest, RuntimeAndUsernsReachTheHostConfigAsDockerCliSendsThem) {
  RunOptions o;
  o.image = "busybox";
  auto plain = build_create_request(o, false, fake_env());
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->body["HostConfig"].contains("Runtime"));  // docker-cli omits an empty one
  EXPECT_EQ(plain->body["HostConfig"]["UsernsMode"], "");
  o.runtime = "vm";
  o.userns = "host";
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body["HostConfig"]["Runtime"], "vm");
  EXPECT_EQ(req->body["HostConfig"]["UsernsMode"], "host");
}

TEST(CreateRequest, DetachedAttachesNothing) {
  RunOptions o;
  o.image = "busybox";
  o.interactive = true;
  auto req = build_create_request(o, true, fake_env());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body["AttachStdin"], false);
  EXPECT_EQ(req->body["AttachStdout"], false);
  EXPECT_EQ(req->body["StdinOnce"], false);
  EXPECT_EQ(req->body["OpenStdin"], true);
  o.attach = {"stdout"};
  EXPECT_FALSE(build_create_request(o, true, fake_env()));
}

TEST(CreateRequest, SeccompFileIsSentCompacted) {
  RunOptions o;
  o.image = "busybox";
  o.privileged = true;
  o.security_opt = {"seccomp=sc.json", "label=disable"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body["HostConfig"]["SecurityOpt"],
            Json::parse(R"(["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}", "label=disable"])"));
  EXPECT_EQ(req->body["HostConfig"]["Privileged"], true);
  o.security_opt = {"seccomp=missing.json"};
  EXPECT_FALSE(build_create_request(o, false, fake_env()));
  o.security_opt = {"seccomp=unconfined", "bogus"};
  EXPECT_FALSE(build_create_request(o, false, fake_env()));
}

TEST(CreateRequest, EnvFileThenEnvFlags) {
  RunOptions o;
  o.image = "busybox";
  o.env_files = {"env.list"};
  o.env = {"Z=9"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body["Env"], Json::parse(R"(["X=1", "Y=two words", "HOME=/root", "Z=9"])"));
}

TEST(CreateRequest, EntrypointEmptyClearsIt) {
  RunOptions o;
  o.image = "busybox";
  o.entrypoint_set = true;
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body["Entrypoint"], Json::parse(R"([""])"));
}

struct BadFlag {
  const char* what;
  void (*set)(RunOptions&);
};

TEST(CreateRequest, RefusedFlags) {
  const BadFlag cases[] = {
      {"memory", [](RunOptions& o) { o.memory = "lots"; }},
      {"cpus", [](RunOptions& o) { o.cpus = "0.0000000001"; }},
      {"ulimit type", [](RunOptions& o) { o.ulimits = {"bogus=1"}; }},
      {"ulimit soft>hard", [](RunOptions& o) { o.ulimits = {"nofile=10:5"}; }},
      {"restart", [](RunOptions& o) { o.restart = "sometimes"; }},
      {"restart count", [](RunOptions& o) { o.restart = "always:3"; }},
      {"rm+restart", [](RunOptions& o) { o.rm = true; o.restart = "always"; }},
      {"attach", [](RunOptions& o) { o.attach = {"stdtv"}; }},
      {"device container path", [](RunOptions& o) { o.devices = {"/dev/fuse:fuse"}; }},
      {"device mode", [](RunOptions& o) { o.devices = {"/dev/fuse:/dev/fuse:rwx"}; }},
      {"device parts", [](RunOptions& o) { o.devices = {"/a:/b:r:x"}; }},
      {"device cgroup rule", [](RunOptions& o) { o.device_cgroup_rules = {"c 1:3"}; }},
  };
  for (const auto& c : cases) {
    RunOptions o;
    o.image = "busybox";
    c.set(o);
    EXPECT_FALSE(build_create_request(o, false, fake_env())) << c.what;
  }
}

// docker-cli's parseLinuxDevice: HOST, HOST:CONTAINER, HOST:MODE, HOST:CONTAINER:MODE.
TEST(CreateRequest, DevicesAsTheDockerCliReadsThem) {
  RunOptions o;
  o.image = "busybox";
  o.devices = {"/dev/fuse", "/dev/null:/dev/xnull", "/dev/zero:r", "/dev/full:/dev/f:rw"};
  o.device_cgroup_rules = {"c 10:229 rwm", "b *:* r"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body["HostConfig"]["Devices"], Json::parse(R"([
      {"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/zero","PathInContainer":"/dev/zero","CgroupPermissions":"r"},
      {"PathOnHost":"/dev/full","PathInContainer":"/dev/f","CgroupPermissions":"rw"}])"));
  EXPECT_EQ(req->body["HostConfig"]["DeviceCgroupRules"], Json::parse(R"(["c 10:229 rwm","b *:* r"])"));
}

TEST(CreateRequest, CapsNormalizedAllWins) {
  RunOptions o;
  o.image = "busybox";
  o.cap_add = {"all", "net_admin"};
  o.cap_drop = {"cap_sys_admin"};
  auto req = build_create_request(o, false, fake_env());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body["HostConfig"]["CapAdd"], Json::parse(R"(["ALL"])"));
  EXPECT_EQ(req->body["HostConfig"]["CapDrop"], Json::parse(R"(["CAP_SYS_ADMIN"])"));
}

// docker-cli opts.go: the --health-* flags make Config.Healthcheck; none given, none sent.
TEST(CreateRequest, HealthFlags) {
  RunOptions o;
  o.image = "busybox";
  auto req = build_create_request(o, true, fake_env());
  ASSERT_TRUE(req);
  EXPECT_FALSE(req->body.contains("Healthcheck"));
  o.health_cmd = "curl -f localhost";
  o.health_interval = "150ms";
  o.health_timeout = "2s";
  o.health_start_period = "1m";
  o.health_start_interval = "100ms";
  o.health_retries = 4;
  req = build_create_request(o, true, fake_env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body["Healthcheck"].dump(),
            R"({"Test":["CMD-SHELL","curl -f localhost"],"Interval":150000000,"Timeout":2000000000,)"
            R"("StartPeriod":60000000000,"StartInterval":100000000,"Retries":4})");  // Go's field order
  o.no_healthcheck = true;
  req = build_create_request(o, true, fake_env());
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().message, "--no-healthcheck conflicts with --health-* options");
  RunOptions none;
  none.image = "busybox";
  none.no_healthcheck = true;
  req = build_create_request(none, true, fake_env());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->body["Healthcheck"].dump(), R"({"Test":["NONE"]})");
  RunOptions negative;
  negative.image = "busybox";
  negative.health_retries = -1;
  req = build_create_request(negative, true, fake_env());
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().message, "--health-retries cannot be negative");
  negative.health_retries = 0;
  negative.health_interval = "-1s";
  req = build_create_request(negative, true, fake_env());
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().message, "--health-interval cannot be negative");
}

TEST(CreateRequest, RestartOnUnhealthyIsBerthsOwnPolicy) {
  auto p = parse_restart_policy("on-unhealthy:3");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dump(), R"({"Name":"on-unhealthy","MaximumRetryCount":3})");
  EXPECT_TRUE(parse_restart_policy("on-unhealthy"));
  EXPECT_FALSE(parse_restart_policy("always:3"));
  EXPECT_FALSE(parse_restart_policy("sometimes"));
}

TEST(Helpers, UrlEncodeAndCompact) {
  EXPECT_EQ(url_encode("a b/c:d"), "a%20b%2Fc%3Ad");
  EXPECT_EQ(*compact_json("{ \"a\" : [1, 2], \"s\": \"x y\" }"), "{\"a\":[1,2],\"s\":\"x y\"}");
  EXPECT_FALSE(compact_json("{"));
}

}  // namespace
}  // namespace berth::cli
