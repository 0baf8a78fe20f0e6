// Runs one of berth::cli's entry points (main, main_every_command) in this
// process with stdout and stderr captured; no daemon is involved.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace berth::cli::testing {

struct Outcome {
  int status;
  std::string out, err;
};

inline std::string slurp(int fd) {
  std::string s;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

// entry(argc, argv) with argv = "berth" + args.
inline Outcome run_cli(int (*entry)(int, char**), std::vector<std::string> args) {
  args.insert(args.begin(), "berth");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out = ::memfd_create("out", MFD_CLOEXEC), err = ::memfd_create("err", MFD_CLOEXEC);
  int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(out, 1);
  ::dup2(err, 2);
  int status = entry(static_cast<int>(args.size()), argv.data());
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  Outcome r{status, slurp(out), slurp(err)};
  ::close(out);
  ::close(err);
  return r;
}

}  // namespace berth::cli::testing
