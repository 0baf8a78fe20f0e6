// What the create-request builder reads outside the flags, from this process.
#include <unistd.h>

#include <cstdlib>

#include "base/file.h"
#include "cli/run_options.h"

namespace berth::cli {

namespace {

std::string process_cwd() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

}  // namespace

std::string RunEnvironment::working_dir() const { return cwd ? cwd() : process_cwd(); }

RunEnvironment process_environment() {
  return RunEnvironment{
      .getenv = [](const std::string& k) -> std::optional<std::string> {
        const char* v = std::getenv(k.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
      },
      .read_file = [](const std::string& path) { return read_file(path); },
      .cwd = process_cwd,
  };
}

}  // namespace berth::cli
