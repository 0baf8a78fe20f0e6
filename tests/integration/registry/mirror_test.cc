// Mirrors against Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh):
// a hosts.toml that maps registry.k8s.io (or gcr.io) to the loopback registry
// pulls upstream-named images through it, and registry-mirrors does the same
// for Docker Hub names. Nothing leaves the machine: every `server` the tests
// configure is a name under .invalid (RFC 6761: never resolves), so a pull can
// only succeed through the mirror, and the registry's access log shows the
// requests it served, with containerd's ?ns=<upstream>.
// Needs root (overlay snapshots for the unpacked layers).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/file.h"
#include "base/unique_fd.h"
#include "image/service.h"
#include "registry/puller.h"
#include "registry/pusher.h"
#include "support/local_registry.h"
#include "support/paths.h"

using namespace berth;
namespace fs = std::filesystem;
using berth::testing::LocalRegistry;

namespace {

class Mirrors : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_FAIL() << "needs root: overlay snapshots";
    char tmpl[] = "/tmp/berth-mirror-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    open_store("root");
    policy_.certs_dirs = {tmp_ + "/certs.d"};
    policy_.hosts_dirs = {tmp_ + "/config"};
  }
  void TearDown() override {
    svc_.reset();
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }
  void open_store(const std::string& name) {
    svc_.reset();
    auto svc = image::ImageService::open(tmp_ + "/" + name);
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
  }

  static LocalRegistry& reg() {
    static std::unique_ptr<LocalRegistry> r = LocalRegistry::start();
    return *r;
  }

  void hosts_toml(const std::string& host, const std::string& text) {
    fs::create_directories(tmp_ + "/config/" + host);
    std::ofstream(tmp_ + "/config/" + host + "/hosts.toml") << text;
  }

  Result<registry::PullResult> pull(const std::string& ref) {
    registry::PullOptions o;
    o.reference = ref;
    o.endpoints = policy_;
    messages_.clear();
    return registry::pull(http_, *svc_, o, [&](const registry::ProgressMessage& m) {
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
    });
  }
  Result<registry::PushResult> push(const std::string& ref) {
    registry::PushOptions o;
    o.reference = ref;
    o.endpoints = policy_;
    auto pushed = TRY(registry::push(http_, *svc_, o, [](const registry::ProgressMessage&) {}));
    if (pushed.size() != 1) return fail(Errc::Internal, "one tag pushed gave " + std::to_string(pushed.size()) + " results");
    return pushed.front();
  }
  // A one-layer image from a plain tar (as `docker import` makes it), tagged `ref`.
  void import_image(const std::string& ref) {
    std::string rootfs = tmp_ + "/rootfs";
    std::string cmd = berth::testing::fixture_path("make-rootfs.sh") + " " + rootfs + " >/dev/null 2>&1 && tar -C " +
                      rootfs + " -cf " + tmp_ + "/rootfs.tar .";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    UniqueFd fd(::open((tmp_ + "/rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC));
    image::ImportOptions options;
    options.created = "2024-01-02T03:04:05Z";
    auto info = svc_->import_rootfs(fd.get(), ref, options);
    ASSERT_TRUE(info) << info.error().str();
  }
  std::set<std::string> refs_of(const std::string& ref) {
    auto info = svc_->inspect(ref);
    EXPECT_TRUE(info) << info.error().str();
    return info ? std::set<std::string>(info->refs.begin(), info->refs.end()) : std::set<std::string>{};
  }

  // Whether the registry logged a request line containing `needle`. The access
  // log is written after the answer, through a pipe: wait for the file to
  // change (inotify) rather than for a time, up to a bound.
  static bool registry_logged(const std::string& needle) {
    std::string file = reg().dir() + "/registry.log";
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    ::inotify_add_watch(in.get(), file.c_str(), IN_MODIFY);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (true) {
      if (read_file(file).value_or("").find(needle) != std::string::npos) return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{in.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        char buf[4096];
        while (::read(in.get(), buf, sizeof buf) > 0) {
        }
      }
    }
  }

  std::string tmp_;
  std::unique_ptr<image::ImageService> svc_;
  registry::EndpointPolicy policy_;
  registry::Http http_;
  std::vector<std::string> messages_;
};

TEST_F(Mirrors, HostsTomlPullsAnUpstreamNameFromTheLoopbackRegistry) {
  hosts_toml("registry.k8s.io", "server = \"https://registry.k8s.io.invalid\"\n"
                                "[host.\"http://" + reg().address() + "\"]\n"
                                "  capabilities = [\"pull\", \"resolve\"]\n");
  std::string ref = "registry.k8s.io/test/busybox:v2s2";
  auto r = pull(ref);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, reg().digest_of("test/busybox:v2s2"));
  EXPECT_EQ(r->familiar, ref);
  auto refs = refs_of(ref);
  EXPECT_TRUE(refs.count(ref)) << "recorded under its upstream name";
  EXPECT_TRUE(refs.count("registry.k8s.io/test/busybox@" + r->digest));
  for (const auto& x : refs) EXPECT_EQ(x.find("127.0.0.1"), std::string::npos) << x << ": the mirror's name was recorded";
  ASSERT_FALSE(messages_.empty());
  EXPECT_EQ(messages_.back(), "Status: Downloaded newer image for " + ref);
  EXPECT_TRUE(registry_logged("\"GET /v2/test/busybox/manifests/v2s2?ns=registry.k8s.io HTTP/1.1\" 200"));
}

TEST_F(Mirrors, AMirrorDownOrWithoutTheImagePassesToTheNextThenTheServer) {
  // The loopback registry stands in for gcr.io as its server; before it, a
  // mirror that refuses connections and one whose API root answers 404.
  hosts_toml("gcr.io", "server = \"http://" + reg().address() + "\"\n"
                       "[host.\"http://127.0.0.1:1\"]\n"
                       "[host.\"http://" + reg().address() + "/nothing\"]\n"
                       "  capabilities = [\"pull\", \"resolve\"]\n");
  auto r = pull("gcr.io/test/multi:latest");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, reg().digest_of("test/multi:latest"));
  EXPECT_TRUE(refs_of("gcr.io/test/multi:latest").count("gcr.io/test/multi:latest"));
  EXPECT_TRUE(registry_logged("\"GET /nothing/v2/test/multi/manifests/latest?ns=gcr.io HTTP/1.1\" 404"));
  EXPECT_TRUE(registry_logged("\"GET /v2/test/multi/manifests/latest?ns=gcr.io HTTP/1.1\" 200"));
}

TEST_F(Mirrors, OnlyAMirrorWithoutItAndAnUnresolvableServerIsDockersError) {
  hosts_toml("registry.k8s.io", "server = \"https://registry.k8s.io.invalid\"\n"
                                "[host.\"http://" + reg().address() + "\"]\n");
  auto r = pull("registry.k8s.io/test/absent:v1");
  ASSERT_FALSE(r);
  // The mirror's answer (not found) says more than the server's silence.
  EXPECT_EQ(r.error().code, Errc::NotFound) << r.error().str();
  EXPECT_NE(r.error().message.find("registry.k8s.io/test/absent"), std::string::npos) << r.error().message;
}

TEST_F(Mirrors, PushGoesToTheServerNeverToAPullOnlyMirror) {
  hosts_toml("registry.k8s.io", "server = \"http://" + reg().address() + "\"\n"
                                "[host.\"http://127.0.0.1:1\"]\n"
                                "  capabilities = [\"pull\"]\n");
  import_image("registry.k8s.io/test/pushed:v1");
  auto p = push("registry.k8s.io/test/pushed:v1");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_TRUE(registry_logged("\"PUT /v2/test/pushed/manifests/v1?ns=registry.k8s.io HTTP/1.1\" 201"));
}

TEST_F(Mirrors, RegistryMirrorsServeDockerHubNames) {
  // library/berth-mirror-test:v1 on the loopback registry, as a Hub mirror would hold it.
  import_image(reg().address() + "/library/berth-mirror-test:v1");
  auto pushed = push(reg().address() + "/library/berth-mirror-test:v1");
  ASSERT_TRUE(pushed) << pushed.error().str();
  open_store("fresh");
  policy_.mirrors = {"http://" + reg().address() + "/"};
  // Should the mirror fail, Docker Hub itself must not be asked: its server is unresolvable here.
  hosts_toml("docker.io", "server = \"https://registry-1.docker.invalid\"\n");
  auto r = pull("berth-mirror-test:v1");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, pushed->digest);
  EXPECT_EQ(r->familiar, "berth-mirror-test:v1");
  auto refs = refs_of("berth-mirror-test:v1");
  EXPECT_TRUE(refs.count("docker.io/library/berth-mirror-test:v1")) << ::testing::PrintToString(refs);
  EXPECT_TRUE(registry_logged("\"GET /v2/library/berth-mirror-test/manifests/v1?ns=docker.io HTTP/1.1\" 200"));
}

}  // namespace
