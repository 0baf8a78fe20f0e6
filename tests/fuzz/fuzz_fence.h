// A fenced directory for fuzz targets that write files: SANDBOX/a/b/LEAF,
// made once under $TMPDIR. check() fails the run when anything appeared
// beside the path to LEAF or LEAF was replaced; empty() clears LEAF for the
// next input (making directories writable first: an input may leave mode-0
// directories, which an unprivileged run cannot list).
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

#include "fuzz_check.h"

namespace fuzz_fence {

inline std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  FUZZ_CHECK(d, "cannot list " + dir);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

// Removes everything below dir, making each directory writable and searchable first.
inline void remove_below(const std::string& dir) {
  ::chmod(dir.c_str(), 0700);
  for (const auto& n : names_in(dir)) {
    std::string p = dir + "/" + n;
    struct stat st;
    FUZZ_CHECK(::lstat(p.c_str(), &st) == 0, "lstat " + p);
    if (S_ISDIR(st.st_mode)) {
      remove_below(p);
      FUZZ_CHECK(::rmdir(p.c_str()) == 0, "rmdir " + p);
    } else {
      FUZZ_CHECK(::unlink(p.c_str()) == 0, "unlink " + p);
    }
  }
}

class Fence {
 public:
  // Makes $TMPDIR/NAME-XXXXXX/a/b/LEAF; it is removed at exit.
  void make(const std::string& name, const std::string& leaf) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name + "-XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern.data()), "mkdtemp " + pattern);
    sandbox_ = pattern;
    leaf_ = leaf;
    inside_ = sandbox_ + "/a/b/" + leaf;
    FUZZ_CHECK(::mkdir((sandbox_ + "/a").c_str(), 0755) == 0 && ::mkdir((sandbox_ + "/a/b").c_str(), 0755) == 0 &&
                   ::mkdir(inside_.c_str(), 0755) == 0,
               "making " + inside_);
    struct stat st;
    ::lstat(inside_.c_str(), &st);
    ino_ = st.st_ino;
  }
  const std::string& path() const { return inside_; }
  void check() const {
    FUZZ_CHECK(names_in(sandbox_) == std::set<std::string>{"a"}, "something appeared in " + sandbox_);
    FUZZ_CHECK(names_in(sandbox_ + "/a") == std::set<std::string>{"b"}, "something appeared in " + sandbox_ + "/a");
    FUZZ_CHECK(names_in(sandbox_ + "/a/b") == std::set<std::string>{leaf_}, "something appeared in " + sandbox_ + "/a/b");
    struct stat st;
    FUZZ_CHECK(::lstat(inside_.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == ino_,
               "the directory " + inside_ + " was replaced");
  }
  void empty() const { remove_below(inside_); }
  void remove() const {
    empty();
    ::rmdir(inside_.c_str());
    ::rmdir((sandbox_ + "/a/b").c_str());
    ::rmdir((sandbox_ + "/a").c_str());
    ::rmdir(sandbox_.c_str());
  }

 private:
  std::string sandbox_, leaf_, inside_;
  ino_t ino_ = 0;
};

}  // namespace fuzz_fence
