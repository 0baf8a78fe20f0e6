// Layer apply: berth vs GNU tar -x (and umoci raw unpack when it works) on a
// ~100 MB, ~5,000-file layer built from local /usr files, uncompressed and
// gzip, into fresh dirs on one filesystem. Prints medians and ratios.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "layer/layer.h"

namespace {

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}
bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Case {
  const char* name;
  std::function<bool(const std::string& target)> run;
  std::vector<double> ms;
};

// Runs are interleaved across cases and every run gets its own fresh dir; all
// are removed at the end, because ext4 inode allocation right after a mass
// delete (recently_deleted scans) adds noise of the order of the work itself.
bool run_cases(std::vector<Case>& cases, int runs, const std::string& base) {
  int n = 0;
  for (int i = 0; i < runs; ++i) {
    for (auto& c : cases) {
      std::string target = base + "/out" + std::to_string(n++);
      ::mkdir(target.c_str(), 0755);
      sh("sync");
      auto t0 = std::chrono::steady_clock::now();
      if (!c.run(target)) {
        std::fprintf(stderr, "%s failed\n", c.name);
        return false;
      }
      c.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  sh("rm -rf " + base + "/out*");
  return true;
}

bool berth_apply(const std::string& tar, const std::string& target) {
  int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
  auto r = berth::layer::apply(fd, target, {.format = berth::layer::Format::Overlay});
  ::close(fd);
  if (!r) std::fprintf(stderr, "berth: %s\n", r.error().str().c_str());
  return r.has_value();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const char* tmp = std::getenv("TMPDIR");
  std::string base = std::string(tmp && *tmp ? tmp : "/var/tmp") + "/berth-layer-bench-XXXXXX";
  if (!::mkdtemp(base.data())) return 1;
  std::string list = base + "/list", tar = base + "/layer.tar", tgz = tar + ".gz", tzst = tar + ".zst", target = base + "/out";

  // ~45 MB of libraries (no file over 8 MB), then /usr/share until 5,000 entries and 100 MB.
  std::string libs = sh_out("find /usr/lib/x86_64-linux-gnu -xdev \\( -type f -size -8M -o -type l \\) -printf '%s %p\\n' 2>/dev/null");
  std::string share = sh_out("find /usr/share -xdev \\( -type f -size -8M -o -type l \\) -printf '%s %p\\n' 2>/dev/null");
  std::ofstream out(list);
  long long bytes = 0;
  int files = 0;
  auto take = [&](const std::string& src, auto done) {
    size_t pos = 0;
    while (pos < src.size() && !done()) {
      size_t nl = src.find('\n', pos);
      std::string line = src.substr(pos, nl - pos);
      pos = nl == std::string::npos ? src.size() : nl + 1;
      size_t sp = line.find(' ');
      bytes += std::atoll(line.c_str());
      ++files;
      out << line.substr(sp + 1) << '\n';
    }
  };
  take(libs, [&] { return bytes >= 45LL << 20; });
  take(share, [&] { return files >= 5000 && bytes >= 100LL << 20; });
  out.close();
  if (!sh("tar -cf " + tar + " -T " + list + " 2>/dev/null; gzip -c " + tar + " > " + tgz + " && zstd -q -c " + tar + " > " + tzst)) return 1;
  std::printf("layer: %d entries, %.1f MB tar, %.1f MB gzip; %d runs each, medians\n", files,
              bytes / 1048576.0, 0.0 + std::stoll(sh_out("stat -c %s " + tgz)) / 1048576.0, runs);

  std::vector<Case> cases = {
      {"berth apply (tar)", [&](const std::string& t) { return berth_apply(tar, t); }, {}},
      {"GNU tar -xpf (tar)", [&](const std::string& t) { return sh("tar -xpf " + tar + " -C " + t); }, {}},
      {"berth apply (gzip)", [&](const std::string& t) { return berth_apply(tgz, t); }, {}},
      {"GNU tar -xzpf (gzip)", [&](const std::string& t) { return sh("tar -xzpf " + tgz + " -C " + t); }, {}},
      {"gzip -dc > /dev/null", [&](const std::string&) { return sh("gzip -dc " + tgz + " > /dev/null"); }, {}},
      {"berth apply (zstd)", [&](const std::string& t) { return berth_apply(tzst, t); }, {}},
      {"GNU tar --zstd -xpf (zstd)", [&](const std::string& t) { return sh("tar --zstd -xpf " + tzst + " -C " + t); }, {}},
  };
  if (!run_cases(cases, runs, base)) return 1;
  double b_tar = median(cases[0].ms), g_tar = median(cases[1].ms), b_gz = median(cases[2].ms),
         g_gz = median(cases[3].ms), gunzip = median(cases[4].ms);
  std::printf("%-34s %9.1f ms\n", "berth apply (tar)", b_tar);
  std::printf("%-34s %9.1f ms   berth/tar %.2f\n", "GNU tar -xpf (tar)", g_tar, b_tar / g_tar);
  std::printf("%-34s %9.1f ms\n", "berth apply (gzip)", b_gz);
  std::printf("%-34s %9.1f ms   berth/tar %.2f\n", "GNU tar -xzpf (gzip)", g_gz, b_gz / g_gz);
  std::printf("%-34s %9.1f ms   (decompression floor)\n", "gzip -dc > /dev/null", gunzip);
  std::printf("%-34s %9.1f ms\n", "berth apply (zstd)", median(cases[5].ms));
  std::printf("%-34s %9.1f ms   berth/tar %.2f\n", "GNU tar --zstd -xpf (zstd)", median(cases[6].ms),
              median(cases[5].ms) / median(cases[6].ms));

  // umoci needs an OCI layout; add-layer gzips the tar itself.
  std::string layout = base + "/oci";
  if (sh("umoci init --layout " + layout + " && umoci new --image " + layout + ":b && umoci raw add-layer --image " +
         layout + ":b " + tar + " >/dev/null 2>&1")) {
    std::string rootfs = base + "/rootfs";
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      sh("rm -rf " + rootfs + "; sync");
      auto t0 = std::chrono::steady_clock::now();
      if (!sh("umoci raw unpack --image " + layout + ":b " + rootfs + " >/dev/null 2>&1")) break;
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (!ms.empty())
      std::printf("%-34s %9.1f ms   berth/umoci %.2f\n", "umoci raw unpack (gzip)", median(ms), b_gz / median(ms));
  } else {
    std::printf("umoci: could not build the OCI layout, skipped\n");
  }
  sh("rm -rf '" + base + "'");
  return 0;
}
