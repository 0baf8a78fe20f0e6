// The create request of a rich service, field by field, as Compose v2 sends it.
#include <gtest/gtest.h>

#include "compose/labels.h"
#include "compose_ops/create_request.h"
#include "fake_engine.h"

namespace berth::compose_ops {
namespace {

using testing::load;

const char* kRich = R"(
services:
  web:
    image: busybox
    command: httpd -f -p 80
    entrypoint: ["/bin/sh", "-c"]
    environment:
      A: "1"
      FROM_ENV:
    hostname: webhost
    user: "1000:1000"
    working_dir: /srv
    ports: ["127.0.0.1:8080:80", "9000/udp"]
    expose: ["81"]
    volumes:
      - data:/data
      - ./html:/www:ro
      - type: tmpfs
        target: /cache
        tmpfs: {size: 1048576}
    tmpfs: [/run]
    networks:
      front:
        aliases: [www]
        ipv4_address: 172.30.0.10
      back: {}
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
      retries: 3
    restart: on-failure:3
    deploy:
      resources:
        limits: {memory: 64m, cpus: "0.5", pids: 100}
    init: true
    stop_grace_period: 5s
    stop_signal: SIGINT
    cap_add: [net_admin]
    cap_drop: [ALL]
    devices: ["/dev/fuse", "/dev/null:/dev/xnull:r"]
    device_cgroup_rules: ["c 10:229 rwm"]
    cpu_quota: 50000
    cpu_period: 100000
    cpuset: "0"
    mem_swappiness: 10
    oom_kill_disable: true
    oom_score_adj: 100
    cgroup_parent: mine
    runtime: berth-vm
    userns_mode: host
    uts: host
    privileged: false
    security_opt: ["no-new-privileges:true"]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    sysctls: {net.core.somaxconn: "1024"}
    extra_hosts: ["db:10.0.0.2"]
    dns: [1.1.1.1]
    shm_size: 32m
    read_only: true
    tty: true
    stdin_open: true
    logging:
      driver: json-file
      options: {max-size: 1m}
    group_add: ["100"]
    configs: [site]
    secrets: [token]
networks:
  front:
    ipam:
      config: [{subnet: 172.30.0.0/24}]
  back: {}
volumes:
  data: {}
configs:
  site:
    file: ./site.conf
secrets:
  token:
    file: ./token.txt
)";

TEST(CreateRequest, RichService) {
  compose::Project p = load(kRich);
  p.environment["FROM_ENV"] = "caller";
  const compose::Service& s = p.services.at("web");
  ContainerCreate c = *build_container_create(p, s, CreateOptions{.number = 2, .name = "proj-web-2", .image_id = "sha256:bb"});
  const Json& b = c.body;
  EXPECT_EQ(c.name, "proj-web-2");
  EXPECT_EQ(b["Image"], "busybox");
  EXPECT_EQ(b["Cmd"], Json({"httpd", "-f", "-p", "80"}));
  EXPECT_EQ(b["Entrypoint"], Json({"/bin/sh", "-c"}));
  EXPECT_EQ(b["Env"], Json({"A=1", "FROM_ENV=caller"}));
  EXPECT_EQ(b["Hostname"], "webhost");
  EXPECT_EQ(b["User"], "1000:1000");
  EXPECT_EQ(b["WorkingDir"], "/srv");
  EXPECT_TRUE(b["Tty"].get<bool>());
  EXPECT_TRUE(b["OpenStdin"].get<bool>());
  EXPECT_TRUE(b["ExposedPorts"].contains("80/tcp"));
  EXPECT_TRUE(b["ExposedPorts"].contains("9000/udp"));
  EXPECT_TRUE(b["ExposedPorts"].contains("81/tcp"));
  EXPECT_EQ(b["Healthcheck"]["Test"], Json({"CMD", "true"}));
  EXPECT_EQ(b["Healthcheck"]["Interval"], 2'000'000'000);
  EXPECT_EQ(b["Healthcheck"]["Retries"], 3);
  EXPECT_EQ(b["StopSignal"], "SIGINT");
  EXPECT_EQ(b["StopTimeout"], 5);

  const Json& l = b["Labels"];
  EXPECT_EQ(l["com.docker.compose.project"], "proj");
  EXPECT_EQ(l["com.docker.compose.service"], "web");
  EXPECT_EQ(l["com.docker.compose.container-number"], "2");
  EXPECT_EQ(l["com.docker.compose.oneoff"], "False");
  EXPECT_EQ(l["com.docker.compose.config-hash"], compose::config_hash(s));
  EXPECT_EQ(l["com.docker.compose.project.working_dir"], "/proj");
  EXPECT_EQ(l["com.docker.compose.project.config_files"], "/proj/compose.yaml");
  EXPECT_EQ(l["com.docker.compose.image"], "sha256:bb");
  EXPECT_TRUE(l.contains("com.docker.compose.version"));
  EXPECT_TRUE(l.contains("com.docker.compose.depends_on"));

  const Json& h = b["HostConfig"];
  EXPECT_EQ(h["Binds"], Json({"/proj/html:/www:ro"}));
  ASSERT_EQ(h["Mounts"].size(), 3u);
  EXPECT_EQ(h["Mounts"][0], Json({{"Type", "volume"}, {"Source", "proj_data"}, {"Target", "/data"}, {"ReadOnly", false}}));
  EXPECT_EQ(h["Mounts"][1], Json({{"Type", "bind"}, {"Source", "/proj/site.conf"}, {"Target", "/site"}, {"ReadOnly", true}}));
  EXPECT_EQ(h["Mounts"][2], Json({{"Type", "bind"}, {"Source", "/proj/token.txt"}, {"Target", "/run/secrets/token"}, {"ReadOnly", true}}));
  EXPECT_EQ(h["Tmpfs"]["/cache"], "size=1048576");
  EXPECT_EQ(h["Tmpfs"]["/run"], "");
  EXPECT_EQ(h["PortBindings"]["80/tcp"], Json::array({Json{{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}}));
  EXPECT_EQ(h["PortBindings"]["9000/udp"], Json::array({Json{{"HostIp", ""}, {"HostPort", ""}}}));
  EXPECT_EQ(h["RestartPolicy"], Json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(h["Memory"], 64 << 20);
  EXPECT_EQ(h["NanoCpus"], 500'000'000);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_TRUE(h["Init"].get<bool>());
  EXPECT_EQ(h["CapAdd"], Json({"CAP_NET_ADMIN"}));
  EXPECT_EQ(h["CapDrop"], Json({"ALL"}));
  EXPECT_EQ(h["Devices"], Json::parse(R"([{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"r"}])"));
  EXPECT_EQ(h["DeviceCgroupRules"], Json({"c 10:229 rwm"}));
  EXPECT_EQ(h["CpuQuota"], 50000);
  EXPECT_EQ(h["CpuPeriod"], 100000);
  EXPECT_EQ(h["CpusetCpus"], "0");
  EXPECT_EQ(h["MemorySwappiness"], 10);
  EXPECT_EQ(h["OomKillDisable"], true);
  EXPECT_EQ(h["OomScoreAdj"], 100);
  EXPECT_EQ(h["CgroupParent"], "mine");
  EXPECT_EQ(h["Runtime"], "berth-vm");
  EXPECT_EQ(h["UsernsMode"], "host");
  EXPECT_EQ(h["UTSMode"], "host");
  EXPECT_EQ(h["SecurityOpt"], Json({"no-new-privileges:true"}));
  EXPECT_TRUE(h["ReadonlyRootfs"].get<bool>());
  EXPECT_EQ(h["ShmSize"], 32 << 20);
  EXPECT_EQ(h["Sysctls"]["net.core.somaxconn"], "1024");
  EXPECT_EQ(h["Ulimits"], Json::parse(R"([{"Name":"nofile","Soft":1024,"Hard":2048},{"Name":"nproc","Soft":512,"Hard":512}])"));
  EXPECT_EQ(h["ExtraHosts"], Json({"db:10.0.0.2"}));
  EXPECT_EQ(h["Dns"], Json({"1.1.1.1"}));
  EXPECT_EQ(h["LogConfig"], Json::parse(R"({"Type":"json-file","Config":{"max-size":"1m"}})"));
  EXPECT_EQ(h["GroupAdd"], Json({"100"}));

  // The first network (by name) at create with the service name as alias; the other after.
  EXPECT_EQ(h["NetworkMode"], "proj_back");
  EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"]["proj_back"]["Aliases"], Json({"web"}));
  ASSERT_EQ(c.connect_after.size(), 1u);
  EXPECT_EQ(c.connect_after[0].network, "proj_front");
  EXPECT_EQ(c.connect_after[0].endpoint["Aliases"], Json({"web", "www"}));
  EXPECT_EQ(c.connect_after[0].endpoint["IPAMConfig"]["IPv4Address"], "172.30.0.10");
}

TEST(CreateRequest, LegacyResourceKeysAndNetworkMode) {
  compose::Project p = load(R"(
services:
  a:
    image: busybox
    mem_limit: 128m
    cpus: 1.5
    pids_limit: 50
    network_mode: "service:b"
    entrypoint: []
  b:
    image: busybox
)");
  ContainerCreate c = *build_container_create(p, p.services.at("a"), CreateOptions{.number = 1, .name = "proj-a-1"});
  const Json& h = c.body["HostConfig"];
  EXPECT_EQ(h["Memory"], 128 << 20);
  EXPECT_EQ(h["NanoCpus"], 1'500'000'000);
  EXPECT_EQ(h["PidsLimit"], 50);
  EXPECT_EQ(h["NetworkMode"], "container:proj-b-1");
  EXPECT_FALSE(c.body.contains("NetworkingConfig"));
  EXPECT_EQ(c.body["Entrypoint"], Json({""}));
  EXPECT_FALSE(c.body.contains("Cmd"));  // the image's
}

TEST(CreateRequest, OneOffOverrides) {
  compose::Project p = load("services:\n  a:\n    image: busybox\n    ports: ['8080:80']\n");
  CreateOptions o{.number = 1, .oneoff = true, .name = "proj-a-run-0123456789ab"};
  o.command = std::vector<std::string>{"echo", "hi"};
  o.entrypoint = "";
  o.extra_env = {"X=1"};
  o.auto_remove = true;
  o.no_ports = true;
  ContainerCreate c = *build_container_create(p, p.services.at("a"), o);
  EXPECT_EQ(c.body["Labels"]["com.docker.compose.oneoff"], "True");
  EXPECT_EQ(c.body["Cmd"], Json({"echo", "hi"}));
  EXPECT_EQ(c.body["Entrypoint"], Json({""}));
  EXPECT_EQ(c.body["Env"], Json({"X=1"}));
  EXPECT_TRUE(c.body["HostConfig"]["AutoRemove"].get<bool>());
  EXPECT_FALSE(c.body["HostConfig"].contains("PortBindings"));
}

}  // namespace
}  // namespace berth::compose_ops
