// The kubelet's log format: "<time> <stream> <F|P> <line>\n" per line.
#include "logs/cri_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/go_time.h"
#include "logs/batch_file.h"

namespace berth::logs {

Result<std::unique_ptr<CriLogWriter>> CriLogWriter::open(const std::string& path, size_t max_line) {
  std::unique_ptr<CriLogWriter> w(new CriLogWriter);
  w->path_ = path;
  w->max_line_ = max_line == 0 ? kDefaultMaxLine : max_line;
  w->fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!w->fd_) return fail_errno("opening log file " + path);
  return w;
}

void CriLogWriter::add_line(Stream stream, std::string_view content, bool full, const timespec& now) {
  go::append_rfc3339_nano(batch_, {now.tv_sec, static_cast<int32_t>(now.tv_nsec)});
  batch_.push_back(' ');
  batch_.append(stream_name(stream));
  batch_.append(full ? " F " : " P ");
  batch_.append(content);
  batch_.push_back('\n');
}

Result<void> CriLogWriter::write(Stream stream, std::string_view bytes) {
  std::string& partial = stream == Stream::Stderr ? partial_err_ : partial_out_;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);  // the whole rest when there is no newline
    // More than max_line bytes of one line: the first max_line go out as a part.
    while (partial.size() + piece.size() > max_line_) {
      size_t take = max_line_ - partial.size();
      if (partial.empty()) {
        add_line(stream, piece.substr(0, take), false, now);
      } else {
        partial.append(piece.substr(0, take));
        add_line(stream, partial, false, now);
        partial.clear();
      }
      piece.remove_prefix(take);
    }
    if (nl == std::string_view::npos) {
      partial.append(piece);
      break;
    }
    // A complete line, without its "\n" or "\r\n".
    if (partial.empty()) {
      if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
      add_line(stream, piece, true, now);
    } else {
      partial.append(piece);
      if (partial.back() == '\r') partial.pop_back();
      add_line(stream, partial, true, now);
      partial.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
  return write_batch();
}

Result<void> CriLogWriter::flush() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  // Output that ended without a newline: a partial line, as containerd writes it.
  for (auto [stream, partial] : {std::pair{Stream::Stdout, &partial_out_}, std::pair{Stream::Stderr, &partial_err_}}) {
    if (partial->empty()) continue;
    add_line(stream, *partial, false, now);
    partial->clear();
  }
  return write_batch();
}

Result<void> CriLogWriter::write_batch() {
  return write_batch_to(fd_.get(), batch_, path_, max_line_ * 4);  // a burst should not stay resident
}

}  // namespace berth::logs
