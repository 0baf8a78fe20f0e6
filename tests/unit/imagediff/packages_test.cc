#include <gtest/gtest.h>

#include "imagediff/packages.h"

namespace berth::imagediff {

void PrintTo(const Package& p, std::ostream* os) {
  *os << p.name << " " << p.version << " " << p.architecture << " " << p.size;
}

namespace {

constexpr char kStatus[] = R"(Package: libc6
Status: install ok installed
Priority: optional
Installed-Size: 12345
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 A continuation line: Version: 0 is not a field.

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: install ok installed
Installed-Size: 10000
Architecture: i386
Version: 2.36-9+deb12u4

Package: bash
Status: install ok installed
Installed-Size: 7000
Architecture: amd64
Version: 5.2.15-2+b2
Conffiles:
 /etc/bash.bashrc 89269e1298235f1b12b4c16e4065ad0d
Package: a-second-name-in-the-same-paragraph

Package: removed
Status: purge ok not-installed
Version: 3

package: lowercase-fields
version: 1
installed-size: 1
)";

TEST(DpkgStatus, ListsInstalledPackagesWithVersionsAndSizes) {
  auto p = parse_dpkg_status(kStatus);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (Package{"bash", "5.2.15-2+b2", "amd64", 7000 * 1024}));
  EXPECT_EQ(p[1], (Package{"libc6", "2.36-9+deb12u4", "amd64", 12345 * 1024}));
  EXPECT_EQ(p[2], (Package{"libc6", "2.36-9+deb12u4", "i386", 10000 * 1024}));
  EXPECT_EQ(p[3].name, "lowercase-fields");
  EXPECT_EQ(p[3].size, 1024u);
}

TEST(DpkgStatus, MultiArchNamesAreKeyedWithTheirArchitecture) {
  auto index = index_packages(parse_dpkg_status(kStatus));
  EXPECT_TRUE(index.contains("bash"));
  EXPECT_TRUE(index.contains("libc6:amd64"));
  EXPECT_TRUE(index.contains("libc6:i386"));
  EXPECT_FALSE(index.contains("libc6"));
}

TEST(DpkgStatus, StatusDFilesHaveNoStatusAndCount) {
  auto p = parse_dpkg_status("Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].version, "2024a-0+deb12u1");
}

TEST(DpkgStatus, CrLfAndGarbageAreTolerated) {
  auto p = parse_dpkg_status("Package: a\r\nVersion: 1\r\n\r\n\x01\x02 no colon\n\nPackage:\nVersion: 9\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], (Package{"a", "1", "", 0}));
  EXPECT_TRUE(parse_dpkg_status("").empty());
}

TEST(DpkgStatus, ControlCharactersDoNotReachTheOutput) {
  auto p = parse_dpkg_status(std::string("Package: a\x1b[31m\nVersion: 1\n"));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name.find('\x1b'), std::string::npos);
}

TEST(ApkInstalled, ListsPackages) {
  auto p = parse_apk_installed(
      "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\n\n"
      "C:Q1def=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nI:950272\nF:bin\nR:busybox\n\n"
      "P:\nV:ignored\n\nnot a line\nP:zlib\nV:1.3-r0\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], (Package{"busybox", "1.36.1-r5", "x86_64", 950272}));
  EXPECT_EQ(p[1], (Package{"musl", "1.2.4-r2", "x86_64", 622592}));
  EXPECT_EQ(p[2].name, "zlib");
}

}  // namespace
}  // namespace berth::imagediff
