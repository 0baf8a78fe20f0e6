// docker cp's server side on a real directory tree as root: stat and its
// header, archive naming, in-root resolution against hostile symlinks,
// extraction rules, ownership, a 20 MB stream and a metadata round trip.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../unit/layer/tar_builder.h"
#include "layer/container_archive.h"
#include "layer/fs_util.h"

using namespace berth;
using namespace berth::layer;
using namespace layer_test;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  if (!in) return "<missing>";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void put(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

struct Entry {
  std::string name, data, symlink, hardlink;
  unsigned type = 0;
  int perm = 0;
  int64_t uid = 0, gid = 0, mtime = 0;
};

// Reads a tar stream back: entries in order.
std::vector<Entry> entries_of(const std::string& tar) {
  std::vector<Entry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_format_empty(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry x;
    x.name = archive_entry_pathname(e);
    x.type = archive_entry_filetype(e);
    x.perm = archive_entry_perm(e);
    x.uid = archive_entry_uid(e);
    x.gid = archive_entry_gid(e);
    x.mtime = archive_entry_mtime(e);
    if (archive_entry_symlink(e)) x.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) x.hardlink = archive_entry_hardlink(e);
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) x.data.append(buf, static_cast<size_t>(n));
    out.push_back(std::move(x));
  }
  archive_read_free(a);
  return out;
}
std::vector<std::string> names(const std::vector<Entry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.name);
  return out;
}

class ContainerArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::string tmpl = "/tmp/berth-fsops-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rootfs_ = dir_ + "/rootfs";
    r_ = rootfs_ + "/";
    for (const char* d : {"", "/etc", "/tmp", "/data", "/data/sub", "/restore", "/links"})
      ASSERT_EQ(::mkdir((rootfs_ + d).c_str(), 0755), 0) << d;
    put(r_ + "etc/shadow", "container-shadow\n");
    put(r_ + "etc/hosts", "127.0.0.1 container\n");
    put(r_ + "etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n");
    put(r_ + "etc/group", "root:x:0:\nstaff:x:1700:\n");
    put(r_ + "data/a", "aaa");
    put(r_ + "data/sub/b", "bbb");
    // Hostile links: each must stay inside the container.
    ASSERT_EQ(::symlink("/etc/shadow", (r_ + "links/shadow").c_str()), 0);
    ASSERT_EQ(::symlink("/etc", (r_ + "links/etc").c_str()), 0);
    ASSERT_EQ(::symlink("../../../../../..", (r_ + "links/up").c_str()), 0);
    ASSERT_EQ(::symlink("/tmp", (r_ + "links/tmp").c_str()), 0);
    ASSERT_EQ(::symlink("/nowhere/x/../y", (r_ + "links/broken").c_str()), 0);
    auto root = open_container_root(rootfs_);
    ASSERT_TRUE(root) << root.error().str();
    root_ = std::move(*root);
  }
  void TearDown() override {
    if (!dir_.empty()) remove_all(dir_);
  }
  std::string archive(const std::string& path) {
    std::string out;
    auto r = archive_path(root_.get(), path, [&](std::string_view b) -> Result<void> {
      out.append(b);
      return {};
    });
    EXPECT_TRUE(r) << path << ": " << r.error().str();
    return out;
  }
  Result<void> extract(const std::string& dest, const std::string& tar, const ExtractOptions& o = {}) {
    UniqueFd fd(fd_of(tar));
    return extract_archive(root_.get(), dest, fd.get(), o);
  }
  std::string dir_, rootfs_, r_;
  UniqueFd root_;
};

TEST(GoFileMode, MatchesGoOsFileMode) {
  EXPECT_EQ(go_file_mode(S_IFDIR | 0755), go_mode::kDir | 0755);
  EXPECT_EQ(go_file_mode(S_IFREG | 04755), go_mode::kSetuid | 0755);
  EXPECT_EQ(go_file_mode(S_IFDIR | 01777), go_mode::kDir | go_mode::kSticky | 0777);
  EXPECT_EQ(go_file_mode(S_IFCHR | 0666), go_mode::kDevice | go_mode::kCharDevice | 0666);
  EXPECT_EQ(go_file_mode(S_IFLNK | 0777), 134218239u);  // what Docker reports for a symlink
  EXPECT_EQ(go_file_mode(S_IFDIR | 0755), 2147484141u);
}

TEST_F(ContainerArchive, StatHeaderCarriesGoModeBitsForDirFileAndSymlink) {
  struct timespec t[2] = {{1700000000, 250000000}, {1700000000, 250000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (r_ + "etc/hosts").c_str(), t, 0), 0);
  struct Case {
    std::string path, name;
    uint32_t mode;
    int64_t size;
    std::string link;
  } cases[] = {
      {"/etc/hosts", "hosts", 0644, 20, ""},
      {"etc", "etc", go_mode::kDir | 0755, -1, ""},
      {"/links/shadow", "shadow", go_mode::kSymlink | 0777, 11, "/etc/shadow"},
      {"/links/etc/", "etc", go_mode::kDir | 0755, -1, ""},  // trailing slash follows
      {"/data/.", ".", go_mode::kDir | 0755, -1, ""},
      {"/", "/", go_mode::kDir | 0755, -1, ""},
  };
  for (const auto& c : cases) {
    auto s = stat_path(root_.get(), c.path);
    ASSERT_TRUE(s) << c.path << ": " << s.error().str();
    EXPECT_EQ(s->name, c.name) << c.path;
    EXPECT_EQ(s->mode, c.mode) << c.path;
    if (c.size >= 0) {
      EXPECT_EQ(s->size, c.size) << c.path;
    }
    EXPECT_EQ(s->link_target, c.link) << c.path;
    // The header decodes back to Go's JSON field names.
    std::string h = path_stat_header(*s);
    std::string json(h.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(json.data()),
                            reinterpret_cast<const unsigned char*>(h.data()), static_cast<int>(h.size()));
    ASSERT_GT(n, 0);
    json.resize(static_cast<size_t>(n));
    while (!json.empty() && json.back() == '\0') json.pop_back();  // base64 padding
    auto j = nlohmann::json::parse(json);
    EXPECT_EQ(j["name"], c.name);
    EXPECT_EQ(j["mode"].get<uint32_t>(), c.mode);
    EXPECT_EQ(j["linkTarget"], c.link);
    EXPECT_TRUE(j["mtime"].get<std::string>().ends_with("Z"));
    EXPECT_TRUE(j.contains("size"));
  }
  EXPECT_EQ(stat_path(root_.get(), "/etc/hosts")->mtime, "2023-11-14T22:13:20.25Z");
  auto missing = stat_path(root_.get(), "/no/such");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_EQ(stat_path(root_.get(), "/etc/nope").error().code, Errc::NotFound);
}

TEST_F(ContainerArchive, SymlinkTargetsResolveInsideTheContainer) {
  EXPECT_EQ(stat_path(root_.get(), "/links/up")->link_target, "/");
  EXPECT_EQ(stat_path(root_.get(), "/links/broken")->link_target, "/nowhere/y");
  // Paths through hostile links reach the container's files, never the host's.
  for (const char* p : {"/links/etc/shadow", "/links/up/etc/shadow", "../../../etc/shadow",
                        "/links/up/links/up/etc/../etc/shadow"}) {
    auto es = entries_of(archive(p));
    ASSERT_EQ(es.size(), 1u) << p;
    EXPECT_EQ(es[0].name, "shadow") << p;
    EXPECT_EQ(es[0].data, "container-shadow\n") << p;
  }
  // docker cp -L: the CLI stats the link, then asks for its target.
  auto link = stat_path(root_.get(), "/links/shadow");
  ASSERT_TRUE(link);
  auto es = entries_of(archive(link->link_target));
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].data, "container-shadow\n");
  // Without -L the link itself is archived, not followed.
  es = entries_of(archive("/links/shadow"));
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].type, unsigned(AE_IFLNK));
  EXPECT_EQ(es[0].symlink, "/etc/shadow");
}

TEST_F(ContainerArchive, EntriesAreNamedAsDockerRebasesThem) {
  EXPECT_EQ(names(entries_of(archive("/etc/hosts"))), std::vector<std::string>{"hosts"});
  std::vector<std::string> data = {"data/", "data/a", "data/sub/", "data/sub/b"};
  EXPECT_EQ(names(entries_of(archive("/data"))), data);
  EXPECT_EQ(names(entries_of(archive("data/"))), data);
  EXPECT_EQ(names(entries_of(archive("/data/."))),
            (std::vector<std::string>{"./", "./a", "./sub/", "./sub/b"}));
  // A symlink to a directory, followed because of the trailing slash, keeps the asked name.
  ASSERT_EQ(::symlink("/data", (r_ + "links/data").c_str()), 0);
  EXPECT_EQ(names(entries_of(archive("/links/data/"))),
            (std::vector<std::string>{"data/", "data/a", "data/sub/", "data/sub/b"}));
  auto all = names(entries_of(archive("/")));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0], "/");
  EXPECT_NE(std::find(all.begin(), all.end(), "/etc/shadow"), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), "/links/up"), all.end());
  auto missing = PathArchive::open(root_.get(), "/nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
}

TEST_F(ContainerArchive, ExtractionThroughHostileLinksStaysInTheContainer) {
  std::string tar = make_tar({file("hello", "in-container")});
  // The destination is a symlink to /tmp: the container's /tmp.
  ASSERT_TRUE(extract("/links/tmp", tar));
  EXPECT_EQ(slurp(r_ + "tmp/hello"), "in-container");
  ASSERT_TRUE(extract("/links/up/links/up/tmp/", make_tar({file("hello2", "x")})));
  EXPECT_EQ(slurp(r_ + "tmp/hello2"), "x");
  // A parent inside the tar that is a symlink in the container: followed in-root.
  auto r = extract("/links", make_tar({file("etc/added", "via link"), file("up/tmp/deep", "d")}));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(slurp(r_ + "etc/added"), "via link");
  EXPECT_EQ(slurp(r_ + "tmp/deep"), "d");
  EXPECT_FALSE(exists("/etc/added"));
  // Names and links climbing out of the destination are refused, as go-archive does.
  for (const auto& bad : {make_tar({file("../escape", "x")}), make_tar({file("a/../../escape", "x")}),
                          make_tar({slink("ln", "../../../../escape")}),
                          make_tar({hlink("hl", "../etc/shadow")})}) {
    auto e = extract("/data", bad);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, Errc::InvalidArgument) << e.error().str();
  }
  EXPECT_FALSE(exists(r_ + "escape"));
  EXPECT_FALSE(exists(dir_ + "/escape"));
  // A leading "/" is relative to the destination; an absolute symlink target is kept verbatim.
  r = extract("/data", make_tar({file("/abs", "abs"), slink("to-etc", "/etc/shadow")}));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(slurp(r_ + "data/abs"), "abs");
  char target[64] = {};
  ASSERT_GT(::readlink((r_ + "data/to-etc").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/etc/shadow");
  // Replacing a symlink entry never writes through it.
  ASSERT_TRUE(extract("/data", make_tar({file("to-etc", "replaced")})));
  EXPECT_EQ(slurp(r_ + "etc/shadow"), "container-shadow\n");
  EXPECT_EQ(slurp(r_ + "data/to-etc"), "replaced");
}

TEST_F(ContainerArchive, DestinationMustExistAndBeADirectory) {
  std::string tar = make_tar({file("x", "x")});
  auto r = extract("/nope", tar);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  r = extract("/etc/hosts", tar);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("not a directory"), std::string::npos);
  r = extract("/links/shadow", tar);  // a link to a file
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST_F(ContainerArchive, OverwriteRules) {
  ExtractOptions strict;
  strict.no_overwrite_dir_non_dir = true;
  auto r = extract("/", make_tar({file("data", "file over dir")}), strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot overwrite directory"), std::string::npos) << r.error().str();
  r = extract("/etc", make_tar({dir("hosts")}), strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot overwrite non-directory"), std::string::npos) << r.error().str();
  EXPECT_EQ(slurp(r_ + "etc/hosts"), "127.0.0.1 container\n");
  // Directory over directory merges, with or without the option.
  ASSERT_TRUE(extract("/", make_tar({dir("data", 0700), file("data/new", "n")}), strict));
  EXPECT_EQ(slurp(r_ + "data/a"), "aaa");
  struct stat st;
  ASSERT_EQ(::stat((r_ + "data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  // Without it, Docker replaces either way.
  ASSERT_TRUE(extract("/etc", make_tar({dir("hosts")})));
  ASSERT_EQ(::lstat((r_ + "etc/hosts").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_TRUE(extract("/", make_tar({file("data", "file now")})));
  EXPECT_EQ(slurp(r_ + "data"), "file now");
}

TEST_F(ContainerArchive, OwnershipKeptFromTheTarOrSetToTheContainerUser) {
  auto f = file("owned", "x");
  f.uid = 1234;
  f.gid = 5678;
  ASSERT_TRUE(extract("/tmp", make_tar({f, file("sub/implied", "y")})));
  struct stat st;
  ASSERT_EQ(::lstat((r_ + "tmp/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  ASSERT_EQ(::lstat((r_ + "tmp/sub").c_str(), &st), 0);  // implied: root's
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0755u);

  auto app = lookup_user(root_.get(), "app");
  ASSERT_TRUE(app) << app.error().str();
  EXPECT_EQ(app->uid, 1500u);
  EXPECT_EQ(app->gid, 1600u);
  auto staff = lookup_user(root_.get(), "1500:staff");
  ASSERT_TRUE(staff) << staff.error().str();
  EXPECT_EQ(staff->uid, 1500u);
  EXPECT_EQ(staff->gid, 1700u);
  EXPECT_EQ(lookup_user(root_.get(), "4242")->gid, 0u);
  EXPECT_EQ(lookup_user(root_.get(), "ghost").error().code, Errc::NotFound);

  ExtractOptions as_app;
  as_app.owner = *app;
  ASSERT_TRUE(extract("/tmp", make_tar({f, file("sub2/implied", "y")}), as_app));
  for (const char* p : {"tmp/owned", "tmp/sub2", "tmp/sub2/implied"}) {
    ASSERT_EQ(::lstat((r_ + p).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1500u) << p;
    EXPECT_EQ(st.st_gid, 1600u) << p;
  }
}

// userns-remap: the tar carries the container's ids, the disk the host's.
TEST_F(ContainerArchive, OwnerMapsShiftIdsBothWays) {
  constexpr uint32_t kBase = 200000;
  ExtractOptions in;
  in.map_owner = [](Owner o) -> Result<Owner> {
    if (o.uid >= 65536 || o.gid >= 65536) return fail(Errc::InvalidArgument, "beyond the range");
    return Owner{o.uid + kBase, o.gid + kBase};
  };
  auto f = file("shifted", "x");
  f.uid = 7;
  f.gid = 8;
  ASSERT_TRUE(extract("/tmp", make_tar({f}), in));
  struct stat st;
  ASSERT_EQ(::lstat((r_ + "tmp/shifted").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kBase + 7);
  EXPECT_EQ(st.st_gid, kBase + 8);
  auto far = file("far", "x");
  far.uid = 70000;
  auto refused = extract("/tmp", make_tar({far}), in);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("beyond the range"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(exists(r_ + "tmp/far"));  // refused before anything of it was written

  auto a = PathArchive::open(root_.get(), "/tmp/shifted");
  ASSERT_TRUE(a) << a.error().str();
  a->set_owner_map([](Owner o) { return Owner{o.uid - kBase, o.gid - kBase}; });
  std::string tar;
  ASSERT_TRUE(a->write([&](std::string_view b) -> Result<void> {
    tar.append(b);
    return {};
  }));
  auto es = entries_of(tar);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].uid, 7);
  EXPECT_EQ(es[0].gid, 8);
}

TEST_F(ContainerArchive, RoundTripPreservesMetadata) {
  std::string d = r_ + "data/";
  ASSERT_EQ(::chmod((d + "a").c_str(), 04750), 0);
  ASSERT_EQ(::chown((d + "a").c_str(), 1001, 1002), 0);
  ASSERT_EQ(::chmod((d + "a").c_str(), 04750), 0);  // chown cleared setuid
  ASSERT_EQ(::link((d + "a").c_str(), (d + "a-hard").c_str()), 0);
  ASSERT_EQ(::symlink("sub/b", (d + "rel-link").c_str()), 0);
  ASSERT_EQ(::lchown((d + "rel-link").c_str(), 7, 8), 0);
  ASSERT_EQ(::mkfifo((d + "fifo").c_str(), 0620), 0);
  ASSERT_EQ(::mknod((d + "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::chmod((d + "sub").c_str(), 01770), 0);
  struct timespec t[2] = {{1600000000, 0}, {1600000000, 0}};
  for (const char* p : {"a", "sub", "sub/b", "fifo"})
    ASSERT_EQ(::utimensat(AT_FDCWD, (d + p).c_str(), t, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, d.c_str(), t, 0), 0);

  std::string tar = archive("/data");
  auto es = entries_of(tar);
  std::map<std::string, Entry> by;
  for (auto& e : es) by[e.name] = e;
  EXPECT_EQ(by["data/a-hard"].hardlink, "data/a");  // first name wins
  EXPECT_EQ(by["data/a"].uid, 1001);

  auto r = extract("/restore", tar);
  ASSERT_TRUE(r) << r.error().str();
  std::string o = r_ + "restore/data/";
  struct stat st, orig;
  for (const char* p : {"", "a", "a-hard", "rel-link", "fifo", "null", "sub", "sub/b"}) {
    ASSERT_EQ(::lstat((o + p).c_str(), &st), 0) << p;
    ASSERT_EQ(::lstat((d + p).c_str(), &orig), 0) << p;
    EXPECT_EQ(st.st_mode, orig.st_mode) << p;
    EXPECT_EQ(st.st_uid, orig.st_uid) << p;
    EXPECT_EQ(st.st_gid, orig.st_gid) << p;
    EXPECT_EQ(st.st_rdev, orig.st_rdev) << p;
    if (!S_ISLNK(st.st_mode)) {
      EXPECT_EQ(st.st_mtim.tv_sec, orig.st_mtim.tv_sec) << p;
    }
  }
  struct stat a, h;
  ASSERT_EQ(::lstat((o + "a").c_str(), &a), 0);
  ASSERT_EQ(::lstat((o + "a-hard").c_str(), &h), 0);
  EXPECT_EQ(a.st_ino, h.st_ino);
  EXPECT_EQ(slurp(o + "sub/b"), "bbb");
  char target[32] = {};
  ASSERT_GT(::readlink((o + "rel-link").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "sub/b");
}

TEST_F(ContainerArchive, TwentyMegabytesStreamInBothDirections) {
  constexpr size_t kSize = 20 << 20;
  {
    std::string big(kSize, '\0');
    for (size_t i = 0; i < kSize; ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
    std::ofstream(r_ + "data/big", std::ios::binary) << big;
  }
  size_t total = 0, largest = 0, calls = 0;
  std::string tar;
  auto stat = archive_path(root_.get(), "/data/big", [&](std::string_view b) -> Result<void> {
    total += b.size();
    largest = std::max(largest, b.size());
    ++calls;
    tar.append(b);
    return {};
  });
  ASSERT_TRUE(stat) << stat.error().str();
  EXPECT_EQ(stat->size, static_cast<int64_t>(kSize));
  EXPECT_GT(total, kSize);
  EXPECT_LE(largest, size_t{64 * 1024}) << "the tar is streamed in blocks, not buffered";
  EXPECT_GT(calls, 300u);
  // A sink error stops the stream and is reported.
  auto stopped = archive_path(root_.get(), "/data/big", [](std::string_view) -> Result<void> {
    return fail(Errc::Unavailable, "client went away");
  });
  ASSERT_FALSE(stopped);
  EXPECT_NE(stopped.error().message.find("client went away"), std::string::npos);

  // Back in through a reader callback, gzip-compressed, in small pieces.
  std::string gz;
  {
    ::archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, &gz, nullptr, append_cb, nullptr);
    archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_write_header(a, e);
    archive_write_data(a, tar.data(), tar.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
  }
  size_t pos = 0;
  TarSource source = [&](char* buf, size_t len) -> Result<size_t> {
    size_t n = std::min({len, size_t{10000}, gz.size() - pos});
    std::memcpy(buf, gz.data() + pos, n);
    pos += n;
    return n;
  };
  auto r = extract_archive(root_.get(), "/restore", source);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(pos, gz.size());
  EXPECT_TRUE(slurp(r_ + "restore/big") == slurp(r_ + "data/big"));
}

}  // namespace
