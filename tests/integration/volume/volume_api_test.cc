// Named volumes as the real Docker CLI sees them: a real server::Server on a
// temp UNIX socket with add_volume_routes over a VolumeService in a temp data
// root, driven by /usr/local/bin/docker through DOCKER_HOST. Root: tmpfs
// volumes are mounted with mount(2) and copy-up keeps owners.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/http/server.h"
#include "engine/area_backends.h"
#include "server/routes/routes.h"
#include "support/bundle.h"
#include "volume/service.h"

using namespace berth;
using berth::testing::CmdResult;
using berth::testing::mounts_containing;
using berth::testing::run_command;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDocker = "/usr/local/bin/docker";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class VolumeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (tmpfs volumes are mounted, copy-up keeps owners)";
    if (::access(kDocker, X_OK) != 0) GTEST_SKIP() << "no Docker CLI at " << kDocker;
    char tmpl[] = "/tmp/berth-vo-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/docker-config");
    open_service();
    start_server();
    ::setenv("DOCKER_HOST", ("unix://" + socket_).c_str(), 1);
    ::setenv("DOCKER_CONFIG", (dir_ + "/docker-config").c_str(), 1);
    ::unsetenv("DOCKER_CONTEXT");
    ::unsetenv("DOCKER_API_VERSION");
  }

  void TearDown() override {
    stop_server();
    svc_.reset();
    if (dir_.empty()) return;
    // Nothing may stay mounted below the temp dir, whatever a test did.
    for (const auto& line : mounts_containing(dir_)) {
      std::istringstream in(line);
      std::string dev, target;
      in >> dev >> target;
      ADD_FAILURE() << "left mounted: " << line;
      ::umount2(target.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void open_service() {
    auto svc = volume::VolumeService::open(dir_ + "/root", dir_ + "/root/metadata.db");
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
    svc_->set_in_use([this](const std::string& v) {
      std::lock_guard lk(users_mu_);
      auto it = users_.find(v);
      return it == users_.end() ? std::vector<std::string>{} : it->second;
    });
  }

  void start_server() {
    server::Router router;
    api_ = std::make_unique<engine::VolumeBackendImpl>(*svc_);
    server::add_volume_routes(router, *api_);
    add_system_routes(router);
    server::ServerOptions opts;
    opts.common_headers = {{"Api-Version", "1.41"}, {"Ostype", "linux"}, {"Docker-Experimental", "false"}};
    server_ = std::make_unique<server::Server>(std::move(router), opts);
    socket_ = dir_ + "/docker.sock";
    auto l = server_->listen("unix://" + socket_, 0660, "");
    ASSERT_TRUE(l) << l.error().str();
    thread_ = std::thread([this] { (void)server_->run(); });
  }

  void stop_server() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  // The CLI needs /_ping to negotiate; berthd's real system routes are the engine's.
  static void add_system_routes(server::Router& router) {
    auto ping = [](server::Request&, server::ResponseWriter& w) {
      return w.send(200, "text/plain; charset=utf-8", "OK",
                    {{"API-Version", "1.41"}, {"OSType", "linux"}, {"Builder-Version", ""},
                     {"Cache-Control", "no-cache, no-store, must-revalidate"}});
    };
    router.add("GET", "/_ping", ping);
    router.add("HEAD", "/_ping", ping);
    router.add("GET", "/version", [](server::Request&, server::ResponseWriter& w) {
      return w.json(200, {{"Version", "0.1.0"}, {"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"},
                          {"Os", "linux"}, {"Arch", "amd64"}});
    });
  }

  CmdResult docker(std::vector<std::string> args) {
    args.insert(args.begin(), kDocker);
    return run_command(args);
  }

  std::string ok(std::vector<std::string> args) {
    auto r = docker(args);
    EXPECT_EQ(r.status, 0) << "docker " << args[0] << ": " << r.err;
    return trim(r.out);
  }

  nlohmann::json inspect(const std::string& name) {
    auto j = nlohmann::json::parse(ok({"volume", "inspect", name}), nullptr, false);
    EXPECT_TRUE(j.is_array() && j.size() == 1);
    return j.is_array() && !j.empty() ? j[0] : nlohmann::json();
  }

  void set_users(const std::string& volume, std::vector<std::string> ids) {
    std::lock_guard lk(users_mu_);
    users_[volume] = std::move(ids);
  }

  std::string dir_, socket_;
  std::unique_ptr<volume::VolumeService> svc_;
  std::unique_ptr<engine::VolumeBackendImpl> api_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::mutex users_mu_;
  std::map<std::string, std::vector<std::string>> users_;
};

TEST_F(VolumeApiTest, CreateListInspectRemove) {
  EXPECT_EQ(ok({"volume", "create", "--label", "env=prod", "--label", "team", "data1"}), "data1");
  EXPECT_EQ(ok({"volume", "create", "data2"}), "data2");
  std::string anon = ok({"volume", "create"});
  EXPECT_EQ(anon.size(), 64u) << anon;

  // docker volume ls sorts by name; the anonymous volume's random name may
  // sort before or after the others.
  std::vector<std::string> names = {anon, "data1", "data2"};
  std::sort(names.begin(), names.end());
  std::string listing = "DRIVER    VOLUME NAME";
  for (const auto& n : names) listing += "\nlocal     " + n;
  EXPECT_EQ(ok({"volume", "ls"}), listing);
  EXPECT_EQ(ok({"volume", "ls", "-q", "--filter", "label=env=prod"}), "data1");
  EXPECT_EQ(ok({"volume", "ls", "-q", "--filter", "name=data"}), "data1\ndata2");
  EXPECT_EQ(ok({"volume", "ls", "-q", "--filter", "dangling=true", "--filter", "label=team"}), "data1");

  auto j = inspect("data1");
  EXPECT_EQ(j["Name"], "data1");
  EXPECT_EQ(j["Driver"], "local");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Labels"], (nlohmann::json{{"env", "prod"}, {"team", ""}}));
  EXPECT_EQ(j["Mountpoint"], dir_ + "/root/volumes/data1/_data");
  EXPECT_EQ(j["Options"], nlohmann::json::object());
  EXPECT_FALSE(j.value("CreatedAt", "").empty());
  EXPECT_TRUE(fs::is_directory(dir_ + "/root/volumes/data1/_data"));
  EXPECT_EQ(ok({"volume", "inspect", "--format", "{{.Driver}} {{.Mountpoint}}", "data2"}),
            "local " + dir_ + "/root/volumes/data2/_data");
  EXPECT_EQ(inspect(anon)["Labels"], (nlohmann::json{{"com.docker.volume.anonymous", ""}}));

  // Creating an existing name returns it unchanged.
  EXPECT_EQ(ok({"volume", "create", "--label", "x=y", "data1"}), "data1");
  EXPECT_EQ(inspect("data1")["Labels"].size(), 2u);

  auto bad = docker({"volume", "create", "a/b"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("create a/b: \"a/b\" includes invalid characters for a local volume name, only "
                         "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use "
                         "absolute path"),
            std::string::npos)
      << bad.err;
  auto plugin = docker({"volume", "create", "-d", "nfsx", "v9"});
  EXPECT_NE(plugin.status, 0);
  EXPECT_NE(plugin.err.find("plugin \"nfsx\" not found"), std::string::npos) << plugin.err;
  auto opt = docker({"volume", "create", "--opt", "bogus=1", "v9"});
  EXPECT_NE(opt.status, 0);
  EXPECT_NE(opt.err.find("create v9: invalid option: \"bogus\""), std::string::npos) << opt.err;

  auto missing = docker({"volume", "inspect", "nope"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("get nope: no such volume"), std::string::npos) << missing.err;
  auto rm_missing = docker({"volume", "rm", "nope"});
  EXPECT_NE(rm_missing.status, 0);
  EXPECT_NE(rm_missing.err.find("no such volume"), std::string::npos) << rm_missing.err;
  EXPECT_EQ(docker({"volume", "rm", "-f", "nope"}).status, 0);

  EXPECT_EQ(ok({"volume", "rm", "data2", anon}), "data2\n" + anon);
  EXPECT_FALSE(fs::exists(dir_ + "/root/volumes/data2"));
  EXPECT_EQ(ok({"volume", "ls", "-q"}), "data1");
}

TEST_F(VolumeApiTest, InUseVolumesAreKept) {
  ok({"volume", "create", "busy"});
  ok({"volume", "create", "idle"});
  set_users("busy", {"c0ffee", "beef"});
  auto r = docker({"volume", "rm", "busy"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("remove busy: volume is in use - [c0ffee beef]"), std::string::npos) << r.err;
  EXPECT_NE(docker({"volume", "rm", "-f", "busy"}).status, 0);  // force does not override use
  EXPECT_EQ(ok({"volume", "ls", "-q", "--filter", "dangling=false"}), "busy");
  EXPECT_EQ(ok({"volume", "ls", "-q", "--filter", "dangling=true"}), "idle");

  // A mounted volume is in use too.
  ASSERT_TRUE(svc_->mount("idle", "c1"));
  auto r2 = docker({"volume", "rm", "idle"});
  EXPECT_NE(r2.err.find("remove idle: volume is in use - [c1]"), std::string::npos) << r2.err;
  svc_->unmount("idle", "c1");

  { std::ofstream(svc_->data_dir("idle") + "/f") << "hello"; }
  EXPECT_EQ(ok({"volume", "prune", "-f"}), "Deleted Volumes:\nidle\n\nTotal reclaimed space: 5B");
  EXPECT_EQ(ok({"volume", "ls", "-q"}), "busy");
  set_users("busy", {});
  EXPECT_EQ(ok({"volume", "rm", "busy"}), "busy");
}

TEST_F(VolumeApiTest, PruneHonoursLabels) {
  ok({"volume", "create", "--label", "keep", "k1"});
  ok({"volume", "create", "p1"});
  EXPECT_EQ(ok({"volume", "prune", "-f", "--filter", "label!=keep"}),
            "Deleted Volumes:\np1\n\nTotal reclaimed space: 0B");
  EXPECT_EQ(ok({"volume", "ls", "-q"}), "k1");
}

TEST_F(VolumeApiTest, TmpfsVolumeIsMountedWhileUsed) {
  EXPECT_EQ(ok({"volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=1m", "tmp1"}),
            "tmp1");
  auto j = inspect("tmp1");
  EXPECT_EQ(j["Options"], (nlohmann::json{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}}));
  std::string data = svc_->data_dir("tmp1");
  EXPECT_TRUE(mounts_containing(data).empty());

  auto p1 = svc_->mount("tmp1", "c1");
  ASSERT_TRUE(p1) << p1.error().str();
  EXPECT_EQ(*p1, data);
  auto m = mounts_containing(data);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rfind("tmpfs " + data + " tmpfs ", 0), 0u) << m[0];
  EXPECT_NE(m[0].find("size=1024k"), std::string::npos) << m[0];
  { std::ofstream(data + "/in-tmpfs") << "x"; }
  ASSERT_TRUE(svc_->mount("tmp1", "c2"));
  EXPECT_EQ(mounts_containing(data).size(), 1u);  // mounted once
  svc_->unmount("tmp1", "c1");
  EXPECT_EQ(mounts_containing(data).size(), 1u);
  EXPECT_TRUE(fs::exists(data + "/in-tmpfs"));
  svc_->unmount("tmp1", "c2");
  EXPECT_TRUE(mounts_containing(data).empty());
  EXPECT_FALSE(fs::exists(data + "/in-tmpfs"));  // the tmpfs is gone

  // Mounted volumes survive a daemon restart: the reopened service knows
  // _data is mounted and does not mount it twice.
  ASSERT_TRUE(svc_->mount("tmp1", "c3"));
  stop_server();
  svc_.reset();
  open_service();
  EXPECT_TRUE(svc_->is_mounted("tmp1"));
  ASSERT_TRUE(svc_->mount("tmp1", "c3"));  // the engine's restore
  EXPECT_EQ(mounts_containing(data).size(), 1u);
  svc_->unmount("tmp1", "c3");
  EXPECT_TRUE(mounts_containing(data).empty());

  // Bad mount options fail at mount(), not at create (as dockerd).
  start_server();
  ok({"volume", "create", "--opt", "type=nosuchfs", "--opt", "device=none", "badfs"});
  auto bad = svc_->mount("badfs", "c1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("failed to mount local volume"), std::string::npos) << bad.error().str();
  EXPECT_EQ(ok({"volume", "rm", "badfs", "tmp1"}), "badfs\ntmp1");
}

// A small image-like rootfs for copy-up.
struct Rootfs {
  std::string root;
  explicit Rootfs(const std::string& dir, const std::string& host_secret_dir) : root(dir + "/rootfs") {
    fs::create_directories(root + "/data/sub/deeper");
    { std::ofstream(root + "/data/file") << "image content"; }
    { std::ofstream(root + "/data/sub/deeper/f2") << "x"; }
    ::chown((root + "/data/file").c_str(), 1000, 1001);
    ::chmod((root + "/data/file").c_str(), 0640);
    ::chown((root + "/data").c_str(), 123, 456);
    ::chmod((root + "/data").c_str(), 0750);
    fs::create_symlink("/etc/passwd", root + "/data/link");
    // An absolute symlink stays inside the root; a ".." one climbs out.
    fs::create_symlink("/data", root + "/abs");
    fs::create_symlink("../../../../../../../../.." + host_secret_dir, root + "/escape");
    { std::ofstream(root + "/plainfile") << "not a dir"; }
  }
};

TEST_F(VolumeApiTest, CopyUpFillsAnEmptyVolumeOnce) {
  fs::create_directories(dir_ + "/host-secret");
  { std::ofstream(dir_ + "/host-secret/secret") << "host"; }
  Rootfs rootfs(dir_, dir_ + "/host-secret");
  ok({"volume", "create", "cv"});
  auto r = svc_->copy_up("cv", rootfs.root, "/data");
  ASSERT_TRUE(r) << r.error().str();
  std::string data = svc_->data_dir("cv");
  struct stat st;
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 123u);
  EXPECT_EQ(st.st_gid, 456u);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(::lstat((data + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(berth::testing::slurp(data + "/file"), "image content");
  EXPECT_TRUE(fs::exists(data + "/sub/deeper/f2"));
  EXPECT_TRUE(fs::is_symlink(data + "/link"));
  EXPECT_EQ(fs::read_symlink(data + "/link"), "/etc/passwd");

  // Not empty any more: a second copy-up changes nothing.
  fs::remove(data + "/file");
  ASSERT_TRUE(svc_->copy_up("cv", rootfs.root, "/data"));
  EXPECT_FALSE(fs::exists(data + "/file"));

  // An absolute symlink resolves inside the root.
  ok({"volume", "create", "cv2"});
  ASSERT_TRUE(svc_->copy_up("cv2", rootfs.root, "/abs"));
  EXPECT_EQ(berth::testing::slurp(svc_->data_dir("cv2") + "/file"), "image content");

  // A ".." symlink out of the root is refused; nothing of the host is copied.
  ok({"volume", "create", "cv3"});
  auto esc = svc_->copy_up("cv3", rootfs.root, "/escape");
  ASSERT_FALSE(esc);
  EXPECT_EQ(esc.error().code, Errc::InvalidArgument) << esc.error().str();
  auto esc2 = svc_->copy_up("cv3", rootfs.root, "/escape/secret/..");
  EXPECT_FALSE(esc2 && fs::exists(svc_->data_dir("cv3") + "/secret"));
  EXPECT_TRUE(fs::is_empty(svc_->data_dir("cv3")));

  // Missing paths and files copy nothing.
  ASSERT_TRUE(svc_->copy_up("cv3", rootfs.root, "/no/such/dir"));
  ASSERT_TRUE(svc_->copy_up("cv3", rootfs.root, "/plainfile"));
  EXPECT_TRUE(fs::is_empty(svc_->data_dir("cv3")));

  // A tmpfs volume: copy-up goes into the mounted tmpfs, and needs the mount.
  ok({"volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "tcv"});
  auto unmounted = svc_->copy_up("tcv", rootfs.root, "/data");
  ASSERT_FALSE(unmounted);
  EXPECT_EQ(unmounted.error().code, Errc::Conflict);
  ASSERT_TRUE(svc_->mount("tcv", "c1"));
  ASSERT_TRUE(svc_->copy_up("tcv", rootfs.root, "/data"));
  EXPECT_EQ(berth::testing::slurp(svc_->data_dir("tcv") + "/file"), "image content");
  svc_->unmount("tcv", "c1");
  EXPECT_FALSE(fs::exists(svc_->data_dir("tcv") + "/file"));
}

TEST_F(VolumeApiTest, DataSurvivesAReopen) {
  ok({"volume", "create", "--label", "a=b", "persist"});
  { std::ofstream(svc_->data_dir("persist") + "/keep") << "kept"; }
  stop_server();
  svc_.reset();
  open_service();
  start_server();
  auto j = inspect("persist");
  EXPECT_EQ(j["Labels"], (nlohmann::json{{"a", "b"}}));
  EXPECT_EQ(berth::testing::slurp(svc_->data_dir("persist") + "/keep"), "kept");
  EXPECT_EQ(ok({"volume", "ls", "-q"}), "persist");
}

}  // namespace
