// ImageService against tools nobody here wrote: skopeo and umoci read what
// berth exports (OCI layout, docker-archive), and berth loads what skopeo
// writes. Local files only. Needs root (layers carry owners and devices).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "image/docker_archive.h"
#include "image/oci_layout.h"
#include "image/service.h"
#include "support/bundle.h"

using namespace berth;
using namespace berth::image;
using berth::testing::run_command;
namespace fs = std::filesystem;

namespace {

ImportOptions with_changes(const std::vector<std::string>& changes) {
  ImportOptions o;
  o.changes = changes;
  return o;
}

OciImportOptions oci_opts(const std::string& ref_name, const std::string& reference = "") {
  OciImportOptions o;
  o.ref_name = ref_name;
  o.reference = reference;
  return o;
}

bool have(const char* tool) { return ::access(tool, X_OK) == 0; }

std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& e : j) out.push_back(e.get<std::string>());
  return out;
}

std::vector<std::string> diff_ids(const ImageInfo& i) {
  std::vector<std::string> out;
  for (const auto& d : i.config.rootfs->diff_ids) out.push_back(d.str());
  return out;
}

class ImageInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: layers carry owners and device nodes";
    char tmpl[] = "/tmp/berth-image-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    berth::testing::make_rootfs(tmp_ + "/rootfs");
    auto r = run_command({"/bin/tar", "-C", tmp_ + "/rootfs", "--numeric-owner", "-cf",
                          tmp_ + "/rootfs.tar", "."});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    // CI installs them (scripts/setup.sh): their absence is a failure, not a skip.
    ASSERT_TRUE(have("/usr/bin/skopeo") && have("/usr/bin/umoci"))
        << "skopeo and umoci are needed to check interoperability (scripts/setup.sh installs them)";
    dir_ = tmp_ + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    auto s = ImageService::open(dir_ + "/root");
    ASSERT_TRUE(s) << s.error().str();
    svc_ = std::move(*s);
  }
  void TearDown() override {
    svc_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  ImageInfo import(const std::vector<std::string>& changes = {}) {
    UniqueFd fd(::open((tmp_ + "/rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd);
    auto i = svc_->import_rootfs(fd.get(), "berth-test/busybox:v1", with_changes(changes));
    EXPECT_TRUE(i) << i.error().str();
    return i ? *i : ImageInfo{};
  }
  nlohmann::json skopeo_json(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/skopeo", "--insecure-policy"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
  }
  void skopeo(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/skopeo", "--insecure-policy"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void save(const std::vector<std::string>& refs, const std::string& path) {
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(out);
    auto r = export_docker_archive(*svc_, refs, out.get());
    ASSERT_TRUE(r) << r.error().str();
  }
  Result<std::vector<ImageInfo>> load(ImageService& svc, const std::string& path) {
    UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return import_docker_archive(svc, in.get());
  }

  static inline std::string tmp_;
  std::string dir_;
  std::unique_ptr<ImageService> svc_;
};

TEST_F(ImageInterop, ImportAppliesChangesAndUnpacksOnce) {
  auto img = import({"CMD [\"/bin/sh\"]", "ENV A=1 B=\"two words\"", "WORKDIR /home/app",
                     "USER app", "EXPOSE 8080 53/udp", "LABEL org.test=yes", "VOLUME /data",
                     "STOPSIGNAL SIGTERM", "ENTRYPOINT [\"/bin/busybox\"]"});
  ASSERT_FALSE(img.id.empty());
  EXPECT_EQ(img.id, content::sha256(img.config_bytes).str());
  const auto& c = *img.config.config;
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/busybox"}));
  EXPECT_EQ(*c.env, (std::vector<std::string>{"A=1", "B=two words"}));
  EXPECT_EQ(*c.working_dir, "/home/app");
  EXPECT_EQ(*c.user, "app");
  EXPECT_EQ(*c.exposed_ports, (std::set<std::string>{"53/udp", "8080/tcp"}));
  EXPECT_EQ(c.labels->at("org.test"), "yes");
  EXPECT_TRUE(c.volumes->contains("/data"));
  EXPECT_EQ(*c.stop_signal, "SIGTERM");
  ASSERT_EQ(img.config.history.size(), 1u);
  EXPECT_EQ(img.config.history[0].comment, "Imported from -");
  ASSERT_EQ(img.manifest.layers.size(), 1u);
  EXPECT_EQ(img.manifest.layers[0].digest, img.config.rootfs->diff_ids[0]);  // stored as-is

  auto snap = svc_->snapshots().stat(img.config.rootfs->diff_ids[0].str());
  ASSERT_TRUE(snap) << snap.error().str();
  EXPECT_EQ(snap->kind, snapshot::Kind::Committed);

  auto again = svc_->inspect("berth-test/busybox:v1");
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(again->id, img.id);
  EXPECT_EQ(again->refs, (std::vector<std::string>{"docker.io/berth-test/busybox:v1"}));

  auto mounts = svc_->prepare_rootfs("berth-test/busybox:v1", "ctr1");
  ASSERT_TRUE(mounts) << mounts.error().str();
  ASSERT_FALSE(mounts->empty());
  ASSERT_TRUE(svc_->snapshots().remove("ctr1"));

  auto bad = svc_->import_rootfs(-1, "x:y", with_changes({"RUN true"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);

  auto gone = svc_->remove("berth-test/busybox:v1");
  ASSERT_TRUE(gone) << gone.error().str();
  EXPECT_FALSE(svc_->snapshots().stat(img.config.rootfs->diff_ids[0].str()));
  EXPECT_FALSE(svc_->inspect(img.id));
}

TEST_F(ImageInterop, GzipLayerIsStoredCompressed) {
  auto gz = dir_ + "/rootfs.tar.gz";
  auto r = run_command({"/bin/sh", "-c", "gzip -c < " + tmp_ + "/rootfs.tar > " + gz});
  ASSERT_EQ(r.status, 0) << r.err;
  UniqueFd fd(::open(gz.c_str(), O_RDONLY | O_CLOEXEC));
  auto img = svc_->import_rootfs(fd.get(), "gz:1");
  ASSERT_TRUE(img) << img.error().str();
  EXPECT_EQ(img->manifest.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_NE(img->manifest.layers[0].digest, img->config.rootfs->diff_ids[0]);
  auto plain = import();
  EXPECT_EQ(diff_ids(plain), diff_ids(*img));
}

TEST_F(ImageInterop, SkopeoAndUmociReadOciLayout) {
  auto img = import({"CMD [\"/bin/sh\"]"});
  std::string layout = dir_ + "/oci";
  auto e = export_oci_layout_dir(*svc_, "berth-test/busybox:v1", layout);
  ASSERT_TRUE(e) << e.error().str();

  auto ins = skopeo_json({"inspect", "oci:" + layout + ":v1"});
  EXPECT_EQ(strings(ins["Layers"]), (std::vector<std::string>{img.manifest.layers[0].digest.str()}));
  auto cfg = skopeo_json({"inspect", "--config", "oci:" + layout + ":v1"});
  EXPECT_EQ(strings(cfg["rootfs"]["diff_ids"]), diff_ids(img));

  std::string bundle = dir_ + "/bundle";
  auto r = run_command({"/usr/bin/umoci", "unpack", "--image", layout + ":v1", bundle});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_command({"/usr/bin/diff", "-r", "--no-dereference", tmp_ + "/rootfs", bundle + "/rootfs"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  struct stat a {}, b {};
  ASSERT_EQ(::lstat((tmp_ + "/rootfs/tmp").c_str(), &a), 0);
  ASSERT_EQ(::lstat((bundle + "/rootfs/tmp").c_str(), &b), 0);
  EXPECT_EQ(a.st_mode, b.st_mode);  // 1777 survives
  ASSERT_EQ(::lstat((bundle + "/rootfs/home/app").c_str(), &b), 0);
  EXPECT_EQ(b.st_uid, 1000u);

  // And back: the layout loads into a fresh root with the same image ID.
  auto other = ImageService::open(dir_ + "/root2");
  ASSERT_TRUE(other);
  auto back = import_oci_layout_dir(**other, layout, oci_opts("v1"));
  ASSERT_TRUE(back) << back.error().str();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].id, img.id);
  EXPECT_EQ((*back)[0].refs, (std::vector<std::string>{"docker.io/berth-test/busybox:v1"}));
}

TEST_F(ImageInterop, OciLayoutTarRoundTrip) {
  auto img = import();
  std::string tar = dir_ + "/oci.tar";
  {
    UniqueFd out(::open(tar.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto e = export_oci_layout_tar(*svc_, "berth-test/busybox:v1", out.get());
    ASSERT_TRUE(e) << e.error().str();
  }
  auto ins = skopeo_json({"inspect", "--config", "oci-archive:" + tar + ":v1"});
  EXPECT_EQ(strings(ins["rootfs"]["diff_ids"]), diff_ids(img));
  auto other = ImageService::open(dir_ + "/root2");
  ASSERT_TRUE(other);
  UniqueFd in(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
  auto back = import_oci_layout_tar(**other, in.get());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ((*back)[0].id, img.id);
}

TEST_F(ImageInterop, OciLayoutImportRefusesBadBlobs) {
  auto img = import();
  std::string layout = dir_ + "/oci";
  ASSERT_TRUE(export_oci_layout_dir(*svc_, "berth-test/busybox:v1", layout));
  auto other = ImageService::open(dir_ + "/root2");
  ASSERT_TRUE(other);
  std::string cfg = layout + "/blobs/sha256/" + img.manifest.config.digest.hex();

  fs::rename(cfg, cfg + ".moved");
  auto missing = import_oci_layout_dir(**other, layout);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound) << missing.error().str();
  EXPECT_NE(missing.error().str().find(img.manifest.config.digest.str()), std::string::npos);

  fs::rename(cfg + ".moved", cfg);
  std::string data;
  { std::ifstream f(cfg); data.assign(std::istreambuf_iterator<char>(f), {}); }
  data[data.size() / 2] ^= 1;
  fs::remove(cfg);
  { std::ofstream(cfg) << data; }
  auto corrupt = import_oci_layout_dir(**other, layout);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, Errc::InvalidArgument) << corrupt.error().str();
  EXPECT_FALSE((*other)->inspect("berth-test/busybox:v1"));
}

TEST_F(ImageInterop, SkopeoReadsDockerArchive) {
  auto img = import({"ENV A=1"});
  std::string archive = dir_ + "/save.tar";
  save({"berth-test/busybox:v1"}, archive);
  auto ins = skopeo_json({"inspect", "docker-archive:" + archive});
  // docker-archive layers are uncompressed: their digests are the diff IDs.
  EXPECT_EQ(strings(ins["Layers"]), diff_ids(img));
  EXPECT_EQ(ins["Digest"].is_string(), true);
  auto cfg = skopeo_json({"inspect", "--config", "docker-archive:" + archive});
  EXPECT_EQ(strings(cfg["rootfs"]["diff_ids"]), diff_ids(img));
  auto raw = skopeo_json({"inspect", "--raw", "docker-archive:" + archive});
  EXPECT_EQ(raw["config"]["digest"], img.id);  // the config travels byte for byte

  auto r = run_command({"/bin/tar", "-tf", archive});
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("manifest.json"), std::string::npos);
  EXPECT_NE(r.out.find("repositories"), std::string::npos);
  EXPECT_NE(r.out.find("/VERSION"), std::string::npos);
  EXPECT_NE(r.out.find("/layer.tar"), std::string::npos);
  EXPECT_NE(r.out.find(img.id.substr(7) + ".json"), std::string::npos);
}

TEST_F(ImageInterop, SkopeoCopiesLoadBack) {
  auto img = import({"CMD [\"/bin/sh\"]"});
  std::string layout = dir_ + "/oci";
  ASSERT_TRUE(export_oci_layout_dir(*svc_, "berth-test/busybox:v1", layout));
  std::string archive = dir_ + "/save.tar";
  save({"berth-test/busybox:v1"}, archive);

  // oci -> docker-archive by skopeo, loaded by berth.
  std::string from_oci = dir_ + "/from-oci.tar";
  skopeo({"copy", "oci:" + layout + ":v1", "docker-archive:" + from_oci + ":berth-test/copy:1"});
  auto other = ImageService::open(dir_ + "/root2");
  ASSERT_TRUE(other);
  auto a = load(**other, from_oci);
  ASSERT_TRUE(a) << a.error().str();
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(diff_ids((*a)[0]), diff_ids(img));
  EXPECT_EQ((*a)[0].refs, (std::vector<std::string>{"docker.io/berth-test/copy:1"}));

  // docker-archive -> oci by skopeo, loaded by berth.
  std::string oci2 = dir_ + "/oci2";
  skopeo({"copy", "docker-archive:" + archive, "oci:" + oci2 + ":t"});
  auto b = import_oci_layout_dir(**other, oci2, oci_opts("t", "berth-test/copy:2"));
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(diff_ids((*b)[0]), diff_ids(img));

  // docker-archive -> docker-archive keeps the image ID, and so does berth's own round trip.
  std::string again = dir_ + "/again.tar";
  skopeo({"copy", "docker-archive:" + archive, "docker-archive:" + again + ":berth-test/copy:3"});
  auto c = load(**other, again);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ((*c)[0].id, img.id);
  auto d = load(**other, archive);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ((*d)[0].id, img.id);
  // Tags of every load of the same config bytes point at the one image.
  auto& refs = (*d)[0].refs;
  EXPECT_NE(std::find(refs.begin(), refs.end(), "docker.io/berth-test/busybox:v1"), refs.end());
  EXPECT_NE(std::find(refs.begin(), refs.end(), "docker.io/berth-test/copy:3"), refs.end());
  std::string resaved = dir_ + "/resaved.tar";
  {
    UniqueFd out(::open(resaved.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(export_docker_archive(**other, {"berth-test/copy:3"}, out.get()));
  }
  auto e = load(*svc_, resaved);
  ASSERT_TRUE(e) << e.error().str();
  EXPECT_EQ((*e)[0].id, img.id);
}

}  // namespace

namespace {

// Newer `docker save` (25+): manifest.json pointing into an OCI layout's blobs.
TEST_F(ImageInterop, LoadsDockerSaveWithOciLayout) {
  auto img = import();
  std::string layout = dir_ + "/save25";
  ASSERT_TRUE(export_oci_layout_dir(*svc_, "berth-test/busybox:v1", layout));
  nlohmann::json m = nlohmann::json::array();
  m.push_back({{"Config", "blobs/sha256/" + img.manifest.config.digest.hex()},
               {"RepoTags", {"berth-test/new:25"}},
               {"Layers", {"blobs/sha256/" + img.manifest.layers[0].digest.hex()}}});
  { std::ofstream(layout + "/manifest.json") << m.dump(); }
  std::string archive = dir_ + "/save25.tar";
  auto r = run_command({"/bin/tar", "-C", layout, "-cf", archive, "."});
  ASSERT_EQ(r.status, 0) << r.err;
  auto other = ImageService::open(dir_ + "/root2");
  ASSERT_TRUE(other);
  auto a = load(**other, archive);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ((*a)[0].id, img.id);
  EXPECT_EQ((*a)[0].refs, (std::vector<std::string>{"docker.io/berth-test/new:25"}));

  // Without manifest.json the OCI layout inside is used.
  std::filesystem::remove(layout + "/manifest.json");
  std::string bare = dir_ + "/bare.tar";
  r = run_command({"/bin/tar", "-C", layout, "-czf", bare, "."});
  ASSERT_EQ(r.status, 0) << r.err;
  auto b = load(**other, bare);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ((*b)[0].id, img.id);
}

// Which snapshotter the factory chose here (overlay unless root is on overlayfs).
TEST_F(ImageInterop, ContainerSnapshotOnTopOfImage) {
  import();
  auto mounts = svc_->prepare_rootfs("berth-test/busybox:v1", "ctr");
  ASSERT_TRUE(mounts) << mounts.error().str();
  ASSERT_EQ(mounts->size(), 1u);
  std::cerr << "container rootfs mount type: " << (*mounts)[0].type << "\n";
  // Removing the image while a container snapshot sits on its layer keeps the layer.
  auto rm = svc_->remove("berth-test/busybox:v1");
  ASSERT_TRUE(rm) << rm.error().str();
  auto st = svc_->snapshots().stat("ctr");
  ASSERT_TRUE(st);
  EXPECT_TRUE(svc_->snapshots().stat(st->parent));
  ASSERT_TRUE(svc_->snapshots().remove("ctr"));
}

}  // namespace
