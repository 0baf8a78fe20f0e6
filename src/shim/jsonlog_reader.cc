// The json-file reader behind `docker logs`: rotated files oldest first, the
// tail found by reading backwards, and follow on inotify (no polling).
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/go_time.h"
#include "shim/jsonlog.h"

namespace berth::shim {
namespace {

constexpr size_t kBlock = 64 * 1024;

struct LogFile {
  UniqueFd fd;
  std::string path;
  off_t start = 0;  // where reading begins (after the tail search)
  dev_t dev = 0;
  ino_t ino = 0;
};

Result<std::optional<LogFile>> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<LogFile>();
    return fail_errno("opening log file " + path);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("stat of log file " + path);
  return std::optional<LogFile>(LogFile{std::move(fd), path, 0, st.st_dev, st.st_ino});
}

// PATH, PATH.1, PATH.2, ... opened newest first, so a rotation meanwhile shows
// up as the same file twice (skipped) rather than as a gap; returned oldest first.
Result<std::vector<LogFile>> open_logs(const std::string& path) {
  std::vector<LogFile> files;
  for (int i = 0;; ++i) {
    std::string p = i == 0 ? path : path + "." + std::to_string(i);
    auto f = TRY(open_log(p));
    if (!f) {
      if (i == 0) continue;  // rotated just now: the older ones may be there
      break;
    }
    bool seen = std::any_of(files.begin(), files.end(),
                            [&](const LogFile& o) { return o.dev == f->dev && o.ino == f->ino; });
    if (!seen) files.push_back(std::move(*f));
  }
  std::reverse(files.begin(), files.end());
  return files;
}

Result<ssize_t> pread_full(int fd, char* buf, size_t len, off_t off, const std::string& path) {
  while (true) {
    ssize_t n = ::pread(fd, buf, len, off);
    if (n >= 0) return n;
    if (errno != EINTR) return fail_errno("reading log file " + path);
  }
}

// Sets f.start to the beginning of the last `want` complete lines of the
// file and returns how many it has (fewer when the file is short). Reads
// backwards in blocks: a huge log costs only what the tail needs.
Result<int> find_tail(LogFile& f, int want) {
  struct stat st{};
  if (::fstat(f.fd.get(), &st) != 0) return fail_errno("stat of log file " + f.path);
  std::string buf(kBlock, '\0');
  off_t end = st.st_size;
  int found = 0;
  bool seen_last_newline = false;  // bytes after the last newline are a line being written
  while (end > 0) {
    off_t begin = end > static_cast<off_t>(kBlock) ? end - static_cast<off_t>(kBlock) : 0;
    ssize_t n = TRY(pread_full(f.fd.get(), buf.data(), static_cast<size_t>(end - begin), begin, f.path));
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buf[static_cast<size_t>(i)] != '\n') continue;
      if (!seen_last_newline) {
        seen_last_newline = true;
        continue;
      }
      // A newline ends the line before; the line after it is complete.
      if (++found == want) {
        f.start = begin + i + 1;
        return found;
      }
    }
    end = begin;
  }
  if (seen_last_newline) ++found;  // the first line of the file
  f.start = 0;
  return found;
}

class Reader {
 public:
  Reader(const LogReadOptions& opts, const std::function<bool(const LogEntry&)>& sink) : opts_(opts), sink_(sink) {}

  // Reads complete lines of f from f.start on; a trailing partial line stays
  // in pending_ (follow finishes it later). Returns false when done.
  Result<bool> read_lines(LogFile& f) {
    std::string buf(kBlock, '\0');
    while (true) {
      ssize_t n = TRY(pread_full(f.fd.get(), buf.data(), buf.size(), f.start, f.path));
      if (n == 0) return true;
      f.start += n;
      std::string_view data(buf.data(), static_cast<size_t>(n));
      while (!data.empty()) {
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) {
          pending_.append(data);
          break;
        }
        bool go_on;
        if (pending_.empty()) {
          go_on = line(data.substr(0, nl));
        } else {
          pending_.append(data.substr(0, nl));
          go_on = line(pending_);
          pending_.clear();
        }
        if (!go_on) return false;
        data.remove_prefix(nl + 1);
      }
    }
  }

  void drop_partial() { pending_.clear(); }

 private:
  // One JSON line; false ends the read (sink said so, or past `until`).
  bool line(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return true;  // a damaged line: skip it, as the rest is readable
    LogEntry e;
    auto get = [&](const char* key, std::string& out) {
      auto it = j.find(key);
      if (it != j.end() && it->is_string()) out = it->get<std::string>();
    };
    get("log", e.log);
    get("stream", e.stream);
    get("time", e.time);
    auto t = go::parse_rfc3339(e.time);
    if (!t) return true;
    e.time_ns = t->ns();
    if (opts_.until_ns && e.time_ns > *opts_.until_ns) return false;
    if (opts_.since_ns && e.time_ns < *opts_.since_ns) return true;
    if (e.stream == "stdout" ? !opts_.stdout : e.stream == "stderr" ? !opts_.stderr : false) return true;
    return sink_(e);
  }

  const LogReadOptions& opts_;
  const std::function<bool(const LogEntry&)>& sink_;
  std::string pending_;
};

// The directory of path and its last component, for the inotify watch.
std::pair<std::string, std::string> split_path(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// The file written after `cur`, which the writer has rotated away: when it
// is PATH.i now, PATH.(i-1) (or PATH); when it is gone, the oldest there is.
// So a reader that lags a rotation or two behind misses nothing still on disk.
std::string successor(const std::string& path, const LogFile& cur) {
  std::string oldest = path;
  for (int i = 1;; ++i) {
    std::string p = path + "." + std::to_string(i);
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) return oldest;
    if (st.st_dev == cur.dev && st.st_ino == cur.ino) return i == 1 ? path : path + "." + std::to_string(i - 1);
    oldest = p;
  }
}

// After the existing entries: waits for more in the current file, moving to
// the new file when the writer rotates, until a stop fd is readable.
Result<void> follow(const std::string& path, int inotify_fd, std::optional<LogFile> cur, Reader& reader,
                    const LogReadOptions& opts) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return fail_errno("creating an epoll instance to follow " + path);
  auto add = [&](int fd, uint64_t tag) -> Result<void> {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return fail_errno("watching fd " + std::to_string(fd));
    return {};
  };
  TRYV(add(inotify_fd, 0));
  for (int fd : opts.stop_fds) TRYV(add(fd, 1));
  bool stopping = false;
  while (true) {
    // Catch up: the rest of the current file, then any file that replaced it.
    while (true) {
      if (cur) {
        struct stat st{};
        if (::fstat(cur->fd.get(), &st) == 0 && st.st_size < cur->start) {
          cur->start = 0;  // truncated (rotation with a single file)
          reader.drop_partial();
        }
        if (!TRY(reader.read_lines(*cur))) return {};
      }
      struct stat st{};
      if (::stat(path.c_str(), &st) != 0) break;  // between rename and create: IN_CREATE wakes us
      if (cur && st.st_dev == cur->dev && st.st_ino == cur->ino) break;
      auto next = TRY(open_log(cur ? successor(path, *cur) : path));
      if (!next) break;
      reader.drop_partial();  // an unfinished line of the old file stays unfinished
      cur = std::move(next);
    }
    if (stopping) return {};
    epoll_event evs[8];
    int n = ::epoll_wait(ep.get(), evs, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("waiting for log output of " + path);
    }
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.u64 == 1) {
        stopping = true;  // read what is left, then return
      } else {
        alignas(inotify_event) char buf[4096];
        while (::read(inotify_fd, buf, sizeof buf) > 0) {
        }
      }
    }
  }
}

}  // namespace

Result<void> read_json_log(const std::string& path, const LogReadOptions& opts,
                           const std::function<bool(const LogEntry&)>& sink) {
  // The watch comes first so that nothing written after the last read is missed.
  UniqueFd inotify;
  if (opts.follow) {
    inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify) return fail_errno("inotify_init1 to follow " + path);
    auto [dir, name] = split_path(path);
    if (::inotify_add_watch(inotify.get(), dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
      return fail_errno("watching " + dir + " for log output");
  }
  std::vector<LogFile> files = TRY(open_logs(path));
  size_t first = 0;
  if (opts.tail >= 0) {
    first = files.size();
    int want = opts.tail;
    while (want > 0 && first > 0) {
      --first;
      want -= TRY(find_tail(files[first], want));
    }
    if (opts.tail == 0) {
      for (auto& f : files) f.start = ::lseek(f.fd.get(), 0, SEEK_END);
      first = files.empty() ? 0 : files.size() - 1;
    }
  }
  Reader reader(opts, sink);
  for (size_t i = first; i < files.size(); ++i) {
    if (!TRY(reader.read_lines(files[i]))) return {};
    if (i + 1 < files.size()) reader.drop_partial();
  }
  if (!opts.follow) return {};
  std::optional<LogFile> cur;
  if (!files.empty() && files.back().path == path) cur = std::move(files.back());
  return follow(path, inotify.get(), std::move(cur), reader, opts);
}

}  // namespace berth::shim
