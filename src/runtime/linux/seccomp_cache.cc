#include "runtime/linux/seccomp_cache.h"

#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdio>
#include <functional>

#include "base/file.h"

namespace berth::runtime {
namespace {

// A cache file holds the whole key, then the program: a hash collision (the
// hash only names the file) can never hand one profile's program to another.
constexpr char kMagic[] = "berth-seccomp-cache-v1\n";

}  // namespace

Result<SeccompProgram> compile_seccomp_cached(const spec::Seccomp& profile, const std::string& canonical_json,
                                              const std::string& cache_dir) {
  const scmp_version* v = seccomp_version();
  struct utsname u{};
  ::uname(&u);
  std::string key = std::string(kMagic) + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + " " + u.machine + "\n" + canonical_json;
  char name[32];
  std::snprintf(name, sizeof name, "%016zx.bpf", std::hash<std::string>{}(key));
  std::string path = cache_dir + "/" + name;
  std::string header = std::to_string(key.size()) + "\n" + key;
  if (auto bytes = read_file(path); bytes && bytes->compare(0, header.size(), header) == 0) {
    if (auto program = seccomp_from_bytes(bytes->substr(header.size())); program) return program;
  }
  SeccompProgram program = TRY(compile_seccomp(profile));
  ::mkdir(cache_dir.c_str(), 0700);
  (void)write_file_atomic(path, header + seccomp_to_bytes(program), 0600, false);
  return program;
}

}  // namespace berth::runtime
