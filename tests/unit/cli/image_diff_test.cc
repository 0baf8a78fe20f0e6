// `berth image diff`: which arguments are archive files, and the tables
// drawn from the daemon's JSON.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "cli/image_diff.h"

namespace berth::cli {
namespace {

TEST(ImageDiffInput, PrefixesAndReferencesPassArchivesBecomeAbsolute) {
  EXPECT_EQ(*diff_input("remote://127.0.0.1:5000/a:1"), "remote://127.0.0.1:5000/a:1");
  EXPECT_EQ(*diff_input("daemon://busybox"), "daemon://busybox");
  EXPECT_EQ(*diff_input("busybox:latest"), "busybox:latest");
  EXPECT_EQ(*diff_input("3f2a9c0e1d2b"), "3f2a9c0e1d2b");

  char dir[] = "/tmp/berth-cli-diff-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string d = dir;
  std::ofstream(d + "/img.tar") << "x";
  std::ofstream(d + "/plainname") << "x";
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(dir), 0);
  auto rel = diff_input("./img.tar");
  auto bare = diff_input("img.tar");
  auto existing = diff_input("plainname");
  auto missing = diff_input("gone.tar.gz");
  auto directory = diff_input(".");
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_EQ(*rel, d + "/img.tar");
  EXPECT_EQ(*bare, d + "/img.tar");
  EXPECT_EQ(*existing, d + "/plainname");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().str(), "open gone.tar.gz: No such file or directory");
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().message, ". is a directory: image diff reads archive files");
  (void)std::system(("rm -rf '" + d + "'").c_str());
}

Json parse(const char* text) { return Json::parse(text); }

TEST(ImageDiffRender, FileSectionAsContainerDiffLaysItOut) {
  auto r = parse(R"({
    "a": {"input": "busybox:1", "kind": "daemon", "name": "busybox:1", "id": "sha256:aa"},
    "b": {"input": "/tmp/b.tar", "kind": "archive", "name": "/tmp/b.tar", "id": "sha256:bb"},
    "types": ["file"],
    "file": {
      "added": [{"path": "/new", "type": "file", "size": 1500, "mode": 493, "uid": 0, "gid": 0, "link": "", "digest": null},
                {"path": "/newdir", "type": "dir", "size": 0, "mode": 1023, "uid": 0, "gid": 0, "link": "", "digest": null}],
      "removed": [],
      "changed": [{"path": "/usr/bin/passwd", "what": ["mode"],
                   "a": {"type": "file", "size": 10, "mode": 493, "uid": 0, "gid": 0, "link": "", "digest": null},
                   "b": {"type": "file", "size": 10, "mode": 3565, "uid": 0, "gid": 0, "link": "", "digest": null}}]
    }})");
  EXPECT_EQ(render_image_diff(r),
            "-----File-----\n"
            "\n"
            "These entries have been added to /tmp/b.tar:\n"
            "FILE      SIZE      MODE\n"
            "/new      1.5kB     -rwxr-xr-x\n"
            "/newdir   -         drwxrwxrwt\n"
            "\n"
            "These entries of busybox:1 have been deleted in /tmp/b.tar: None\n"
            "\n"
            "These entries have been changed between busybox:1 and /tmp/b.tar:\n"
            "FILE              SIZE1     SIZE2     MODE1        MODE2        CHANGED\n"
            "/usr/bin/passwd   10B       10B       -rwxr-xr-x   -rwsr-sr-x   mode\n");
}

TEST(ImageDiffRender, SizeMetadataHistoryAndPackages) {
  auto r = parse(R"({
    "a": {"name": "a:1"}, "b": {"name": "b:1"},
    "types": ["size", "history", "metadata", "apt"],
    "size": {"a": {"layers": [{"diff_id": "sha256:3f2a9c0e1d2b4455", "size": 2000, "shared": true}], "total": 2000},
             "b": {"layers": [{"diff_id": "sha256:3f2a9c0e1d2b4455", "size": 2000, "shared": true},
                              {"diff_id": "sha256:8a7b6c5d4e3f2211", "size": -1, "shared": false}], "total": 2000},
             "difference": 0},
    "history": {"shared": 1, "only_a": [], "only_b": [{"created_by": "RUN x", "empty_layer": false, "created": "", "comment": ""}]},
    "metadata": [{"field": "Env", "key": "V", "a": "1", "b": null}, {"field": "Cmd", "key": "", "a": ["sh"], "b": ""}],
    "apt": {"a_has_database": false, "b_has_database": true, "only_a": [],
            "only_b": [{"name": "curl", "version": "8", "architecture": "amd64", "size": 4096}],
            "changed": []}
  })");
  std::string text = render_image_diff(r);
  EXPECT_NE(text.find("-----Size-----\n\nImage size difference between a:1 and b:1:\nSIZE1     SIZE2     DIFFERENCE\n"
                      "2kB       2kB       +0B\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n\nLayers:\nLAYER     DIFF ID (1)    SIZE1     DIFF ID (2)    SIZE2\n"
                      "1         3f2a9c0e1d2b   2kB       3f2a9c0e1d2b   2kB       shared\n"
                      "2                                  8a7b6c5d4e3f   -\n\n-----History-----\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Docker history lines found only in a:1: None\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Docker history lines found only in b:1:\n-RUN x\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Env       V         1         <none>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Cmd                 [\"sh\"]    \"\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a:1 has no package database (/var/lib/dpkg/status).\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Packages found only in b:1:\nNAME      VERSION   SIZE\n-curl     8         4.1kB\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Version differences: None"), std::string::npos) << text;
  EXPECT_FALSE(text.ends_with("\n\n"));
}

}  // namespace
}  // namespace berth::cli
