// registry::pull and registry::push against Debian's docker-registry on
// 127.0.0.1 (tests/fixtures/registry.sh): Docker schema 2, OCI, a 5-layer
// image, an index with two platforms, zstd layers, auth and TLS, a resumed
// download, pushes of an imported image (compressed, mounted, idempotent) and
// the errors.
// Needs root (overlay snapshots for the unpacked layers).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "image/media_types.h"
#include "image/service.h"
#include "registry/puller.h"
#include "registry/pusher.h"
#include "base/unique_fd.h"
#include "support/gated_relay.h"
#include "support/local_registry.h"
#include "support/paths.h"

using namespace berth;
namespace fs = std::filesystem;
using berth::testing::LocalRegistry;

namespace {

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_FAIL() << "needs root: overlay snapshots";
    char tmpl[] = "/tmp/berth-pull-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    auto svc = image::ImageService::open(tmp_ + "/root");
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
  }
  void TearDown() override {
    svc_.reset();
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  static LocalRegistry& plain() {
    static std::unique_ptr<LocalRegistry> reg = LocalRegistry::start();
    return *reg;
  }

  Result<registry::PullResult> pull(const std::string& ref, registry::PullOptions o = {}) {
    o.reference = ref;
    messages_.clear();
    raw_.clear();
    return registry::pull(http_, *svc_, o, [&](const registry::ProgressMessage& m) {
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
      raw_.push_back(m);
    });
  }
  size_t count(const std::string& status) const {
    size_t n = 0;
    for (const auto& m : messages_) n += m.size() >= status.size() && m.compare(m.size() - status.size(), status.size(), status) == 0;
    return n;
  }
  // One layer's lines in Docker's order: its download completes, then it
  // extracts (byte counts up to the blob's size), then "Pull complete".
  void expect_docker_layer_order(const std::string& id) {
    size_t downloaded = 0, first_extract = 0, last_extract = 0, complete = 0;
    std::optional<uint64_t> last_current, last_total;
    for (size_t i = 0; i < raw_.size(); ++i) {
      const auto& m = raw_[i];
      if (m.id != id) continue;
      if (m.status == "Download complete") downloaded = i + 1;
      if (m.status == "Extracting") {
        if (!first_extract) first_extract = i + 1;
        last_extract = i + 1;
        last_current = m.current;
        last_total = m.total;
      }
      if (m.status == "Pull complete") complete = i + 1;
    }
    EXPECT_TRUE(downloaded && first_extract && complete) << id;
    EXPECT_LT(downloaded, first_extract) << id;
    EXPECT_LT(last_extract, complete) << id;
    ASSERT_TRUE(last_current && last_total) << id << ": Extracting without byte counts";
    EXPECT_EQ(*last_current, *last_total) << id;
  }

  // A file of the image's unpacked top layers (the overlay's lower directories).
  bool image_has_file(const std::string& ref, const std::string& path) {
    auto mounts = svc_->prepare_rootfs(ref, "probe-" + std::to_string(++probes_));
    if (!mounts || mounts->empty()) return false;
    for (const auto& o : (*mounts)[0].options) {
      if (o.rfind("lowerdir=", 0) != 0) continue;
      std::string dirs = o.substr(9);
      size_t at = 0;
      while (at <= dirs.size()) {
        size_t colon = dirs.find(':', at);
        std::string d = dirs.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
        if (!(*mounts)[0].chdir.empty() && !d.starts_with("/")) d = (*mounts)[0].chdir + "/" + d;
        struct stat st;
        if (::lstat((d + "/" + path).c_str(), &st) == 0) return true;
        if (colon == std::string::npos) break;
        at = colon + 1;
      }
    }
    return false;
  }

  Result<std::vector<registry::PushResult>> push_all(const std::string& ref, registry::PushOptions o = {}) {
    o.reference = ref;
    messages_.clear();
    raw_.clear();
    return registry::push(http_, *svc_, o, [&](const registry::ProgressMessage& m) {
      if (!m.aux_json.empty()) {
        aux_.push_back(m.aux_json);
        return;
      }
      messages_.push_back(m.id.empty() ? m.status : m.id + ": " + m.status);
      raw_.push_back(m);
    });
  }
  // One tag: its result.
  Result<registry::PushResult> push(const std::string& ref, registry::PushOptions o = {}) {
    aux_.clear();
    auto r = TRY(push_all(ref, o));
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return fail(Errc::Internal, "no tag pushed");
    return r.front();
  }
  // A one-layer image from a plain tar (as `docker import` makes it), tagged `ref`.
  std::string import_image(const std::string& ref) {
    std::string rootfs = tmp_ + "/rootfs";
    std::string cmd = berth::testing::fixture_path("make-rootfs.sh") + " " + rootfs + " >/dev/null 2>&1 && tar -C " +
                      rootfs + " -cf " + tmp_ + "/rootfs.tar .";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    UniqueFd fd(::open((tmp_ + "/rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC));
    auto info = svc_->import_rootfs(fd.get(), ref, {.created = "2024-01-02T03:04:05Z"});
    EXPECT_TRUE(info) << info.error().str();
    return info ? info->id : "";
  }

  std::string tmp_;
  std::unique_ptr<image::ImageService> svc_;
  registry::Http http_;
  std::vector<std::string> messages_;
  std::vector<registry::ProgressMessage> raw_;
  std::vector<std::string> aux_;  // a push's results, as the docker CLI reads them
  int probes_ = 0;
};

TEST_F(Pull, DockerSchema2ImageWithItsTagAndRepoDigest) {
  auto& reg = plain();
  std::string ref = reg.address() + "/test/busybox:v2s2";
  auto r = pull(ref);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, reg.digest_of("test/busybox:v2s2"));
  EXPECT_FALSE(r->up_to_date);
  auto info = svc_->inspect(ref);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_EQ(info->id, r->image_id);
  EXPECT_EQ(info->manifest.config.digest.str(), r->image_id);
  std::set<std::string> refs(info->refs.begin(), info->refs.end());
  EXPECT_TRUE(refs.count(ref)) << ref;
  EXPECT_TRUE(refs.count(reg.address() + "/test/busybox@" + r->digest));
  EXPECT_TRUE(image_has_file(ref, "bin/busybox"));
  // Docker's progress, in order of what happened.
  ASSERT_FALSE(messages_.empty());
  EXPECT_EQ(messages_.front(), "v2s2: Pulling from test/busybox");
  EXPECT_EQ(count("Pulling fs layer"), 1u);
  EXPECT_EQ(count("Download complete"), 1u);
  EXPECT_GE(count("Extracting"), 1u);
  EXPECT_EQ(count("Pull complete"), 1u);
  expect_docker_layer_order(info->manifest.layers.at(0).digest.hex().substr(0, 12));
  EXPECT_EQ(messages_[messages_.size() - 2], "Digest: " + r->digest);
  EXPECT_EQ(messages_.back(), "Status: Downloaded newer image for " + ref);

  // Again: nothing to fetch, and said so.
  auto again = pull(ref);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_TRUE(again->up_to_date);
  EXPECT_EQ(again->image_id, r->image_id);
  EXPECT_EQ(count("Pulling fs layer") + count("Already exists"), 0u);
  EXPECT_EQ(messages_.back(), "Status: Image is up to date for " + ref);
}

TEST_F(Pull, ByDigestRecordsOnlyTheDigest) {
  auto& reg = plain();
  std::string digest = reg.digest_of("test/busybox:v2s2");
  auto r = pull(reg.address() + "/test/busybox@" + digest);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, digest);
  auto info = svc_->inspect(r->image_id);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_EQ(info->refs, std::vector<std::string>{reg.address() + "/test/busybox@" + digest});
}

TEST_F(Pull, OciImageAndZstdLayers) {
  auto& reg = plain();
  // zstd first, into an empty store: its layer is the one unpacked.
  if (reg.digest_of("test/zstd:latest").empty()) GTEST_FAIL() << "the fixture pushed no zstd image";
  auto z = pull(reg.address() + "/test/zstd:latest");
  ASSERT_TRUE(z) << z.error().str();
  EXPECT_EQ(count("Pull complete"), 1u);
  auto zi = svc_->inspect(reg.address() + "/test/zstd:latest");
  ASSERT_TRUE(zi);
  EXPECT_EQ(zi->manifest.layers.at(0).media_type, image::media::kOciLayerZstd);
  EXPECT_TRUE(image_has_file(reg.address() + "/test/zstd:latest", "bin/busybox"));

  // The OCI gzip image has the same files: the same diff ID, so its layer is
  // there, but its own blob is fetched (save and push read the image's blobs).
  auto oci = pull(reg.address() + "/test/busybox:oci");
  ASSERT_TRUE(oci) << oci.error().str();
  EXPECT_EQ(oci->digest, reg.digest_of("test/busybox:oci"));
  EXPECT_EQ(count("Pulling fs layer"), 1u);
  EXPECT_EQ(count("Extracting"), 0u);
  auto info = svc_->inspect(reg.address() + "/test/busybox:oci");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->config.rootfs->diff_ids, zi->config.rootfs->diff_ids);
  EXPECT_TRUE(image_has_file(reg.address() + "/test/busybox:oci", "bin/busybox"));
}

TEST_F(Pull, FiveLayersDownloadInParallelAndUnpackInOrder) {
  auto& reg = plain();
  registry::PullOptions o;
  o.max_concurrent_downloads = 3;
  auto r = pull(reg.address() + "/test/multi:latest", o);
  ASSERT_TRUE(r) << r.error().str();
  auto info = svc_->inspect(reg.address() + "/test/multi:latest");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->manifest.layers.size(), 5u);
  EXPECT_EQ(count("Pulling fs layer"), 5u);
  EXPECT_EQ(count("Waiting"), 2u);
  EXPECT_EQ(count("Verifying Checksum"), 5u);
  EXPECT_EQ(count("Pull complete"), 5u);
  // Extraction follows the manifest's order (layers unpack as they arrive, one on another).
  std::vector<std::string> extracted;
  for (const auto& m : messages_)
    if (m.ends_with(": Pull complete")) extracted.push_back(m.substr(0, 12));
  ASSERT_EQ(extracted.size(), 5u);
  for (const auto& id : extracted) expect_docker_layer_order(id);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(extracted[i], info->manifest.layers[i].digest.hex().substr(0, 12));
  for (const auto& chain : image::chain_ids(info->config.rootfs->diff_ids)) EXPECT_TRUE(svc_->has_layer(chain));

  // The busybox image shares the bottom layer: "Already exists".
  auto b = pull(reg.address() + "/test/busybox:v2s2");
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(count("Already exists"), 1u);
  EXPECT_EQ(count("Pulling fs layer"), 0u);
}

TEST_F(Pull, IndexChoosesThePlatform) {
  auto& reg = plain();
  std::string ref = reg.address() + "/test/index:latest";
  auto host = pull(ref);
  ASSERT_TRUE(host) << host.error().str();
  EXPECT_EQ(host->digest, reg.digest_of("test/index:latest"));  // the index's digest, as Docker records it
  EXPECT_EQ(svc_->inspect(ref)->config.architecture, "amd64");

  registry::PullOptions o;
  o.platform = registry::parse_platform("linux/arm64").value();
  auto arm = pull(ref, o);
  ASSERT_TRUE(arm) << arm.error().str();
  EXPECT_NE(arm->image_id, host->image_id);
  EXPECT_EQ(svc_->inspect(ref)->config.architecture, "arm64");

  o.platform = registry::parse_platform("linux/s390x").value();
  auto none = pull(ref, o);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::NotFound);
  EXPECT_NE(none.error().message.find("no matching manifest for linux/s390x"), std::string::npos) << none.error().str();
}

TEST_F(Pull, UnknownTagAndRepositoryInDockersWords) {
  auto& reg = plain();
  auto tag = pull(reg.address() + "/test/busybox:nope");
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().code, Errc::NotFound);
  EXPECT_EQ(tag.error().message, "manifest for " + reg.address() + "/test/busybox:nope not found: manifest unknown: manifest unknown");
  EXPECT_TRUE(messages_.empty()) << "nothing is streamed before the manifest is known";
  auto repo = pull(reg.address() + "/test/nothing:latest");
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, Errc::NotFound);
  EXPECT_NE(repo.error().message.find("not found"), std::string::npos) << repo.error().str();
}

TEST_F(Pull, NoRegistryThereIsAClearError) {
  auto r = pull("127.0.0.1:1/test/busybox:v2s2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos) << r.error().str();
}

TEST_F(Pull, CorruptBlobIsRefusedAndNotStored) {
  auto reg = LocalRegistry::start();
  std::string ref = reg->address() + "/test/busybox:v2s2";
  // Find the layer's data file in the registry's storage and flip a byte.
  auto first = pull(ref);
  ASSERT_TRUE(first) << first.error().str();
  auto info = svc_->inspect(ref);
  ASSERT_TRUE(info);
  std::string hex = info->manifest.layers.at(0).digest.hex();
  std::string data;
  for (const auto& e : fs::recursive_directory_iterator(reg->dir()))
    if (e.path().filename() == "data" && e.path().parent_path().filename() == hex) data = e.path();
  ASSERT_FALSE(data.empty()) << "no blob " << hex << " under " << reg->dir();
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  TearDown();
  SetUp();
  auto r = pull(ref);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("verification failed for digest " + info->manifest.layers[0].digest.str()),
            std::string::npos) << r.error().str();
  EXPECT_FALSE(svc_->content().exists(info->manifest.layers[0].digest));
  EXPECT_FALSE(svc_->inspect(ref));
}

TEST_F(Pull, AnInterruptedDownloadContinuesFromItsIngest) {
  auto& reg = plain();
  std::string ref = reg.address() + "/test/busybox:v2s2";
  // The layer as the registry has it, from a first store.
  ASSERT_TRUE(pull(ref));
  auto layer = svc_->inspect(ref)->manifest.layers.at(0);
  std::string bytes = svc_->content().read(layer.digest).value();
  TearDown();
  SetUp();
  // What a pull killed mid-layer leaves: the first part, in the layer's ingest.
  size_t half = bytes.size() / 2;
  {
    auto w = svc_->content().resumable_writer(layer.digest, bytes.size());
    ASSERT_TRUE(w) << w.error().str();
    ASSERT_TRUE(w->write(std::string_view(bytes).substr(0, half)));
  }
  auto r = pull(ref);
  ASSERT_TRUE(r) << r.error().str();
  std::optional<uint64_t> first;
  for (const auto& m : raw_)
    if (m.status == "Downloading" && !first) first = m.current;
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, half) << "the download starts where the last one stopped";
  EXPECT_EQ(svc_->content().read(layer.digest).value(), bytes);
  EXPECT_TRUE(image_has_file(ref, "bin/busybox"));
}

// The layer is unpacked as its bytes arrive: while the registry's response
// is held a third of the way through the blob (a relay in front of it), the
// layer's snapshot is already being made. Waiting for the whole blob first
// would make nothing until the relay lets go, and the test would fail.
TEST_F(Pull, ALayerUnpacksWhileItsBytesArrive) {
  auto& reg = plain();
  uint64_t blob_size;
  {
    ASSERT_TRUE(pull(reg.address() + "/test/busybox:v2s2"));
    blob_size = static_cast<uint64_t>(svc_->inspect(reg.address() + "/test/busybox:v2s2")->manifest.layers.at(0).size);
    TearDown();
    SetUp();
  }
  berth::testing::GatedRelay relay(reg.address(), blob_size / 3);
  std::string snapshots_dir = tmp_ + "/root/snapshots/snapshots";
  ASSERT_TRUE(fs::is_directory(snapshots_dir)) << snapshots_dir;
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  ASSERT_TRUE(watch);
  ASSERT_GE(::inotify_add_watch(watch.get(), snapshots_dir.c_str(), IN_CREATE), 0);

  std::string ref = relay.address() + "/test/busybox:v2s2";
  Result<registry::PullResult> r = fail(Errc::Internal, "not run");
  std::thread puller([&] { r = pull(ref); });
  bool held = relay.wait_held(30000);
  pollfd p{watch.get(), POLLIN, 0};
  bool snapshot_made = held && ::poll(&p, 1, 30000) == 1;
  relay.release();
  puller.join();
  EXPECT_TRUE(held) << "the relay never held the blob";
  EXPECT_TRUE(snapshot_made) << "no snapshot was made while the layer was still downloading";
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(image_has_file(ref, "bin/busybox"));
  expect_docker_layer_order(svc_->inspect(ref)->manifest.layers.at(0).digest.hex().substr(0, 12));
}

TEST_F(Pull, BasicAuthNeedsTheRightPassword) {
  auto reg = LocalRegistry::start({.mode = "auth"});
  std::string ref = reg->address() + "/test/busybox:v2s2";
  auto none = pull(ref);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::PermissionDenied);
  EXPECT_EQ(none.error().message, "no basic auth credentials");
  registry::PullOptions o;
  o.auth.username = reg->options().user;
  o.auth.password = "wrong";
  auto wrong = pull(ref, o);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::PermissionDenied);
  o.auth.password = reg->options().password;
  auto right = pull(ref, o);
  ASSERT_TRUE(right) << right.error().str();
  EXPECT_EQ(right->digest, reg->digest_of("test/busybox:v2s2"));
}

TEST_F(Pull, TlsIsVerifiedAgainstTheCertsDirectory) {
  auto reg = LocalRegistry::start({.mode = "tls"});
  std::string ref = reg->address() + "/test/busybox:v2s2";
  registry::PullOptions o;
  o.endpoints.loopback_insecure = false;  // as for any host not in 127.0.0.0/8
  o.endpoints.certs_dirs = {tmp_ + "/certs.d"};
  auto unknown = pull(ref, o);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::Unavailable);
  EXPECT_NE(unknown.error().message.find("x509: certificate signed by unknown authority"), std::string::npos)
      << unknown.error().str();
  fs::create_directories(tmp_ + "/certs.d/" + reg->address());
  fs::copy_file(reg->ca_file(), tmp_ + "/certs.d/" + reg->address() + "/ca.crt");
  auto known = pull(ref, o);
  ASSERT_TRUE(known) << known.error().str();
  // 127.0.0.0/8 is insecure by default, as Docker: https without verification.
  TearDown();
  SetUp();
  auto loopback = pull(ref);
  ASSERT_TRUE(loopback) << loopback.error().str();
}

}  // namespace

namespace {

TEST_F(Pull, PushOfAnImportedImageThenPullBackGivesTheSameImage) {
  auto reg = LocalRegistry::start();
  std::string ref = reg->address() + "/push/app:1";
  std::string id = import_image(ref);
  auto first = push(ref);
  ASSERT_TRUE(first) << first.error().str();
  EXPECT_EQ(messages_.front(), "The push refers to repository [" + reg->address() + "/push/app]");
  EXPECT_EQ(count("Pushed"), 1u);
  EXPECT_EQ(messages_.back(), "1: digest: " + first->digest + " size: " + std::to_string(first->size));
  // The stored layer is a plain tar: what went up is gzip, and the manifest says so.
  auto info = svc_->inspect(ref);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->manifest.layers.at(0).media_type, image::media::kOciLayer);
  std::set<std::string> refs(info->refs.begin(), info->refs.end());
  EXPECT_TRUE(refs.count(reg->address() + "/push/app@" + first->digest)) << "the repo digest is recorded";

  // Again: nothing to upload, the same digest.
  auto second = push(ref);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(second->digest, first->digest);
  EXPECT_EQ(count("Layer already exists"), 1u);
  EXPECT_EQ(count("Pushed"), 0u);

  // Another repository of the same registry: mounted, not uploaded.
  ASSERT_TRUE(svc_->metadata().tag(reg->address() + "/push/copy:1", id));
  auto copy = push(reg->address() + "/push/copy:1");
  ASSERT_TRUE(copy) << copy.error().str();
  EXPECT_EQ(count("Mounted from push/app"), 1u);

  // A fresh store pulls it back: the same image ID, its layer a gzip blob now.
  TearDown();
  SetUp();
  auto pulled = pull(ref);
  ASSERT_TRUE(pulled) << pulled.error().str();
  EXPECT_EQ(pulled->image_id, id);
  EXPECT_EQ(pulled->digest, first->digest);
  EXPECT_EQ(svc_->inspect(ref)->manifest.layers.at(0).media_type, image::media::kOciLayerGzip);
  EXPECT_TRUE(image_has_file(ref, "bin/busybox"));
}

TEST_F(Pull, PushNeedsAnImageAndCredentials) {
  auto reg = LocalRegistry::start({.mode = "auth"});
  auto missing = push(reg->address() + "/push/none:1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_EQ(missing.error().message, "An image does not exist locally with the tag: " + reg->address() + "/push/none");
  std::string ref = reg->address() + "/push/app:1";
  import_image(ref);
  auto anonymous = push(ref);
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code, Errc::PermissionDenied);
  registry::PushOptions o;
  o.auth = {reg->options().user, reg->options().password, "", ""};
  auto r = push(ref, o);
  ASSERT_TRUE(r) << r.error().str();
}

}  // namespace

namespace {

using registry::RepositoryClient;

TEST_F(Pull, TagsListsTheRepositorysTags) {
  auto& reg = plain();
  RepositoryClient client(http_, registry::endpoints_for(reg.address(), {}).value(), reg.address(), "test/multitag", {});
  auto all = client.tags();
  ASSERT_TRUE(all) << all.error().str();
  // Without ?n= the registry lists them in its storage's order.
  std::sort(all->begin(), all->end());
  EXPECT_EQ(*all, (std::vector<std::string>{"v1", "v2", "v3"}));
  // Debian's registry 2.8 ignores ?n= (one page, no Link): asking for pages still gives them
  // all. Following the Link header's pages is tested in unit/registry/tags_test.cc.
  auto paged = client.tags(1);
  ASSERT_TRUE(paged) << paged.error().str();
  std::sort(paged->begin(), paged->end());
  EXPECT_EQ(*paged, *all);
  RepositoryClient none(http_, registry::endpoints_for(reg.address(), {}).value(), reg.address(), "test/nothing", {});
  auto missing = none.tags();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_NE(missing.error().message.find("repository " + reg.address() + "/test/nothing not found"), std::string::npos)
      << missing.error().str();
}

TEST_F(Pull, AllTagsPullsEveryTagWithOneStatusLine) {
  auto& reg = plain();
  registry::PullOptions o;
  o.all_tags = true;
  std::string repo = reg.address() + "/test/multitag";
  auto r = pull(repo, o);
  ASSERT_TRUE(r) << r.error().str();
  auto listed = r->tags;
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{"v1", "v2", "v3"}));
  EXPECT_FALSE(r->up_to_date);
  for (const std::string tag : {"v1", "v2", "v3"}) {
    auto info = svc_->inspect(repo + ":" + tag);
    ASSERT_TRUE(info) << tag;
    std::set<std::string> refs(info->refs.begin(), info->refs.end());
    EXPECT_TRUE(refs.count(repo + "@" + reg.digest_of("test/multitag:" + tag))) << tag << ": its repo digest";
    EXPECT_EQ(std::count(messages_.begin(), messages_.end(), tag + ": Pulling from test/multitag"), 1) << tag;
    EXPECT_EQ(std::count(messages_.begin(), messages_.end(), "Digest: " + reg.digest_of("test/multitag:" + tag)), 1) << tag;
  }
  EXPECT_EQ(messages_.front(), r->tags.front() + ": Pulling from test/multitag") << "in the registry's order";
  EXPECT_EQ(count("Status: Downloaded newer image for " + repo), 1u);
  EXPECT_EQ(messages_.back(), "Status: Downloaded newer image for " + repo);
  EXPECT_EQ(svc_->inspect(repo + ":v2")->manifest.layers.size(), 5u);

  auto again = pull(repo, o);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_TRUE(again->up_to_date);
  EXPECT_EQ(messages_.back(), "Status: Image is up to date for " + repo);

  auto tagged = pull(repo + ":v1", o);
  ASSERT_FALSE(tagged);
  EXPECT_EQ(tagged.error().message, "tag can't be used with --all-tags/-a");
}

TEST_F(Pull, PushAllTagsPushesEveryLocalTagInOrder) {
  auto reg = LocalRegistry::start();
  std::string repo = reg->address() + "/push/many";
  std::string id = import_image(repo + ":b");
  ASSERT_TRUE(svc_->metadata().tag(repo + ":a", id));
  ASSERT_TRUE(svc_->metadata().tag(reg->address() + "/push/other:c", id));  // another repository: not pushed
  registry::PushOptions o;
  o.all_tags = true;
  aux_.clear();
  auto r = push_all(repo, o);
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].tag, "a");
  EXPECT_EQ((*r)[1].tag, "b");
  EXPECT_EQ((*r)[0].digest, (*r)[1].digest) << "one image, one manifest";
  EXPECT_EQ(count("The push refers to repository [" + repo + "]"), 1u);
  EXPECT_EQ(count("Pushed"), 1u);
  EXPECT_EQ(count("Layer already exists"), 1u) << "the second tag finds the layer there";
  EXPECT_EQ(messages_.back(), "b: digest: " + (*r)[1].digest + " size: " + std::to_string((*r)[1].size));
  ASSERT_EQ(aux_.size(), 2u);
  EXPECT_EQ(aux_[0], "{\"Tag\":\"a\",\"Digest\":\"" + (*r)[0].digest + "\",\"Size\":" + std::to_string((*r)[0].size) + "}");
  RepositoryClient client(http_, registry::endpoints_for(reg->address(), {}).value(), reg->address(), "push/many", {});
  auto there = client.tags().value_or(std::vector<std::string>{});
  std::sort(there.begin(), there.end());
  EXPECT_EQ(there, (std::vector<std::string>{"a", "b"}));

  auto nothing = push_all(reg->address() + "/push/none", o);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, Errc::NotFound);
  EXPECT_EQ(nothing.error().message, "An image does not exist locally with the tag: " + reg->address() + "/push/none");
}

TEST_F(Pull, APlainLayersGzipIsTheSameWithoutItsRememberedDigest) {
  // What a push sends for a plain layer depends only on the layer: a store
  // that forgot the gzip's digest (or another daemon) sends the same blob.
  auto reg = LocalRegistry::start();
  std::string ref = reg->address() + "/push/app:1";
  import_image(ref);
  registry::PushOptions one_thread;
  one_thread.compression_threads = 1;
  auto first = push(ref, one_thread);
  ASSERT_TRUE(first) << first.error().str();
  auto gz_dir = svc_->root() + "/distribution/gzip-v1";
  ASSERT_TRUE(fs::exists(gz_dir)) << "the gzip's digest is remembered";
  fs::remove_all(svc_->root() + "/distribution");
  auto other = LocalRegistry::start();
  std::string ref2 = other->address() + "/push/app:1";
  ASSERT_TRUE(svc_->metadata().tag(ref2, svc_->inspect(ref)->id));
  registry::PushOptions three;
  three.compression_threads = 3;
  auto second = push(ref2, three);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(count("Pushed"), 1u) << "compressed and uploaded again";
  EXPECT_EQ(second->digest, first->digest) << "the same manifest, so the same gzip";
  // The pushed bytes are what gunzip reads back as the stored layer.
  auto layer = svc_->inspect(ref)->manifest.layers.at(0);
  std::string blob;
  RepositoryClient client(http_, registry::endpoints_for(other->address(), {}).value(), other->address(), "push/app", {});
  auto manifest = client.manifest("1", ref2);
  ASSERT_TRUE(manifest) << manifest.error().str();
  auto m = image::parse_manifest(manifest->bytes);
  ASSERT_TRUE(m);
  ASSERT_TRUE(client.blob(m->layers.at(0).digest, 0, [&](std::string_view c) {
    blob.append(c);
    return true;
  }));
  EXPECT_EQ(content::sha256(blob), m->layers[0].digest);
  std::string gz_path = tmp_ + "/layer.gz";
  {
    std::ofstream f(gz_path, std::ios::binary);
    f << blob;
  }
  std::string cmd = "gzip -dc < " + gz_path + " | sha256sum | grep -q " + layer.digest.hex();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "gunzip of the pushed blob is not the stored layer";
}

}  // namespace
