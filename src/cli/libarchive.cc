#include "cli/libarchive.h"

#include <dlfcn.h>

#include <fmt/format.h>

namespace berth::cli {

Result<LibArchive> load_libarchive(const char* soname) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return fail(Errc::Unavailable, fmt::format("this command needs libarchive ({}), which could not be loaded: {} "
                                               "(on Debian: apt-get install libarchive13)",
                                               soname, why ? why : "unknown error"));
  }
  LibArchive lib;
  const char* missing = nullptr;
  auto resolve = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
    if (!fn && !missing) missing = name;
  };
#define BERTH_LIBARCHIVE_RESOLVE(name) resolve(lib.name, #name);
  BERTH_LIBARCHIVE_FUNCTIONS(BERTH_LIBARCHIVE_RESOLVE)
#undef BERTH_LIBARCHIVE_RESOLVE
  if (missing) {
    ::dlclose(handle);
    return fail(Errc::Unavailable, fmt::format("{} has no {}: libarchive 3 is needed", soname, missing));
  }
  return lib;  // the handle stays open: the functions are used until exit
}

Result<const LibArchive*> libarchive() {
  static const Result<LibArchive> loaded = load_libarchive(kLibArchiveSoname);
  if (!loaded) return std::unexpected(loaded.error());
  return &*loaded;
}

}  // namespace berth::cli
