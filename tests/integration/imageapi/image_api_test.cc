// The image endpoints as the real Docker CLI (28) sees them: a real
// server::Server on a temp UNIX socket with add_image_routes over a temp
// ImageService, driven by /usr/local/bin/docker through DOCKER_HOST. Root:
// the store unpacks layers into overlay snapshots. No network: DOCKER_HOST
// points at the test's socket, so even `docker pull` cannot leave the host.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/events.h"
#include "engine/area_backends.h"
#include "engine/images/image_api.h"
#include "engine/images/image_backend.h"
#include "image/service.h"
#include "server/http/server.h"
#include "server/routes/routes.h"
#include "support/bundle.h"

using namespace berth;
using berth::testing::CmdResult;
using berth::testing::run_command;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDocker = "/usr/local/bin/docker";

// A busybox rootfs tar, built once per test process and removed at its exit.
const std::string& rootfs_tar() {
  struct TempTar {
    std::string dir, tar;
    TempTar() {
      char tmpl[] = "/tmp/berth-images-rootfs-XXXXXX";
      if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
      dir = tmpl;
      berth::testing::make_rootfs(dir + "/rootfs");
      tar = dir + "/rootfs.tar";
      auto r = run_command({"/usr/bin/tar", "-C", dir + "/rootfs", "-cf", tar, "."});
      if (r.status != 0) throw std::runtime_error("tar failed: " + r.err);
    }
    ~TempTar() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  };
  static TempTar t;
  return t.tar;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class ImageApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (layers are unpacked into overlay snapshots)";
    if (::access(kDocker, X_OK) != 0) GTEST_SKIP() << "no Docker CLI at " << kDocker;
    char tmpl[] = "/tmp/berth-images-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/docker-config");
    auto svc = image::ImageService::open(dir_ + "/images");
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
    backend_ = std::make_unique<engine::ImageBackend>(
        *svc_, mu_, events_, [this](const std::string& id, bool running_only) {
          std::vector<std::string> out;
          std::lock_guard lk(users_mu_);
          for (const auto& [cid, c] : users_)
            if (c.first == id && (!running_only || c.second)) out.push_back(cid);
          return out;
        });
    api_ = std::make_unique<engine::ImageApi>(*backend_);
    server::Router router;
    server::add_distribution_routes(router, no_registry_);
    server::add_image_create_route(router, *api_, no_registry_);
    server::add_image_routes(router, *api_);
    add_system_routes(router);
    server::ServerOptions opts;
    opts.common_headers = {{"Api-Version", "1.41"}, {"Ostype", "linux"}, {"Docker-Experimental", "false"}};
    server_ = std::make_unique<server::Server>(std::move(router), opts);
    socket_ = dir_ + "/docker.sock";
    auto l = server_->listen("unix://" + socket_, 0660, "");
    ASSERT_TRUE(l) << l.error().str();
    thread_ = std::thread([this] { (void)server_->run(); });
    ::setenv("DOCKER_HOST", ("unix://" + socket_).c_str(), 1);
    ::setenv("DOCKER_CONFIG", (dir_ + "/docker-config").c_str(), 1);
    ::unsetenv("DOCKER_CONTEXT");
    ::unsetenv("DOCKER_API_VERSION");
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    api_.reset();
    backend_.reset();
    svc_.reset();
    if (!dir_.empty()) {
      // Overlay work dirs may hold root-only entries: remove_all copes.
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // The CLI needs /_ping (HEAD and GET) to negotiate, and /version for
  // `docker version`; berthd's real system routes are the engine's.
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

  CmdResult docker(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), kDocker);
    return run_command(args, input);
  }

  // `docker import` of the busybox rootfs; returns the image ID.
  std::string import(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"import"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.begin() + 1, rootfs_tar());
    auto r = docker(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return trim(r.out);
  }

  nlohmann::json inspect(const std::string& name) {
    auto r = docker({"image", "inspect", name});
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array() && j.size() == 1) << r.out;
    return j.is_array() && !j.empty() ? j[0] : nlohmann::json();
  }

  std::vector<std::string> event_actions() {
    auto sub = events_.subscribe(0);
    std::vector<std::string> out;
    while (auto e = sub->next(1)) out.push_back(e->action);
    return out;
  }

  void set_user(const std::string& container, const std::string& image_id, bool running) {
    std::lock_guard lk(users_mu_);
    users_[container] = {image_id, running};
  }

  std::string dir_, socket_;
  std::unique_ptr<image::ImageService> svc_;
  std::mutex mu_;
  engine::Events events_;
  std::unique_ptr<engine::ImageBackend> backend_;
  std::unique_ptr<engine::ImageApi> api_;
  engine::UnavailableDistribution no_registry_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::mutex users_mu_;
  std::map<std::string, std::pair<std::string, bool>> users_;  // container -> (image, running)
};

const std::string kContainer = "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

TEST_F(ImageApiTest, ImportThenListAndInspect) {
  std::string id = import({"busybox"});
  ASSERT_TRUE(id.starts_with("sha256:")) << id;
  std::string short_id = id.substr(7, 12);

  auto ls = docker({"images"});
  ASSERT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("REPOSITORY"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("busybox"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find(short_id), std::string::npos) << ls.out;

  auto q = docker({"images", "-q"});
  EXPECT_EQ(trim(q.out), short_id);
  auto fmt = docker({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  EXPECT_EQ(trim(fmt.out), "busybox:latest " + short_id);

  auto j = inspect("busybox");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["RepoTags"], nlohmann::json::array({"busybox:latest"}));
  EXPECT_EQ(j["RepoDigests"], nlohmann::json::array());
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Comment"], "Imported from -");
  EXPECT_EQ(j["RootFS"]["Type"], "layers");
  EXPECT_EQ(j["RootFS"]["Layers"].size(), 1u);
  EXPECT_TRUE(j["Config"].is_object());
  EXPECT_TRUE(j["Config"].contains("Env"));
  EXPECT_GT(j["Size"].get<int64_t>(), 500000);  // the busybox binary
  EXPECT_EQ(j["Size"], j["VirtualSize"]);
  EXPECT_TRUE(j["Created"].get<std::string>().ends_with("Z"));
  std::string driver = j["GraphDriver"]["Name"];
  EXPECT_TRUE(driver == "overlay2" || driver == "vfs") << driver;
  EXPECT_TRUE(j["Metadata"].contains("LastTagTime"));

  // The same image by ID, ID prefix and sha256: prefix.
  for (const std::string& name : {id, id.substr(7), short_id, id.substr(0, 14)}) {
    auto r = docker({"image", "inspect", "--format", "{{.Id}}", name});
    EXPECT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_EQ(trim(r.out), id) << name;
  }
  auto actions = event_actions();
  EXPECT_EQ(actions, (std::vector<std::string>{"tag", "import"}));
}

TEST_F(ImageApiTest, ImportWithChangesAndMessage) {
  std::string id = import({"--change", "ENV FOO=bar", "--change", "LABEL team=infra", "--change",
                           "CMD [\"/bin/sh\"]", "--message", "hello", "app:v1"});
  auto j = inspect("app:v1");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["Comment"], "hello");
  EXPECT_EQ(j["Config"]["Env"], nlohmann::json::array({"FOO=bar"}));
  EXPECT_EQ(j["Config"]["Labels"]["team"], "infra");
  EXPECT_EQ(j["Config"]["Cmd"], nlohmann::json::array({"/bin/sh"}));

  // From stdin ("-"), untagged: the same layer, another config.
  std::ifstream in(rootfs_tar(), std::ios::binary);
  std::string tar((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = docker({"import", "-"}, tar);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string untagged = trim(r.out);
  EXPECT_TRUE(untagged.starts_with("sha256:")) << r.out;
  auto all = docker({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  EXPECT_NE(all.out.find("<none>:<none> " + untagged.substr(7, 12)), std::string::npos) << all.out;

  auto bad = docker({"import", "--change", "FROB x", rootfs_tar(), "x"});
  EXPECT_NE(bad.status, 0);
  auto bad_ref = docker({"import", rootfs_tar(), "UPPER"});
  EXPECT_NE(bad_ref.status, 0);
}

TEST_F(ImageApiTest, HistoryShowsTheImportedLayer) {
  std::string id = import({"busybox"});
  auto r = docker({"history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", "busybox"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(trim(r.out), id + "||Imported from -");
  auto human = docker({"history", "busybox"});
  EXPECT_NE(human.out.find("Imported from -"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("MB"), std::string::npos) << human.out;  // the layer's size
}

TEST_F(ImageApiTest, TagAndUntag) {
  std::string id = import({"busybox"});
  auto t = docker({"tag", "busybox", "example.com/team/bb:1.0"});
  ASSERT_EQ(t.status, 0) << t.err;
  auto t2 = docker({"tag", id.substr(7, 12), "other"});
  ASSERT_EQ(t2.status, 0) << t2.err;
  auto fmt = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_NE(fmt.out.find("example.com/team/bb:1.0"), std::string::npos) << fmt.out;
  EXPECT_NE(fmt.out.find("other:latest"), std::string::npos) << fmt.out;

  EXPECT_EQ(inspect("example.com/team/bb:1.0")["Id"], id);  // a name with slashes in the path
  auto filtered = docker({"images", "--format", "{{.Repository}}:{{.Tag}}", "example.com/*/bb"});
  EXPECT_EQ(trim(filtered.out), "example.com/team/bb:1.0");

  auto rmi = docker({"rmi", "example.com/team/bb:1.0"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_EQ(rmi.out, "Untagged: example.com/team/bb:1.0\n");
  auto rmi_id = docker({"rmi", id.substr(7, 12)});  // two tags in two repositories
  EXPECT_NE(rmi_id.status, 0);
  EXPECT_NE(rmi_id.err.find("conflict: unable to delete " + id.substr(7, 12) +
                            " (must be forced) - image is referenced in multiple repositories"),
            std::string::npos)
      << rmi_id.err;

  auto bad = docker({"tag", "busybox", "Bad:tag"});
  EXPECT_NE(bad.status, 0);
  auto actions = event_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "tag"), 3);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "untag"), 1);
}

TEST_F(ImageApiTest, RmiRemovesTheImage) {
  std::string id = import({"busybox"});
  auto rmi = docker({"rmi", "busybox"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_EQ(rmi.out, "Untagged: busybox:latest\nDeleted: " + id + "\n");
  auto q = docker({"images", "-q"});
  EXPECT_EQ(trim(q.out), "");
  auto gone = docker({"image", "inspect", id});
  EXPECT_NE(gone.status, 0);
  auto actions = event_actions();
  EXPECT_EQ(actions, (std::vector<std::string>{"tag", "import", "untag", "delete"}));
}

TEST_F(ImageApiTest, NotFoundTexts) {
  auto rmi = docker({"rmi", "nope"});
  EXPECT_NE(rmi.status, 0);
  EXPECT_EQ(trim(rmi.err), "Error response from daemon: No such image: nope:latest");
  auto hist = docker({"history", "nope:1"});
  EXPECT_NE(hist.status, 0);
  EXPECT_EQ(trim(hist.err), "Error response from daemon: No such image: nope:1");
  auto ins = docker({"image", "inspect", "nope"});
  EXPECT_NE(ins.status, 0);
  EXPECT_NE(ins.err.find("No such image: nope"), std::string::npos) << ins.err;
  auto tag = docker({"tag", "nope", "x"});
  EXPECT_NE(tag.status, 0);
  EXPECT_EQ(trim(tag.err), "Error response from daemon: No such image: nope:latest");
}

TEST_F(ImageApiTest, SaveRmiLoadRoundTrip) {
  std::string id = import({"busybox"});
  std::string archive = dir_ + "/busybox.tar";
  auto save = docker({"save", "-o", archive, "busybox"});
  ASSERT_EQ(save.status, 0) << save.err;
  ASSERT_GT(fs::file_size(archive), 500000u);
  auto listing = run_command({"/usr/bin/tar", "-tf", archive});
  EXPECT_NE(listing.out.find("manifest.json"), std::string::npos) << listing.out;

  ASSERT_EQ(docker({"rmi", "busybox"}).status, 0);
  auto load = docker({"load", "-i", archive});
  ASSERT_EQ(load.status, 0) << load.err;
  EXPECT_EQ(load.out, "Loaded image: busybox:latest\n");
  EXPECT_EQ(inspect("busybox")["Id"], id);

  // Save streamed to stdout and loaded from stdin, by ID: untagged.
  auto by_id = docker({"image", "save", id.substr(7, 12)});
  ASSERT_EQ(by_id.status, 0) << by_id.err;
  ASSERT_EQ(docker({"rmi", "busybox"}).status, 0);
  auto load2 = docker({"load"}, by_id.out);
  ASSERT_EQ(load2.status, 0) << load2.err;
  EXPECT_EQ(load2.out, "Loaded image ID: " + id + "\n");

  // A repository name saves all its tags.
  ASSERT_EQ(docker({"tag", id, "busybox:2"}).status, 0);
  ASSERT_EQ(docker({"tag", id, "busybox:latest"}).status, 0);
  auto repo = docker({"save", "-o", dir_ + "/repo.tar", "busybox"});
  ASSERT_EQ(repo.status, 0) << repo.err;
  ASSERT_EQ(docker({"rmi", "-f", id}).status, 0);
  auto load3 = docker({"load", "-i", dir_ + "/repo.tar"});
  ASSERT_EQ(load3.status, 0) << load3.err;
  EXPECT_EQ(load3.out, "Loaded image: busybox:2\nLoaded image: busybox:latest\n");

  auto missing = docker({"save", "-o", dir_ + "/x.tar", "nope"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("No such image: nope:latest"), std::string::npos) << missing.err;

  auto actions = event_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "save"), 3);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "load"), 3);  // one per image and load
}

TEST_F(ImageApiTest, LoadReportsBadArchivesInTheStream) {
  auto r = docker({"load"}, std::string(10240, 'x'));
  EXPECT_NE(r.status, 0);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(ImageApiTest, PruneDanglingAndAll) {
  std::string dangling = import({});
  std::string tagged = import({"--change", "ENV X=1", "keep"});
  ASSERT_NE(dangling, tagged);
  auto listed = docker({"images", "--filter", "dangling=true", "-q", "--no-trunc"});
  EXPECT_EQ(trim(listed.out), dangling);
  auto all = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_NE(all.out.find("<none>:<none>"), std::string::npos) << all.out;

  auto prune = docker({"image", "prune", "-f"});
  ASSERT_EQ(prune.status, 0) << prune.err;
  EXPECT_NE(prune.out.find("deleted: " + dangling), std::string::npos) << prune.out;
  EXPECT_NE(prune.out.find("Total reclaimed space:"), std::string::npos) << prune.out;
  auto q = docker({"images", "-q", "--no-trunc"});
  EXPECT_EQ(trim(q.out), tagged);

  set_user(kContainer, tagged, false);
  auto kept = docker({"image", "prune", "-a", "-f"});
  ASSERT_EQ(kept.status, 0) << kept.err;
  EXPECT_EQ(trim(docker({"images", "-q", "--no-trunc"}).out), tagged);  // in use
  set_user(kContainer, "", false);
  auto gone = docker({"image", "prune", "-a", "-f"});
  ASSERT_EQ(gone.status, 0) << gone.err;
  EXPECT_NE(gone.out.find("untagged: keep:latest"), std::string::npos) << gone.out;
  EXPECT_EQ(trim(docker({"images", "-q"}).out), "");
}

TEST_F(ImageApiTest, PruneFiltersOnLabelsAndUntil) {
  import({"--change", "LABEL tier=db", "db"});
  std::string web = import({"--change", "LABEL tier=web", "web"});
  import({"--change", "ENV P=1", "plain"});
  auto count = [&] {
    std::string out = trim(docker({"images", "-q", "--no-trunc"}).out);
    return out.empty() ? 0 : static_cast<int>(std::count(out.begin(), out.end(), '\n')) + 1;
  };
  // Everything here is younger than an hour.
  auto young = docker({"image", "prune", "-a", "-f", "--filter", "until=1h"});
  ASSERT_EQ(young.status, 0) << young.err;
  EXPECT_EQ(count(), 3);
  auto db = docker({"image", "prune", "-a", "-f", "--filter", "label=tier=db"});
  ASSERT_EQ(db.status, 0) << db.err;
  EXPECT_NE(db.out.find("untagged: db:latest"), std::string::npos) << db.out;
  EXPECT_EQ(db.out.find("web"), std::string::npos) << db.out;
  auto unlabelled = docker({"image", "prune", "-a", "-f", "--filter", "label!=tier"});
  ASSERT_EQ(unlabelled.status, 0) << unlabelled.err;
  EXPECT_NE(unlabelled.out.find("untagged: plain:latest"), std::string::npos) << unlabelled.out;
  EXPECT_EQ(trim(docker({"images", "-q", "--no-trunc"}).out), web);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--filter", "until=someday"}, {"--filter", "all=1"}, {"--filter", "until=1h", "--filter", "until=2h"}}) {
    std::vector<std::string> args = {"image", "prune", "-a", "-f"};
    args.insert(args.end(), bad.begin(), bad.end());
    auto r = docker(args);
    EXPECT_NE(r.status, 0) << bad[1];
  }
  EXPECT_NE(docker({"image", "prune", "-f", "--filter", "all=1"}).err.find("invalid filter 'all'"), std::string::npos);
  auto old = docker({"image", "prune", "-a", "-f", "--filter", "until=2999-01-01T00:00:00Z"});
  ASSERT_EQ(old.status, 0) << old.err;
  EXPECT_EQ(count(), 0);
}

TEST_F(ImageApiTest, RmiRefusesImagesContainersUse) {
  std::string id = import({"busybox"});
  std::string sid = id.substr(7, 12);
  set_user(kContainer, id, false);
  auto by_ref = docker({"rmi", "busybox"});
  EXPECT_NE(by_ref.status, 0);
  EXPECT_EQ(trim(by_ref.err), "Error response from daemon: conflict: unable to remove repository reference "
                              "\"busybox\" (must force) - container c0ffee012345 is using its referenced image " +
                                  sid);
  auto by_id = docker({"rmi", sid});
  EXPECT_EQ(trim(by_id.err), "Error response from daemon: conflict: unable to delete " + sid +
                                 " (must be forced) - image is being used by stopped container c0ffee012345");

  set_user(kContainer, id, true);
  auto running = docker({"rmi", "-f", sid});
  EXPECT_EQ(trim(running.err), "Error response from daemon: conflict: unable to delete " + sid +
                                   " (cannot be forced) - image is being used by running container c0ffee012345");

  set_user(kContainer, id, false);
  auto forced = docker({"rmi", "-f", "busybox"});
  ASSERT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(forced.out, "Untagged: busybox:latest\n");  // the container keeps its image
  EXPECT_EQ(inspect(id)["Id"], id);
}

TEST_F(ImageApiTest, FiltersOnLabelsAndTime) {
  std::string a = import({"--change", "LABEL tier=db", "a"});
  std::string b = import({"--change", "LABEL tier=web", "b"});
  auto db = docker({"images", "--filter", "label=tier=db", "-q", "--no-trunc"});
  EXPECT_EQ(trim(db.out), a);
  auto any = docker({"images", "--filter", "label=tier", "-q", "--no-trunc"});
  EXPECT_EQ(trim(any.out), b + "\n" + a);  // newest first
  auto since = docker({"images", "--filter", "since=a", "-q", "--no-trunc"});
  EXPECT_EQ(trim(since.out), b);
  auto before = docker({"images", "--filter", "before=b", "-q", "--no-trunc"});
  EXPECT_EQ(trim(before.out), a);
  auto bad = docker({"images", "--filter", "color=red"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("invalid filter 'color'"), std::string::npos) << bad.err;
  auto j = inspect("a");
  EXPECT_EQ(j["Config"]["Labels"]["tier"], "db");
}

TEST_F(ImageApiTest, PullPushBuildSearchAre501) {
  auto pull = docker({"pull", "busybox"});
  EXPECT_NE(pull.status, 0);
  EXPECT_NE(pull.err.find("pulling images is not supported yet"), std::string::npos) << pull.err;
  auto push = docker({"push", "busybox"});
  EXPECT_NE(push.status, 0);
  auto search = docker({"search", "busybox"});
  EXPECT_NE(search.status, 0);
  EXPECT_NE(search.err.find("not supported yet"), std::string::npos) << search.err;
}

TEST_F(ImageApiTest, DiskUsageOfImages) {
  std::string a = import({"a"});
  set_user(kContainer, a, true);
  auto df = backend_->df_images();
  ASSERT_TRUE(df) << df.error().str();
  EXPECT_GT((*df)["LayersSize"].get<int64_t>(), 500000);
  ASSERT_EQ((*df)["Images"].size(), 1u);
  EXPECT_EQ((*df)["Images"][0]["Containers"], 1);
  EXPECT_EQ((*df)["Images"][0]["Id"], a);
  EXPECT_EQ((*df)["Images"][0]["SharedSize"], 0);
}

// The bytes on the wire, as dockerd 20.10 writes them (Go field order, "\r\n"
// after each message of a JSON stream).
TEST_F(ImageApiTest, WireShapes) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "no curl";
  auto curl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/curl", "-sS", "--unix-socket", socket_});
    return run_command(args);
  };
  std::string id = import({"busybox"});
  auto list = curl({"http://d/v1.41/images/json"});
  EXPECT_TRUE(list.out.starts_with("[{\"Containers\":-1,\"Created\":")) << list.out;
  EXPECT_NE(list.out.find("\"Id\":\"" + id + "\",\"Labels\":null,\"ParentId\":\"\",\"RepoDigests\":null,"
                          "\"RepoTags\":[\"busybox:latest\"],\"SharedSize\":-1,"),
            std::string::npos)
      << list.out;
  auto insp = curl({"http://d/v1.41/images/busybox/json"});
  EXPECT_TRUE(insp.out.starts_with("{\"Id\":\"" + id + "\",\"RepoTags\":[\"busybox:latest\"],\"RepoDigests\":[],"
                                   "\"Parent\":\"\",\"Comment\":\"Imported from -\",\"Created\":"))
      << insp.out;
  EXPECT_NE(insp.out.find("\"ContainerConfig\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\","),
            std::string::npos)
      << insp.out;
  auto hist = curl({"http://d/v1.41/images/" + id.substr(7, 12) + "/history"});
  EXPECT_TRUE(hist.out.starts_with("[{\"Comment\":\"Imported from -\",\"Created\":")) << hist.out;

  // Load with progress (quiet=0) from a body of known length.
  std::string archive = dir_ + "/bb.tar";
  ASSERT_EQ(docker({"save", "-o", archive, "busybox"}).status, 0);
  ASSERT_EQ(docker({"rmi", "busybox"}).status, 0);
  auto load = curl({"-X", "POST", "-H", "Content-Type: application/x-tar", "--data-binary", "@" + archive,
                    "http://d/v1.41/images/load?quiet=0"});
  EXPECT_TRUE(load.out.starts_with("{\"status\":\"Loading\",\"progressDetail\":{\"current\":")) << load.out;
  EXPECT_TRUE(load.out.ends_with("{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n")) << load.out;
  auto quiet = curl({"-X", "POST", "--data-binary", "@" + archive, "http://d/v1.41/images/load"});
  EXPECT_EQ(quiet.out, "{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n");
  auto bad = curl({"-X", "POST", "--data-binary", "not a tar", "-w", "%{http_code}", "http://d/v1.41/images/load"});
  EXPECT_TRUE(bad.out.starts_with("{\"errorDetail\":{\"message\":")) << bad.out;
  EXPECT_TRUE(bad.out.ends_with("\r\n200")) << bad.out;

  auto rmi = curl({"-X", "DELETE", "http://d/v1.41/images/busybox"});
  EXPECT_EQ(rmi.out, "[{\"Untagged\":\"busybox:latest\"},{\"Deleted\":\"" + id + "\"}]\n");
  auto pull = curl({"-X", "POST", "-w", "%{http_code}", "http://d/v1.41/images/create?fromImage=busybox&tag=latest"});
  EXPECT_EQ(pull.out, "{\"message\":\"pulling images is not supported yet: berth has no registry client "
                      "(coming in a later release)\"}\n501")
      << pull.out;
  auto prune = curl({"-X", "POST", "http://d/v1.41/images/prune"});
  EXPECT_EQ(prune.out, "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}\n");
}

}  // namespace
