// The kubelet's container log format (CRI), as containerd and CRI-O write
// it: one line per line of output,
//   2016-10-06T00:17:09.669794202Z stdout F hello
// time (RFC 3339, nanoseconds, trailing zeros dropped), stream, a tag (F: the
// line is complete; P: a part of a longer line, or the last bytes of the
// output without a newline), and the line without its "\n" (or "\r\n").
// Lines longer than max_line are cut into P parts ending with an F part.
// Rotation is the kubelet's (it renames the file and asks for a new one).
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "logs/log_writer.h"

namespace berth::logs {

class CriLogWriter final : public LogWriter {
 public:
  // containerd's default max_container_log_line_size.
  static constexpr size_t kDefaultMaxLine = 16 * 1024;

  static Result<std::unique_ptr<CriLogWriter>> open(const std::string& path, size_t max_line = kDefaultMaxLine);
  Result<void> write(Stream stream, std::string_view bytes) override;
  Result<void> flush() override;

 private:
  CriLogWriter() = default;
  void add_line(Stream stream, std::string_view content, bool full, const timespec& now);
  Result<void> write_batch();

  std::string path_;
  size_t max_line_ = kDefaultMaxLine;
  UniqueFd fd_;
  std::string partial_out_, partial_err_;
  std::string batch_;
};

}  // namespace berth::logs
