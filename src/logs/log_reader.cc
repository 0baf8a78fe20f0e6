// The line formats of the file drivers, and the reader for a driver.
#include "logs/log_reader.h"

#include <nlohmann/json.hpp>

#include "base/go_time.h"
#include "logs/log_files.h"
#include "logs/log_writer.h"

namespace berth::logs {
namespace {

// {"log":"...","stream":"stdout","time":"..."}
std::optional<LogEntry> parse_json_line(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  LogEntry e;
  auto get = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  get("log", e.log);
  get("stream", e.stream);
  get("time", e.time);
  auto t = go::parse_rfc3339(e.time);
  if (!t) return std::nullopt;
  e.time_ns = t->ns();
  return e;
}

// <time> <stream> <F|P> <content>
std::optional<LogEntry> parse_cri_line(std::string_view text) {
  size_t a = text.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = text.find(' ', a + 1);
  if (b == std::string_view::npos || b + 2 > text.size()) return std::nullopt;
  char tag = text[b + 1];
  if ((tag != 'F' && tag != 'P') || (b + 2 < text.size() && text[b + 2] != ' ')) return std::nullopt;
  LogEntry e;
  e.time = std::string(text.substr(0, a));
  e.stream = std::string(text.substr(a + 1, b - a - 1));
  if (e.stream != "stdout" && e.stream != "stderr") return std::nullopt;
  auto t = go::parse_rfc3339(e.time);
  if (!t) return std::nullopt;
  e.time_ns = t->ns();
  if (b + 3 <= text.size()) e.log = std::string(text.substr(b + 3));
  if (tag == 'F') e.log.push_back('\n');
  return e;
}

class FileReader final : public LogReader {
 public:
  FileReader(std::string path, detail::LineParser parse) : path_(std::move(path)), parse_(parse) {}
  Result<void> read(const LogReadOptions& opts, const LogSink& sink) override {
    return detail::read_log_files(path_, opts, parse_, sink);
  }

 private:
  std::string path_;
  detail::LineParser parse_;
};

}  // namespace

Result<void> read_json_log(const std::string& path, const LogReadOptions& opts, const LogSink& sink) {
  return detail::read_log_files(path, opts, parse_json_line, sink);
}

Result<void> read_cri_log(const std::string& path, const LogReadOptions& opts, const LogSink& sink) {
  return detail::read_log_files(path, opts, parse_cri_line, sink);
}

Result<std::unique_ptr<LogReader>> open_log_reader(std::string_view driver, const std::string& path) {
  if (driver == kJsonFile) return std::unique_ptr<LogReader>(new FileReader(path, parse_json_line));
  if (driver == kCri) return std::unique_ptr<LogReader>(new FileReader(path, parse_cri_line));
  return fail(Errc::Unsupported, "configured logging driver does not support reading");
}

}  // namespace berth::logs
