// The json-file writer: one entry per line of output, rotation by size.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/go_json.h"
#include "base/go_time.h"
#include "logs/batch_file.h"
#include "logs/json_file_writer.h"

namespace berth::logs {

Result<std::unique_ptr<JsonFileWriter>> JsonFileWriter::open(const std::string& path, const JsonFileOptions& options) {
  std::unique_ptr<JsonFileWriter> w(new JsonFileWriter);
  w->path_ = path;
  w->max_size_ = options.max_size;
  w->max_files_ = options.max_files < 1 ? 1 : options.max_files;
  w->fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!w->fd_) return fail_errno("opening log file " + path);
  struct stat st{};
  if (::fstat(w->fd_.get(), &st) != 0) return fail_errno("stat of log file " + path);
  w->size_ = static_cast<uint64_t>(st.st_size);
  return w;
}

Result<void> JsonFileWriter::write(Stream stream, std::string_view bytes) {
  std::string& partial = stream == Stream::Stderr ? partial_err_ : partial_out_;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    size_t room = kMaxLine - partial.size();
    if (nl == std::string_view::npos && bytes.size() < room) {
      partial.append(bytes);
      break;
    }
    // A whole line (with its newline), or kMaxLine bytes of a longer one.
    size_t take = nl != std::string_view::npos && nl < room ? nl + 1 : room;
    if (partial.empty()) {
      TRYV(add_entry(stream, bytes.substr(0, take), now));
    } else {
      partial.append(bytes.substr(0, take));
      auto r = add_entry(stream, partial, now);
      partial.clear();
      TRYV(r);
    }
    bytes.remove_prefix(take);
  }
  return write_batch();
}

Result<void> JsonFileWriter::flush() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  for (auto [stream, partial] : {std::pair{Stream::Stdout, &partial_out_}, std::pair{Stream::Stderr, &partial_err_}}) {
    if (partial->empty()) continue;
    auto r = add_entry(stream, *partial, now);
    partial->clear();
    TRYV(r);
  }
  return write_batch();
}

Result<void> JsonFileWriter::add_entry(Stream stream, std::string_view bytes, const timespec& now) {
  size_t before = batch_.size();
  batch_.append("{\"log\":");
  go::append_json_string(batch_, bytes, go::JsonEscape::JsonLog);
  batch_.append(",\"stream\":\"");
  batch_.append(stream_name(stream));
  batch_.append("\",\"time\":\"");
  go::append_rfc3339_nano(batch_, {now.tv_sec, static_cast<int32_t>(now.tv_nsec)});
  batch_.append("\"}\n");
  size_t entry = batch_.size() - before;
  // Rotate before an entry that would take the file past max_size (a file
  // always takes at least one entry, however large).
  if (max_size_ > 0 && size_ + before > 0 && size_ + batch_.size() > max_size_) {
    std::string tail = batch_.substr(before, entry);
    batch_.resize(before);
    TRYV(write_batch());
    TRYV(rotate());
    batch_ = std::move(tail);
  }
  return {};
}

Result<void> JsonFileWriter::write_batch() {
  size_t n = batch_.size();
  TRYV(write_batch_to(fd_.get(), batch_, path_, kMaxLine * 4));
  size_ += n;
  return {};
}

Result<void> JsonFileWriter::rotate() {
  if (max_files_ <= 1) {
    if (::ftruncate(fd_.get(), 0) != 0) return fail_errno("truncating log file " + path_);
    size_ = 0;
    return {};
  }
  // Shift only the files there are (max-file can be large): PATH.(i-1) -> PATH.i,
  // the oldest kept one overwritten once max_files exist.
  int existing = 0;
  struct stat st{};
  while (existing + 1 < max_files_ && ::stat((path_ + "." + std::to_string(existing + 1)).c_str(), &st) == 0) ++existing;
  for (int i = std::min(existing + 1, max_files_ - 1); i >= 1; --i) {
    std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
    std::string to = path_ + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return fail_errno("rotating log file " + from + " to " + to);
  }
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) return fail_errno("opening log file " + path_ + " after rotation");
  fd_ = std::move(fd);
  size_ = 0;
  return {};
}

}  // namespace berth::logs
