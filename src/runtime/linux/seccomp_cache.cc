#include "runtime/linux/seccomp_cache.h"

#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base/digest.h"
#include "base/file.h"

namespace berth::runtime {

Result<SeccompProgram> compile_seccomp_cached(const spec::Seccomp& profile, const std::string& canonical_json,
                                              const std::string& cache_dir) {
  const scmp_version* v = seccomp_version();
  struct utsname u{};
  ::uname(&u);
  std::string key = "berth-seccomp-v1\n" + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + "\n" + u.machine + "\n" + canonical_json;
  std::string path = cache_dir + "/" + sha256_hex(key) + ".bpf";
  if (auto bytes = read_file(path); bytes) {
    if (auto program = seccomp_from_bytes(*bytes); program) return program;
  }
  SeccompProgram program = TRY(compile_seccomp(profile));
  ::mkdir(cache_dir.c_str(), 0700);
  (void)write_file_atomic(path, seccomp_to_bytes(program), 0600, false);
  return program;
}

}  // namespace berth::runtime
