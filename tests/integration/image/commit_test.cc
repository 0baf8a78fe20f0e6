// ImageService::commit, the primitive behind `docker commit` and the
// builder's steps: a snapshot's changes become a layer with the right
// entries and whiteouts, the config's diff IDs and history follow, a
// metadata-only step adds no layer, and a failure leaves nothing behind.
// Needs root (overlay snapshots, whiteout devices).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "../../unit/layer/tar_builder.h"
#include "base/go_time.h"
#include "base/unique_fd.h"
#include "image/service.h"
#include "snapshot/mount.h"

using namespace berth;
using namespace berth::image;
using namespace layer_test;
namespace fs = std::filesystem;

namespace {

std::string option(const snapshot::Mount& m, const std::string& key) {
  for (const auto& o : m.options)
    if (o.rfind(key + "=", 0) == 0) return o.substr(key.size() + 1);
  return {};
}

// Entry name -> (type, data) of a tar blob.
std::map<std::string, std::pair<unsigned, std::string>> tar_entries(const std::string& tar) {
  std::map<std::string, std::pair<unsigned, std::string>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    std::string name = archive_entry_pathname(e);
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    out[name] = {archive_entry_filetype(e), data};
  }
  archive_read_free(a);
  return out;
}

class Commit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: overlay snapshots and whiteout devices";
    char tmpl[] = "/tmp/berth-commit-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    auto svc = ImageService::open(tmp_ + "/root");
    ASSERT_TRUE(svc) << svc.error().str();
    svc_ = std::move(*svc);
    std::string tar = make_tar({dir("etc"), file("etc/motd", "hello\n"), file("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
                                dir("data"), file("data/keep", "k"), dir("data/gone"), file("data/gone/f", "f")});
    UniqueFd fd(fd_of(tar));
    auto base = svc_->import_rootfs(fd.get(), "berth-test/base:v1", {.created = "2024-01-02T03:04:05Z"});
    ASSERT_TRUE(base) << base.error().str();
    base_ = *base;
  }
  void TearDown() override {
    svc_.reset();
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  // A container's snapshot on `image` with its writable (upper) directory.
  std::string prepare(const std::string& image, const std::string& key) {
    auto mounts = svc_->prepare_rootfs(image, key);
    EXPECT_TRUE(mounts) << mounts.error().str();
    if (!mounts || mounts->size() != 1) return {};
    const auto& m = (*mounts)[0];
    std::string upper = option(m, "upperdir");
    EXPECT_FALSE(upper.empty()) << "expected an overlay snapshot on this host";
    if (!m.chdir.empty() && !upper.starts_with("/")) upper = m.chdir + "/" + upper;
    return upper;
  }

  std::set<std::string> blobs() {
    std::set<std::string> out;
    auto all = svc_->content().list();  // kept: a range over *temporary would dangle
    EXPECT_TRUE(all) << all.error().str();
    if (all)
      for (const auto& b : *all) out.insert(b.digest.str());
    return out;
  }
  std::set<std::string> snapshots() {
    std::set<std::string> out;
    auto all = svc_->snapshots().list();
    EXPECT_TRUE(all) << all.error().str();
    if (all)
      for (const auto& s : *all) out.insert(s.key);
    return out;
  }

  std::string tmp_;
  std::unique_ptr<ImageService> svc_;
  ImageInfo base_;
};

TEST_F(Commit, ChangesBecomeALayerWithWhiteouts) {
  std::string upper = prepare("berth-test/base:v1", "ctr1");
  ASSERT_FALSE(upper.empty());
  std::ofstream(upper + "/added.txt") << "added\n";
  fs::create_directories(upper + "/etc");
  std::ofstream(upper + "/etc/passwd") << "root:x:0:0::/root:/bin/sh\n";
  ASSERT_EQ(::mknod((upper + "/etc/motd").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  fs::create_directories(upper + "/data");
  ASSERT_EQ(::mknod((upper + "/data/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);

  CommitRequest req;
  req.snapshot_key = "ctr1";
  req.parent_image = "berth-test/base:v1";
  req.config.cmd = std::vector<std::string>{"sh", "-c", "cat /added.txt"};
  req.config.env = std::vector<std::string>{"A=1"};
  req.history.created_by = "/bin/sh -c echo added";
  req.history.comment = "a comment";
  req.history.author = "someone";
  req.author = "someone";
  req.extra["container"] = "ctr1";
  req.reference = "berth-test/committed:v1";
  bool diff_read = false;
  req.after_diff = [&] { diff_read = true; };
  auto info = svc_->commit(req);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_TRUE(diff_read);

  // The config: the parent's layers plus one, history plus one, the new config.
  const auto& cfg = info->config;
  ASSERT_TRUE(cfg.rootfs);
  ASSERT_EQ(cfg.rootfs->diff_ids.size(), 2u);
  EXPECT_EQ(cfg.rootfs->diff_ids[0], base_.config.rootfs->diff_ids[0]);
  ASSERT_EQ(cfg.history.size(), 2u);
  EXPECT_EQ(cfg.history[0], base_.config.history[0]);
  EXPECT_EQ(cfg.history[1].created_by, "/bin/sh -c echo added");
  EXPECT_EQ(cfg.history[1].comment, "a comment");
  EXPECT_EQ(cfg.history[1].author, "someone");
  EXPECT_FALSE(cfg.history[1].empty_layer);
  EXPECT_EQ(cfg.history[1].created, cfg.created);
  EXPECT_TRUE(go::parse_rfc3339(cfg.created)) << cfg.created;
  EXPECT_EQ(cfg.author, "someone");
  EXPECT_EQ(cfg.architecture, base_.config.architecture);
  ASSERT_TRUE(cfg.config && cfg.config->cmd);
  EXPECT_EQ(*cfg.config->cmd, (std::vector<std::string>{"sh", "-c", "cat /added.txt"}));
  EXPECT_EQ(cfg.extra.value("container", ""), "ctr1");
  EXPECT_EQ(info->refs, std::vector<std::string>{"docker.io/berth-test/committed:v1"});

  // The layer: an uncompressed tar whose digest is its diff ID, with the
  // changes and Docker's whiteouts.
  ASSERT_EQ(info->manifest.layers.size(), 2u);
  const auto& layer = info->manifest.layers[1];
  EXPECT_EQ(layer.digest, cfg.rootfs->diff_ids[1]);
  auto blob = svc_->content().read(layer.digest);
  ASSERT_TRUE(blob) << blob.error().str();
  EXPECT_EQ(content::sha256(*blob), cfg.rootfs->diff_ids[1]);
  EXPECT_EQ(static_cast<size_t>(layer.size), blob->size());
  auto entries = tar_entries(*blob);
  EXPECT_EQ(entries["added.txt"].second, "added\n");
  EXPECT_EQ(entries["etc/passwd"].second, "root:x:0:0::/root:/bin/sh\n");
  EXPECT_TRUE(entries.contains("etc/.wh.motd"));
  EXPECT_TRUE(entries.contains("data/.wh.gone"));
  EXPECT_FALSE(entries.contains("data/keep")) << "unchanged files stay in the parent's layer";
  EXPECT_FALSE(entries.contains("etc/motd"));

  // Unpacked as a snapshot: a container of the new image sees the changes.
  auto chain = chain_id(cfg.rootfs->diff_ids).str();
  auto st = svc_->snapshots().stat(chain);
  ASSERT_TRUE(st) << st.error().str();
  EXPECT_EQ(st->kind, snapshot::Kind::Committed);
  EXPECT_EQ(st->parent, base_.config.rootfs->diff_ids[0].str());
  // Not recorded as a child unless asked (see RecordsTheParentWhenAsked).
  EXPECT_EQ(svc_->metadata().get(info->id)->parent, "");
}

// A build step's snapshot becomes the layer's snapshot as it is: no second
// copy, the step's key gone, and a child of the new image sees the changes
// (added file, whiteout, untouched parent file) through overlay.
TEST_F(Commit, TakeSnapshotCommitsTheStepsSnapshotInPlace) {
  std::string upper = prepare(base_.id, "step1");
  ASSERT_FALSE(upper.empty());
  std::ofstream(upper + "/added.txt") << "added\n";
  fs::create_directories(upper + "/etc");
  ASSERT_EQ(::mknod((upper + "/etc/motd").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  struct stat upper_st {};
  ASSERT_EQ(::stat(upper.c_str(), &upper_st), 0);

  CommitRequest req{.snapshot_key = "step1", .parent_image = base_.id, .take_snapshot = true};
  auto info = svc_->commit(req);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_FALSE(svc_->snapshots().stat("step1")) << "the step's key is taken";
  auto chain = chain_id(info->config.rootfs->diff_ids).str();
  auto st = svc_->snapshots().stat(chain);
  ASSERT_TRUE(st) << st.error().str();
  EXPECT_EQ(st->kind, snapshot::Kind::Committed);
  EXPECT_EQ(st->parent, base_.config.rootfs->diff_ids[0].str());
  // The same directory, not a copy unpacked from the tar.
  auto mounts = svc_->prepare_rootfs(info->id, "child");
  ASSERT_TRUE(mounts) << mounts.error().str();
  std::string lowers = option((*mounts)[0], "lowerdir");
  std::string first = lowers.substr(0, lowers.find(':'));
  std::string first_path = (*mounts)[0].chdir.empty() ? first : (*mounts)[0].chdir + "/" + first;
  struct stat lower_st {};
  ASSERT_EQ(::stat(first_path.c_str(), &lower_st), 0) << first_path;
  EXPECT_EQ(lower_st.st_ino, upper_st.st_ino);

  std::string target = tmp_ + "/child-root";
  fs::create_directories(target);
  ASSERT_TRUE(snapshot::mount_all(*mounts, target));
  std::string added, passwd;
  std::getline(std::ifstream(target + "/added.txt"), added);
  std::getline(std::ifstream(target + "/etc/passwd"), passwd);
  bool motd = fs::exists(target + "/etc/motd");
  ASSERT_TRUE(snapshot::unmount_all(target));
  EXPECT_EQ(added, "added");
  EXPECT_EQ(passwd, "root:x:0:0::/:/bin/sh");
  EXPECT_FALSE(motd) << "the whiteout hides the parent's file";

  // Of two steps with identical (empty) layers the first gives its snapshot, the second
  // keeps its own key: the chain exists already.
  ASSERT_FALSE(prepare(base_.id, "empty1").empty());
  ASSERT_FALSE(prepare(base_.id, "empty2").empty());
  auto e1 = svc_->commit(CommitRequest{.snapshot_key = "empty1", .parent_image = base_.id, .take_snapshot = true});
  ASSERT_TRUE(e1) << e1.error().str();
  auto e2 = svc_->commit(CommitRequest{.snapshot_key = "empty2", .parent_image = base_.id, .take_snapshot = true});
  ASSERT_TRUE(e2) << e2.error().str();
  EXPECT_EQ(e1->config.rootfs->diff_ids, e2->config.rootfs->diff_ids);
  EXPECT_FALSE(svc_->snapshots().stat("empty1"));
  EXPECT_TRUE(svc_->snapshots().stat("empty2"));

  // A socket is in the directory but not in the layer: the layer is unpacked as a copy instead.
  std::string upper3 = prepare(base_.id, "with-socket");
  ASSERT_FALSE(upper3.empty());
  std::ofstream(upper3 + "/kept") << "k";
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = upper3 + "/app.sock";
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size());
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto with_socket = svc_->commit(CommitRequest{.snapshot_key = "with-socket", .parent_image = base_.id, .take_snapshot = true});
  ASSERT_TRUE(with_socket) << with_socket.error().str();
  EXPECT_TRUE(svc_->snapshots().stat("with-socket")) << "a directory with more than its layer is not taken";
  auto chain3 = chain_id(with_socket->config.rootfs->diff_ids).str();
  auto st3 = svc_->snapshots().stat(chain3);
  ASSERT_TRUE(st3) << st3.error().str();
}

TEST_F(Commit, EmptyLayerStepAddsHistoryButNoLayer) {
  auto before_snapshots = snapshots();
  CommitRequest req;
  req.parent_image = base_.id;
  req.empty_layer = true;
  req.config.env = std::vector<std::string>{"PATH=/bin", "STEP=2"};
  req.history.created_by = "/bin/sh -c #(nop)  ENV STEP=2";
  req.created = "2024-05-06T07:08:09.5Z";
  auto info = svc_->commit(req);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_EQ(info->config.rootfs->diff_ids, base_.config.rootfs->diff_ids);
  EXPECT_EQ(info->manifest.layers, base_.manifest.layers);
  ASSERT_EQ(info->config.history.size(), 2u);
  EXPECT_TRUE(info->config.history[1].empty_layer);
  EXPECT_EQ(info->config.history[1].created, "2024-05-06T07:08:09.5Z");
  EXPECT_EQ(info->config.created, "2024-05-06T07:08:09.5Z");
  EXPECT_EQ(*info->config.config->env, (std::vector<std::string>{"PATH=/bin", "STEP=2"}));
  EXPECT_TRUE(info->refs.empty());
  EXPECT_EQ(snapshots(), before_snapshots) << "a metadata-only step makes no snapshot";
  // From scratch too: an image without layers.
  CommitRequest scratch;
  scratch.empty_layer = true;
  scratch.history.created_by = "FROM scratch";
  auto s = svc_->commit(scratch);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(s->config.rootfs->diff_ids.empty());
  EXPECT_TRUE(s->manifest.layers.empty());
  EXPECT_FALSE(s->config.architecture.empty());
}

TEST_F(Commit, RecordsTheParentWhenAsked) {
  ASSERT_FALSE(prepare(base_.id, "ctr-p").empty());
  CommitRequest req;
  req.snapshot_key = "ctr-p";
  req.parent_image = base_.id;
  req.record_parent = true;
  auto info = svc_->commit(req);
  ASSERT_TRUE(info) << info.error().str();
  EXPECT_EQ(svc_->metadata().get(info->id)->parent, base_.id);
}

TEST_F(Commit, AFailureLeavesNothingAndMovesNoTag) {
  // An existing tag that a failed commit must not move.
  ASSERT_TRUE(svc_->metadata().tag("docker.io/berth-test/target:v1", base_.id));
  std::string upper = prepare(base_.id, "ctr2");
  ASSERT_FALSE(upper.empty());
  std::ofstream(upper + "/new-file") << "data that becomes a blob before the failure\n";
  auto images_before = svc_->metadata().list()->size();

  // Refused before any work: a missing snapshot, a bad reference, an unknown parent.
  for (auto bad : {CommitRequest{.snapshot_key = "no-such-snapshot", .parent_image = base_.id,
                                 .reference = "berth-test/target:v1"},
                   CommitRequest{.snapshot_key = "ctr2", .parent_image = base_.id, .reference = "Bad Ref!"},
                   CommitRequest{.snapshot_key = "ctr2", .parent_image = "berth-test/nope:v1",
                                 .reference = "berth-test/target:v1"}}) {
    auto before = blobs();
    auto r = svc_->commit(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(blobs(), before);
  }

  // Fails after the new layer is stored: the parent's own layer blob is gone.
  auto parent_layer = base_.manifest.layers[0].digest;
  ASSERT_TRUE(svc_->content().remove(parent_layer));
  auto blobs_before = blobs();
  auto snapshots_before = snapshots();
  CommitRequest req{.snapshot_key = "ctr2", .parent_image = base_.id, .reference = "berth-test/target:v1"};
  auto r = svc_->commit(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound) << r.error().str();
  EXPECT_EQ(blobs(), blobs_before) << "the new layer, config and manifest blobs are taken back";
  EXPECT_EQ(snapshots(), snapshots_before);
  EXPECT_EQ(svc_->metadata().list()->size(), images_before);
  EXPECT_EQ(*svc_->metadata().image_for_ref("docker.io/berth-test/target:v1"), base_.id);
  // The container's snapshot is untouched and still commits once the parent is whole.
  EXPECT_TRUE(fs::exists(upper + "/new-file"));
}

}  // namespace
