// gzip_bench: how fast a push compresses a plain layer (registry/gzip_layer),
// on one thread and on several, against zlib's one-stream gzip at the same
// level (what berth pushed before the block format). A benchmark, not a test.
//
//   gzip_bench [--mib N] [--runs R] [--threads T,T,...] [--random] [FILE]
//
// The input is FILE, else the first N MiB (default 100) of a tar of /usr
// (binaries, libraries, text: what image layers hold), or N MiB of random
// bytes with --random. It is read into memory first: the disk is not measured.
// Prints, per mode, over R runs (default 3): the median and the best MB/s of
// input (on a shared machine the best says what the cores can do), the median
// CPU time, the output's size and its ratio to the input.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "content/digest.h"
#include "registry/gzip_layer.h"

using namespace berth;

namespace {

std::string read_input(const std::string& file, size_t limit, bool random) {
  std::string data;
  if (random) {
    std::mt19937_64 rng(1);
    data.resize(limit);
    for (size_t i = 0; i + 8 <= limit; i += 8) {
      uint64_t v = rng();
      std::memcpy(data.data() + i, &v, 8);
    }
    return data;
  }
  std::string cmd = file.empty() ? "tar -C /usr -cf - bin lib share 2>/dev/null" : "cat '" + file + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return data;
  std::vector<char> buf(1 << 20);
  size_t n;
  while (data.size() < limit && (n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    data.append(buf.data(), std::min(n, limit - data.size()));
  ::pclose(p);
  return data;
}

size_t zlib_one_stream(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(1 << 20, '\0');
  size_t total = 0;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = deflate(&z, Z_FINISH);
    total += out.size() - z.avail_out;
  } while (rc == Z_OK || rc == Z_BUF_ERROR);
  deflateEnd(&z);
  return total;
}

size_t block_format(const std::string& in, unsigned threads, std::string* digest) {
  size_t at = 0;
  registry::GzipReader gz(
      [&](char* buf, size_t len) -> ssize_t {
        size_t n = std::min(len, in.size() - at);
        std::memcpy(buf, in.data() + at, n);
        at += n;
        return static_cast<ssize_t>(n);
      },
      {.threads = threads});
  auto hasher = content::Hasher::create().value();
  std::string buf(1 << 20, '\0');
  size_t total = 0;
  while (true) {
    auto n = gz.read(buf.data(), buf.size());
    if (!n || *n == 0) break;
    hasher.update(buf.data(), *n);  // a push hashes what it sends
    total += *n;
  }
  if (digest) *digest = hasher.finish().str();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 100;
  int runs = 3;
  bool random = false;
  std::string file;
  std::vector<unsigned> threads = {1, registry::gzip_threads(0)};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mib" && i + 1 < argc) {
      mib = std::stoul(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      threads.clear();
      std::string list = argv[++i];
      for (size_t at = 0; at <= list.size();) {
        size_t comma = list.find(',', at);
        threads.push_back(static_cast<unsigned>(std::stoul(list.substr(at, comma - at))));
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    } else if (a == "--random") {
      random = true;
    } else if (!a.empty() && a[0] != '-') {
      file = a;
    } else {
      std::fprintf(stderr, "usage: gzip_bench [--mib N] [--runs R] [--threads T,T,...] [--random] [FILE]\n");
      return 2;
    }
  }
  std::string in = read_input(file, mib << 20, random);
  if (in.empty()) {
    std::fprintf(stderr, "gzip_bench: no input\n");
    return 1;
  }
  std::printf("# input: %s, %.1f MiB; %u cores; block %zu KiB; %d runs\n",
              random ? "random bytes" : file.empty() ? "tar of /usr" : file.c_str(), double(in.size()) / (1 << 20),
              std::thread::hardware_concurrency(), registry::kGzipBlockSize >> 10, runs);
  // MB/s: input over wall time (what a push waits for); CPU s: the process's CPU time a run
  // (all threads), which a busy machine does not inflate the way it does wall time.
  std::printf("%-28s %10s %10s %8s %14s %8s\n", "mode", "MB/s", "best MB/s", "CPU s", "output bytes", "ratio");
  auto cpu_now = [] {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
  };
  auto measure = [&](const std::string& name, const std::function<size_t()>& run) {
    std::vector<double> secs, cpu;
    size_t out = 0;
    for (int r = 0; r < runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      double c0 = cpu_now();
      out = run();
      cpu.push_back(cpu_now() - c0);
      secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(secs.begin(), secs.end());
    std::sort(cpu.begin(), cpu.end());
    double median = secs[secs.size() / 2];
    std::printf("%-28s %10.1f %10.1f %8.2f %14zu %8.4f\n", name.c_str(), double(in.size()) / 1e6 / median,
                double(in.size()) / 1e6 / secs.front(), cpu[cpu.size() / 2], out, double(out) / double(in.size()));
    std::fflush(stdout);
  };
  measure("zlib one stream (before)", [&] { return zlib_one_stream(in); });
  std::string first_digest;
  for (unsigned t : threads) {
    std::string digest;
    measure("blocks, " + std::to_string(t) + " thread" + (t == 1 ? "" : "s"), [&] { return block_format(in, t, &digest); });
    if (first_digest.empty()) first_digest = digest;
    if (digest != first_digest) {
      std::fprintf(stderr, "gzip_bench: %u threads gave another digest (%s, not %s)\n", t, digest.c_str(),
                   first_digest.c_str());
      return 1;
    }
  }
  return 0;
}
