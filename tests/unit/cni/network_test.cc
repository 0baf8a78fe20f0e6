// berth::cni::Network over fake plugins: the environment and stdin each plugin
// gets, chaining, capabilities, DEL from the cache, errors and time-outs.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cni/cni.h"
#include "fake_plugins.h"

namespace berth::cni {
namespace {

using nlohmann::json;
using testing::FakeCni;

const char* kResultA = R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/self/ns/net"}],
  "ips":[{"address":"10.213.0.7/24","gateway":"10.213.0.1","interface":0}]})";
const char* kResultB = R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/self/ns/net"}],
  "ips":[{"address":"10.213.0.7/24","gateway":"10.213.0.1","interface":0}],"dns":{"nameservers":["10.213.0.1"]}})";

class CniNetwork : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* p : {"a", "b", "c"}) cni.add_plugin(p);
    cni.can("a", "ADD", kResultA);
    cni.can("b", "ADD", kResultB);
  }
  std::unique_ptr<Network> open(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    auto options = cni.options();
    options.plugin_timeout = timeout;
    auto net = Network::open(options);
    EXPECT_TRUE(net) << net.error().str();
    return std::move(*net);
  }
  AttachRequest request() const {
    AttachRequest r;
    r.container_id = "pod1";
    r.netns_path = "/proc/self/ns/net";
    r.args = {{"K8S_POD_NAMESPACE", "ns"}, {"K8S_POD_NAME", "web"}, {"IgnoreUnknown", "1"}};
    return r;
  }
  std::string cache_file() const { return cni.dir("cache") + "/pod1/eth0.json"; }

  FakeCni cni;
};

TEST_F(CniNetwork, ReadyExplainsThatNoConfigIsThereNamingTheDir) {
  auto net = open();
  auto ready = net->ready();
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code, Errc::Unavailable);
  EXPECT_NE(ready.error().message.find("cni config uninitialized"), std::string::npos) << ready.error().message;
  EXPECT_NE(ready.error().message.find(cni.dir("conf")), std::string::npos) << ready.error().message;
  EXPECT_EQ(net->network_name(), "");
  auto attached = net->attach(request());
  ASSERT_FALSE(attached);
  EXPECT_EQ(attached.error().code, Errc::Unavailable);
}

TEST_F(CniNetwork, AConfigWrittenLaterIsPickedUp) {
  auto net = open();
  ASSERT_FALSE(net->ready());
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"later","plugins":[{"type":"a"}]})");
  EXPECT_TRUE(net->ready()) << net->ready().error().str();
  EXPECT_EQ(net->network_name(), "later");
}

TEST_F(CniNetwork, ReadyNamesAMissingPluginAndTheBinDir) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[{"type":"a"},{"type":"nosuch"}]})");
  auto net = open();
  auto ready = net->ready();
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message.find("\"nosuch\" not found"), std::string::npos) << ready.error().message;
  EXPECT_NE(ready.error().message.find(cni.dir("bin")), std::string::npos) << ready.error().message;
  EXPECT_EQ(net->network_name(), "x");
}

TEST_F(CniNetwork, ReadyRefusesAVersionAPluginDoesNotSupport) {
  cni.can("b", "VERSION", R"({"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]})");
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[{"type":"a"},{"type":"b"}]})");
  auto ready = open()->ready();
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message.find("cniVersion 1.0.0, which plugin " + cni.dir("bin") + "/b does not support"),
            std::string::npos)
      << ready.error().message;
}

TEST_F(CniNetwork, AddRunsThePluginsInOrderChainingResults) {
  cni.write_conf("10-x.conflist",
                 R"({"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"a","keep":1},{"type":"b"}]})");
  auto net = open();
  ASSERT_TRUE(net->ready()) << net->ready().error().str();
  auto result = net->attach(request());
  ASSERT_TRUE(result) << result.error().str();
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"a ADD", "b ADD"}));

  json a = cni.stdin_of("a", "ADD"), b = cni.stdin_of("b", "ADD");
  EXPECT_EQ(a["name"], "chain");
  EXPECT_EQ(a["cniVersion"], "1.0.0");
  EXPECT_EQ(a["keep"], 1);
  EXPECT_FALSE(a.contains("prevResult"));
  EXPECT_EQ(b["prevResult"], json::parse(kResultA));

  std::string env = cni.env_of("a", "ADD");
  EXPECT_NE(env.find("CNI_COMMAND=ADD\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_CONTAINERID=pod1\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_NETNS=/proc/self/ns/net\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_IFNAME=eth0\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_ARGS=K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;IgnoreUnknown=1\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CNI_PATH=" + cni.dir("bin") + "\n"), std::string::npos) << env;

  ASSERT_EQ(result->ips.size(), 1u);
  EXPECT_EQ(result->ips[0].address, "10.213.0.7/24");
  EXPECT_EQ(result->dns_servers, std::vector<std::string>{"10.213.0.1"});  // the last plugin's result
  struct stat st{};
  ASSERT_EQ(::stat(cache_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  json cached = json::parse(FakeCni::read(cache_file()));
  EXPECT_EQ(cached["config"]["name"], "chain");
  EXPECT_EQ(cached["result"], json::parse(kResultB));
}

TEST_F(CniNetwork, CapabilityArgumentsReachOnlyThePluginsThatAskForThem) {
  cni.can("c", "ADD", kResultB);
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"caps","plugins":[
    {"type":"a"},
    {"type":"b","capabilities":{"portMappings":true}},
    {"type":"c","capabilities":{"portMappings":false,"cgroupPath":true},"runtimeConfig":{"stale":1}}]})");
  auto req = request();
  req.port_mappings = {{8080, 80, "tcp", ""}, {5353, 53, "udp", "127.0.0.1"}};
  req.cgroup_path = "/kubepods/pod1";
  auto result = open()->attach(req);
  ASSERT_TRUE(result) << result.error().str();
  EXPECT_FALSE(cni.stdin_of("a", "ADD").contains("runtimeConfig"));
  json b = cni.stdin_of("b", "ADD")["runtimeConfig"];
  EXPECT_EQ(b, json::parse(R"({"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},
    {"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}]})"));
  EXPECT_EQ(cni.stdin_of("c", "ADD")["runtimeConfig"], json::parse(R"({"cgroupPath":"/kubepods/pod1"})"));
}

TEST_F(CniNetwork, DelRunsInReverseWithTheCachedResultAndForgetsIt) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"0.4.0","name":"n","plugins":[
    {"type":"a"},{"type":"b","capabilities":{"portMappings":true}}]})");
  auto net = open();
  auto req = request();
  req.port_mappings = {{8080, 80, "tcp", ""}};
  ASSERT_TRUE(net->attach(req));
  cni.clear_log();
  auto del = request();  // what a StopPodSandbox after a restart knows: no port mappings, no args
  del.args.clear();
  ASSERT_TRUE(net->detach(del));
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"b DEL", "a DEL"}));
  json b = cni.stdin_of("b", "DEL");
  EXPECT_EQ(b["prevResult"], json::parse(kResultB));
  EXPECT_EQ(b["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);  // from the cache
  EXPECT_NE(cni.env_of("a", "DEL").find("CNI_ARGS=K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;IgnoreUnknown=1\n"),
            std::string::npos);
  EXPECT_NE(cni.env_of("a", "DEL").find("CNI_COMMAND=DEL\n"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
  EXPECT_FALSE(std::filesystem::exists(cni.dir("cache") + "/pod1"));
  // Deleted already: nothing runs, and it succeeds.
  cni.clear_log();
  ASSERT_TRUE(net->detach(request()));
  EXPECT_TRUE(cni.order().empty());
}

TEST_F(CniNetwork, DelBefore040GetsNoPrevResult) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"0.3.1","name":"old","plugins":[{"type":"a"},{"type":"b"}]})");
  auto net = open();
  ASSERT_TRUE(net->attach(request()));
  ASSERT_TRUE(net->detach(request()));
  EXPECT_FALSE(cni.stdin_of("b", "DEL").contains("prevResult"));
  EXPECT_EQ(cni.stdin_of("b", "DEL")["cniVersion"], "0.3.1");
}

TEST_F(CniNetwork, DelAfterTheConfigChangedUsesTheCachedConfig) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"first","plugins":[{"type":"a"},{"type":"b"}]})");
  {
    auto net = open();
    ASSERT_TRUE(net->attach(request()));
  }  // the daemon goes away
  std::filesystem::remove(cni.dir("conf") + "/10-x.conflist");
  cni.write_conf("20-y.conflist", R"({"cniVersion":"1.0.0","name":"second","plugins":[{"type":"c"}]})");
  cni.clear_log();
  auto net = open();  // a new daemon
  EXPECT_EQ(net->network_name(), "second");
  ASSERT_TRUE(net->detach(request()));
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"b DEL", "a DEL"}));
  EXPECT_EQ(cni.stdin_of("a", "DEL")["name"], "first");
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
}

TEST_F(CniNetwork, DelWithTheNetnsGoneStillRunsThePluginsWithAnEmptyNetns) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  // A netns that goes away: a child's, then the child exits.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto req = request();
  req.netns_path = "/proc/" + std::to_string(child) + "/ns/net";
  auto net = open();
  auto added = net->attach(req);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(added) << added.error().str();
  EXPECT_NE(cni.env_of("a", "ADD").find("CNI_NETNS=" + req.netns_path + "\n"), std::string::npos);
  ASSERT_TRUE(net->detach(req));
  EXPECT_NE(cni.env_of("a", "DEL").find("CNI_NETNS=\n"), std::string::npos) << cni.env_of("a", "DEL");
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
}

TEST_F(CniNetwork, DelOfSomethingNeverAddedSucceedsWithoutRunningPlugins) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  auto req = request();
  req.netns_path = "/nonexistent";
  ASSERT_TRUE(open()->detach(req));
  EXPECT_FALSE(cni.ran("a", "DEL"));
}

TEST_F(CniNetwork, AFailingDelKeepsTheCacheForARetry) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  auto net = open();
  ASSERT_TRUE(net->attach(request()));
  cni.can("a", "DEL", R"({"cniVersion":"1.0.0","code":11,"msg":"lock busy"})", 1);
  auto del = net->detach(request());
  ASSERT_FALSE(del);
  EXPECT_NE(del.error().message.find("plugin \"a\" (DEL) failed: lock busy (CNI error 11: try again later)"),
            std::string::npos)
      << del.error().message;
  EXPECT_TRUE(std::filesystem::exists(cache_file()));
  cni.can("a", "DEL", "");
  std::filesystem::remove(cni.dir("canned") + "/a.DEL.exit");
  ASSERT_TRUE(net->detach(request()));
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
}

TEST_F(CniNetwork, APluginErrorNamesThePluginAndTheNetworkAndIsUndone) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]})");
  cni.can("b", "ADD", R"({"cniVersion":"1.0.0","code":7,"msg":"bad bridge","details":"no such device"})", 1);
  auto result = open()->attach(request());
  ASSERT_FALSE(result);
  const auto& msg = result.error().message;
  EXPECT_NE(msg.find("network \"n\", container pod1: plugin \"b\" (ADD) failed: bad bridge: no such device "
                     "(CNI error 7: invalid network config)"),
            std::string::npos)
      << msg;
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"a ADD", "b ADD", "b DEL", "a DEL"}));
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
}

TEST_F(CniNetwork, AnAddThatLostTheRaceToCreateASharedChainIsRunOnceMore) {
  // Debian's portmap 1.1.1 on iptables-nft: two pods' ADDs both create CNI-HOSTPORT-MASQ.
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]})");
  cni.fail_once("b", "ADD", R"({"cniVersion":"1.0.0","code":999,"msg":"unable to create chain CNI-HOSTPORT-SETMARK: )"
                            R"(running [/usr/sbin/iptables -t nat -N CNI-HOSTPORT-MASQ --wait]: exit status 4: iptables )"
                            R"(v1.8.9 (nf_tables):  CHAIN_USER_ADD failed (File exists): chain CNI-HOSTPORT-MASQ\n"})");
  auto result = open()->attach(request());
  ASSERT_TRUE(result) << result.error().str();
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"a ADD", "b ADD", "b ADD"}));
}

TEST_F(CniNetwork, AnyOtherFailedAddIsNotRunAgain) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]})");
  cni.fail_once("b", "ADD", R"({"cniVersion":"1.0.0","code":999,"msg":"failed to set bridge addr: File exists"})");
  auto result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_EQ(cni.order(), (std::vector<std::string>{"a ADD", "b ADD", "b DEL", "a DEL"}));
}

TEST_F(CniNetwork, ACniErrorWithFieldsOfTheWrongTypeIsStillReported) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  cni.can("a", "ADD", R"({"code":"seven","msg":42,"details":"what it said"})", 1);
  auto result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("plugin \"a\" (ADD) failed: what it said"), std::string::npos)
      << result.error().message;
}

TEST_F(CniNetwork, ADamagedCacheRecordIsReportedNotGuessedAt) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  auto net = open();
  ASSERT_TRUE(net->attach(request()));
  json record = json::parse(FakeCni::read(cache_file()));
  record["portMappings"] = json::array({{{"hostPort", "eighty"}}});
  FakeCni::write(cache_file(), record.dump());
  auto del = net->detach(request());
  ASSERT_FALSE(del);
  EXPECT_NE(del.error().message.find("CNI cache file " + cache_file() + " is not a berth attachment record"),
            std::string::npos)
      << del.error().message;
}

TEST_F(CniNetwork, AFailureWithoutACniErrorReportsStderr) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  cni.can("a", "ADD", "", 2);
  cni.can_stderr("a", "ADD", "panic: something\nexit because of boom\n");
  auto result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("plugin \"a\" (ADD) failed with exit status 2: exit because of boom"),
            std::string::npos)
      << result.error().message;
}

TEST_F(CniNetwork, APluginThatPrintsNoResultOrNotAResultFails) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  cni.can("a", "ADD", "");
  auto result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("plugin \"a\" (ADD) printed no result"), std::string::npos)
      << result.error().message;
  cni.can("a", "ADD", "hello");
  result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("printed something that is not JSON: hello"), std::string::npos)
      << result.error().message;
  cni.can("a", "ADD", R"({"cniVersion":"1.0.0","ips":[{"address":"nonsense"}]})");
  result = open()->attach(request());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("the result of the last plugin, a: ips address \"nonsense\""),
            std::string::npos)
      << result.error().message;
}

TEST_F(CniNetwork, APluginThatHangsIsKilledAfterTheTimeout) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  cni.hang("a", "ADD");
  auto result = open(std::chrono::milliseconds(300))->attach(request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Unavailable);
  EXPECT_NE(result.error().message.find("plugin \"a\" (ADD) did not finish within 300 ms and was killed"),
            std::string::npos)
      << result.error().message;
  EXPECT_TRUE(cni.ran("a", "DEL"));  // undone
}

TEST_F(CniNetwork, BadRequestsAreRefusedSayingWhy) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  auto net = open();
  auto req = request();
  req.netns_path = cni.dir("conf");
  auto r = net->attach(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("is not a namespace file"), std::string::npos) << r.error().message;
  req = request();
  req.container_id = "../x";
  r = net->attach(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("container id \"../x\""), std::string::npos) << r.error().message;
  req = request();
  req.ifname = "";
  ASSERT_FALSE(net->detach(req));
  EXPECT_FALSE(cni.ran("a", "ADD"));
}

TEST_F(CniNetwork, ASingleConfFileIsRunAsAListOfOne) {
  cni.write_conf("10-one.conf", R"({"cniVersion":"0.4.0","name":"single","type":"a","mtu":1400})");
  auto net = open();
  ASSERT_TRUE(net->attach(request()));
  json a = cni.stdin_of("a", "ADD");
  EXPECT_EQ(a["name"], "single");
  EXPECT_EQ(a["mtu"], 1400);
  EXPECT_EQ(a["type"], "a");
}

TEST_F(CniNetwork, TheCachedAttachmentsAreListed) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]})");
  auto net = open();
  auto none = net->attachments();
  ASSERT_TRUE(none) << none.error().str();  // no cache dir yet
  EXPECT_TRUE(none->empty());
  auto one = request(), two = request();
  two.container_id = "pod2";
  two.ifname = "net1";
  ASSERT_TRUE(net->attach(one));
  ASSERT_TRUE(net->attach(two));
  FakeCni::write(cni.dir("cache") + "/pod2/junk.json", "{");  // unreadable: skipped
  auto listed = net->attachments();
  ASSERT_TRUE(listed) << listed.error().str();
  ASSERT_EQ(listed->size(), 2u);
  std::set<std::string> keys;
  for (const auto& a : *listed) {
    keys.insert(a.container_id + "/" + a.ifname);
    EXPECT_EQ(a.network_name, "n");
    EXPECT_EQ(a.netns_path, "/proc/self/ns/net");
  }
  EXPECT_EQ(keys, (std::set<std::string>{"pod1/eth0", "pod2/net1"}));
  ASSERT_TRUE(net->detach(one));
  EXPECT_EQ(net->attachments()->size(), 1u);
}

TEST_F(CniNetwork, AttachmentsOfDifferentPodsRunInParallel) {
  cni.write_conf("10-x.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]})");
  auto net = open();
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto req = request();
      req.container_id = "pod" + std::to_string(i);
      ok[i] = net->attach(req).has_value() && net->detach(req).has_value();
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(ok[i]) << "pod" << i;
  EXPECT_EQ(cni.order().size(), 8u * 4u);
  EXPECT_TRUE(std::filesystem::is_empty(cni.dir("cache")));
}

}  // namespace
}  // namespace berth::cni
