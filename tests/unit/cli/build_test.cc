// berth build's two pieces that need no daemon: the context tar
// (.dockerignore, the Dockerfile's name, owners) and the log renderer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli/build_context.h"
#include "cli/build_progress.h"
#include "cli/libarchive.h"

namespace berth::cli {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "berth-cli-build-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(path + "/" + rel).parent_path());
    std::ofstream(path + "/" + rel) << text;
  }
  std::string path;
};

struct Entry {
  std::string content;
  uid_t uid;
  gid_t gid;
};

// The tar's entries by name (regular files with their content).
std::map<std::string, Entry> entries(int fd) {
  const LibArchive& la = **libarchive();
  std::map<std::string, Entry> out;
  archive* a = la.archive_read_new();
  la.archive_read_support_format_tar(a);
  EXPECT_EQ(la.archive_read_open_fd(a, fd, 1 << 16), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (la.archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry got{"", 0, 0};
    const void* buf;
    size_t size;
    la_int64_t offset;
    while (la.archive_read_data_block(a, &buf, &size, &offset) == ARCHIVE_OK)
      got.content.append(static_cast<const char*>(buf), size);
    out[la.archive_entry_pathname(e)] = got;
  }
  la.archive_read_free(a);
  return out;
}

TEST(BuildContext, DockerignoreAppliesButTheDockerfileAndItselfAlwaysGo) {
  TempDir d;
  d.write("Dockerfile", "FROM x\n");
  d.write(".dockerignore", "secret\n*.log\nDockerfile\n.dockerignore\n");
  d.write("app/main.c", "int main;");
  d.write("secret/key", "k");
  d.write("debug.log", "l");
  auto tar = tar_context(d.path, "", false);
  ASSERT_TRUE(tar) << tar.error().message;
  EXPECT_EQ(tar->dockerfile, "Dockerfile");
  auto got = entries(tar->fd.get());
  EXPECT_TRUE(got.contains("Dockerfile"));
  EXPECT_TRUE(got.contains(".dockerignore"));
  EXPECT_EQ(got["app/main.c"].content, "int main;");
  EXPECT_FALSE(got.contains("secret"));
  EXPECT_FALSE(got.contains("secret/key"));
  EXPECT_FALSE(got.contains("debug.log"));
}

TEST(BuildContext, AnIgnoredDirectoryHoldingTheDockerfileIsWalkedForIt) {
  TempDir d;
  d.write("docker/Dockerfile.dev", "FROM x\n");
  d.write("docker/other", "o");
  d.write(".dockerignore", "docker\n");
  auto tar = tar_context(d.path, d.path + "/docker/Dockerfile.dev", false);
  ASSERT_TRUE(tar) << tar.error().message;
  EXPECT_EQ(tar->dockerfile, "docker/Dockerfile.dev");
  auto got = entries(tar->fd.get());
  EXPECT_EQ(got["docker/Dockerfile.dev"].content, "FROM x\n");
  EXPECT_FALSE(got.contains("docker/other"));
}

TEST(BuildContext, ADockerfileFromOutsideOrStdinGoesUnderANameOfItsOwn) {
  TempDir d, outside;
  d.write("a.txt", "a");
  outside.write("Dockerfile.out", "FROM outside\n");
  auto tar = tar_context(d.path, outside.path + "/Dockerfile.out", false);
  ASSERT_TRUE(tar) << tar.error().message;
  EXPECT_TRUE(tar->dockerfile.starts_with(".dockerfile."));
  auto got = entries(tar->fd.get());
  EXPECT_EQ(got[tar->dockerfile].content, "FROM outside\n");

  auto text = tar_context(d.path, "FROM stdin\n", true);
  ASSERT_TRUE(text);
  EXPECT_EQ(entries(text->fd.get())[text->dockerfile].content, "FROM stdin\n");

  auto missing = tar_context(d.path + "/nope", "", false);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not found"), std::string::npos);
}

std::string render(const std::string& stream, bool terminal, bool quiet, BuildProgress::Outcome* outcome = nullptr) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  BuildProgress progress(p[1], terminal, quiet);
  // In two pieces cut mid-line: the renderer must join them.
  progress.feed(stream.substr(0, stream.size() / 2));
  progress.feed(stream.substr(stream.size() / 2));
  auto o = progress.finish();
  if (outcome) *outcome = o;
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  return out;
}

const std::string kLog =
    "{\"stream\":\"Step 1/2 : FROM busybox\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e 0123456789ab\\n\"}\r\n"
    "{\"stream\":\"Step 2/2 : RUN echo hi\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e Running in abcdefabcdef\\n\"}\r\n"
    "{\"stream\":\"hi\\n\"}\r\n"
    "{\"stream\":\"Removing intermediate container abcdefabcdef\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e ba9876543210\\n\"}\r\n"
    "{\"aux\":{\"ID\":\"sha256:ba98\"}}\r\n"
    "{\"stream\":\"Successfully built ba9876543210\\n\"}\r\n";

TEST(BuildProgressTest, OffATerminalTheLogIsPrintedAsItCame) {
  BuildProgress::Outcome o;
  std::string out = render(kLog, false, false, &o);
  EXPECT_EQ(out,
            "Step 1/2 : FROM busybox\n ---> 0123456789ab\nStep 2/2 : RUN echo hi\n ---> Running in abcdefabcdef\nhi\n"
            "Removing intermediate container abcdefabcdef\n ---> ba9876543210\nSuccessfully built ba9876543210\n");
  EXPECT_EQ(o.image_id, "sha256:ba98");
  EXPECT_TRUE(o.error.empty());
}

TEST(BuildProgressTest, OnATerminalEachStepIsOneLineWithItsOutputIndented) {
  std::string out = render(kLog, true, false);
  EXPECT_NE(out.find("[1/2]\x1b[0m FROM busybox\n"), std::string::npos) << out;
  EXPECT_NE(out.find("[2/2]\x1b[0m RUN echo hi\n    hi\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Running in"), std::string::npos) << out;
  EXPECT_NE(out.find("done ba9876543210 in "), std::string::npos) << out;
}

TEST(BuildProgressTest, ErrorsKeepTheRunsExitCodeAndQuietPrintsNothing) {
  BuildProgress::Outcome o;
  std::string out = render(
      "{\"stream\":\"Step 1/1 : RUN exit 3\\n\"}\r\n"
      "{\"errorDetail\":{\"code\":3,\"message\":\"The command '/bin/sh -c exit 3' returned a non-zero code: 3\"},"
      "\"error\":\"The command '/bin/sh -c exit 3' returned a non-zero code: 3\"}\r\n",
      false, true, &o);
  EXPECT_EQ(out, "");
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.error, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  render("{\"stream\":\"sha256:abc\\n\"}\r\n", false, true, &o);
  EXPECT_EQ(o.image_id, "sha256:abc");
}

}  // namespace
}  // namespace berth::cli
