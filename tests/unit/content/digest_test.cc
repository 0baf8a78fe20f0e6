#include "content/digest.h"

#include <gtest/gtest.h>

#include <unordered_set>

#include "temp_dir.h"

using namespace berth;
using namespace berth::content;

namespace {

constexpr const char* kEmpty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, ParsesSha256) {
  auto d = Digest::parse(kAbc);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(d->str(), kAbc);
}

TEST(Digest, RejectsInvalidNamingTheInput) {
  const std::string hex64(64, 'a');
  for (std::string bad : {std::string(""), std::string("sha256"), std::string("sha256:"),
                          "sha256:" + std::string(63, 'a'), "sha256:" + std::string(65, 'a'),
                          "sha256:" + std::string(64, 'A'), "sha256:" + std::string(63, 'a') + "g",
                          "sha512:" + hex64, "md5:" + hex64, "SHA256:" + hex64, ":" + hex64,
                          std::string("sha256:../../../../etc/passwd"), "sha256:" + std::string(62, 'a') + "/a",
                          "../sha256:" + hex64, "sha256/..:" + hex64, "sha256:" + hex64 + "\n",
                          "sha256: " + hex64.substr(1), std::string("sha256:\0", 8) + hex64}) {
    auto d = Digest::parse(bad);
    ASSERT_FALSE(d) << "accepted '" << bad << "'";
    EXPECT_EQ(d.error().code, Errc::InvalidArgument) << bad;
    EXPECT_NE(d.error().message.find("'" + bad + "'"), std::string::npos) << d.error().message;
  }
}

TEST(Digest, UnsupportedAlgorithmSaysSo) {
  auto d = Digest::parse("sha512:" + std::string(128, 'a'));
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("unsupported algorithm 'sha512'"), std::string::npos);
}

TEST(Digest, ComparesAndHashes) {
  auto a = *Digest::parse(kAbc);
  auto e = *Digest::parse(kEmpty);
  EXPECT_EQ(a, *Digest::parse(kAbc));
  EXPECT_NE(a, e);
  std::unordered_set<Digest> set{a, e, a};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Hasher, KnownVectors) {
  EXPECT_EQ(sha256("").str(), kEmpty);
  EXPECT_EQ(sha256("abc").str(), kAbc);
  auto h = Hasher::create();
  ASSERT_TRUE(h);
  h->update("a");
  h->update("");
  h->update("bc");
  EXPECT_EQ(h->finish().str(), kAbc);
}

Digest hash_in_chunks(std::string_view data, size_t chunk) {
  auto h = Hasher::create(kSha256);
  if (!h) ADD_FAILURE() << h.error().str();
  for (size_t off = 0; off < data.size(); off += chunk) h->update(data.substr(off, chunk));
  return h->finish();
}

TEST(Hasher, StreamingEqualsOneShot) {
  std::string data = berth::content::testing::pattern((3 << 20) + 12345, 7);
  Digest whole = sha256(data);
  for (size_t chunk : {63ul, 64ul, 65ul, 4096ul, 1ul << 20, data.size() + 1})
    EXPECT_EQ(hash_in_chunks(data, chunk), whole) << "chunk " << chunk;
  std::string small = data.substr(0, 70001);
  EXPECT_EQ(hash_in_chunks(small, 1), sha256(small));
}

TEST(Hasher, UnsupportedAlgorithm) {
  auto h = Hasher::create("md5");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::Unsupported);
}

}  // namespace
