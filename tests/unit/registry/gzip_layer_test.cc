// The block-parallel gzip of a push (registry/gzip_layer): zlib reads back
// what it makes at every size around a block's edges, the bytes do not depend
// on the thread count or on how the input arrives, gzip(1) accepts it, and its
// digest for a fixed input is pinned (pushed layers keep their digests).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "content/digest.h"
#include "registry/gzip_layer.h"

using namespace berth;
using registry::GzipOptions;
using registry::GzipReader;
using registry::kGzipBlockSize;

namespace {

// Half text that compresses, half noise that does not, in runs.
std::string layer_like(size_t size, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    if (rng() % 2) {
      out += "usr/share/doc/package-" + std::to_string(rng() % 1000) + "/copyright: permission is hereby granted\n";
    } else {
      for (int i = 0; i < 200; ++i) out.push_back(static_cast<char>(rng()));
    }
  }
  out.resize(size);
  return out;
}

// A source over a string handing out at most `chunk` bytes a call (short reads).
GzipReader::Source from_string(const std::string& data, size_t chunk = SIZE_MAX) {
  auto at = std::make_shared<size_t>(0);
  return [&data, at, chunk](char* buf, size_t len) -> ssize_t {
    size_t n = std::min({len, chunk, data.size() - *at});
    std::memcpy(buf, data.data() + *at, n);
    *at += n;
    return static_cast<ssize_t>(n);
  };
}

std::string gzip(const std::string& data, GzipOptions o = {}, size_t chunk = SIZE_MAX, size_t read_len = 64 << 10) {
  GzipReader gz(from_string(data, chunk), o);
  std::string out, buf(read_len, '\0');
  while (true) {
    auto n = gz.read(buf.data(), buf.size());
    EXPECT_TRUE(n) << n.error().str();
    if (!n || *n == 0) break;
    out.append(buf.data(), *n);
  }
  EXPECT_EQ(gz.consumed(), data.size());
  return out;
}

// zlib's own gunzip (windowBits 15+16: the gzip wrapper, its CRC and size checked).
std::string gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 16];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END) << "inflate: " << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

// zlib's one-stream gzip at the same level: what berth pushed before the block format.
std::string zlib_gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

TEST(GzipLayer, RoundTripsAtEverySizeAroundABlock) {
  const size_t b = kGzipBlockSize;
  for (size_t size : {size_t{0}, size_t{1}, b - 1, b, b + 1, 2 * b, 7 * b + 12345}) {
    std::string data = layer_like(size, static_cast<uint32_t>(size));
    for (unsigned threads : {1u, 3u}) {
      std::string gz = gzip(data, {.threads = threads});
      EXPECT_EQ(gunzip(gz), data) << size << " bytes, " << threads << " threads";
    }
  }
}

TEST(GzipLayer, HeaderAndTrailerAreFixed) {
  std::string data = layer_like(3 * kGzipBlockSize + 5);
  std::string gz = gzip(data);
  ASSERT_GE(gz.size(), 18u);
  // No name, mtime 0, XFL 0, OS Unix: nothing of the machine or the time.
  EXPECT_EQ(gz.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
  uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  std::string trailer = gz.substr(gz.size() - 8);
  uint32_t got_crc = 0, got_size = 0;
  for (int i = 0; i < 4; ++i) {
    got_crc |= static_cast<uint32_t>(static_cast<unsigned char>(trailer[i])) << (8 * i);
    got_size |= static_cast<uint32_t>(static_cast<unsigned char>(trailer[4 + i])) << (8 * i);
  }
  EXPECT_EQ(got_crc, crc);
  EXPECT_EQ(got_size, data.size());
  // An empty input is one empty final block: header, 03 00, a zero trailer.
  EXPECT_EQ(gzip(""), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00", 12) + std::string(8, '\0'));
}

TEST(GzipLayer, SameBytesWhateverTheThreadsAndTheReads) {
  std::string data = layer_like(9 * kGzipBlockSize + 777);
  std::string one = gzip(data, {.threads = 1});
  for (unsigned threads : {2u, 3u, 8u, 0u}) EXPECT_EQ(gzip(data, {.threads = threads}), one) << threads << " threads";
  // Short reads from the source, and tiny reads of the output, change nothing.
  EXPECT_EQ(gzip(data, {.threads = 4}, 4097), one);
  EXPECT_EQ(gzip(data, {.threads = 2}, SIZE_MAX, 7), one);
}

TEST(GzipLayer, TheDigestOfAFixedInputIsPinned) {
  // The format is part of every pushed plain layer's digest: a change here
  // changes what registries see. Change it only on purpose (a new version in
  // gzip_layer.h and gzip_digests' directory). A failure after a zlib
  // upgrade means zlib's deflate output changed (zlib 1.2.12 did, for some
  // inputs): pushes would then give new digests for the same layers.
  std::string data = layer_like(2 * kGzipBlockSize + 1000, 42);
  EXPECT_EQ(content::sha256(gzip(data, {.threads = 2})).str(),
            "sha256:b6a2b19e04cdbe880fee8f4f0b250c529e9223efd3460e7cd2fd53ac087128c7");
}

TEST(GzipLayer, EachBlockIsPrimedWithThePreviousOnesTail) {
  // 20 KiB of noise repeated: with the previous block's tail as dictionary,
  // every block after the first is back-references; without, 20 KiB of
  // literals each.
  std::mt19937 rng(7);
  std::string unit(20 << 10, '\0');
  for (auto& c : unit) c = static_cast<char>(rng());
  std::string data;
  while (data.size() < (1 << 20)) data += unit;
  std::string gz = gzip(data, {.threads = 2, .block_size = 64 << 10});
  EXPECT_EQ(gunzip(gz), data);
  EXPECT_LT(gz.size(), unit.size() + 16 * 1024) << "blocks did not refer back across their edges";
}

TEST(GzipLayer, CompressesAboutAsWellAsOneZlibStream) {
  std::string data = layer_like(6 * kGzipBlockSize);
  double blocks = static_cast<double>(gzip(data).size());
  double stream = static_cast<double>(zlib_gzip(data).size());
  EXPECT_LT(blocks, stream * 1.005) << "the block format costs more than 0.5%";
}

TEST(GzipLayer, GzipToolAcceptsIt) {
  std::string data = layer_like(3 * kGzipBlockSize + 99);
  char path[] = "/tmp/berth-gzip-test-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream f(path, std::ios::binary);
    f << gzip(data, {.threads = 2});
  }
  EXPECT_EQ(std::system((std::string("gzip -t < ") + path).c_str()), 0) << "gzip -t refused it";
  std::string plain = std::string(path) + ".plain";
  {
    std::ofstream f(plain, std::ios::binary);
    f << data;
  }
  EXPECT_EQ(std::system(("gzip -dc < " + std::string(path) + " | cmp -s - " + plain).c_str()), 0);
  ::unlink(path);
  ::unlink(plain.c_str());
}

TEST(GzipLayer, ASourceErrorIsReturned) {
  int calls = 0;
  GzipReader gz(
      [&](char* buf, size_t len) -> ssize_t {
        if (++calls > 3) {
          errno = EIO;
          return -1;
        }
        std::memset(buf, 'x', std::min<size_t>(len, 1000));
        return static_cast<ssize_t>(std::min<size_t>(len, 1000));
      },
      {.threads = 2});
  char buf[4096];
  Result<size_t> n = size_t{1};
  while (n && *n) n = gz.read(buf, sizeof buf);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("reading the layer to compress"), std::string::npos) << n.error().str();
}

TEST(GzipLayer, ReadsOnlyAWindowOfBlocksAheadAndStopsMidway) {
  std::string data = layer_like(20 * kGzipBlockSize);
  GzipReader gz(from_string(data), {.threads = 4});
  char buf[100];
  ASSERT_TRUE(gz.read(buf, sizeof buf));
  ASSERT_TRUE(gz.read(buf, sizeof buf));
  // 2 blocks per thread in flight, and the one read ahead: memory stays bounded.
  EXPECT_LE(gz.consumed(), (2 * 4 + 1) * kGzipBlockSize);
  EXPECT_GE(gz.consumed(), kGzipBlockSize);
  // The destructor stops the workers with blocks in flight (a hang fails by timeout).
}

}  // namespace
