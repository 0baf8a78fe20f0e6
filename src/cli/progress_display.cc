#include "cli/progress_display.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace berth::cli {

void ProgressDisplay::print(std::string_view s) { write_all(fd_, s); }

void ProgressDisplay::feed(std::string_view data) {
  messages_.feed(data, [&](const std::string& line) { handle(line); });
}

Result<void> ProgressDisplay::finish() {
  messages_.finish([&](const std::string& line) { handle(line); });
  if (!error_.empty()) return fail(Errc::Internal, error_);
  return {};
}

void ProgressDisplay::handle(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("error")) {
    const auto& e = j["error"];
    error_ = e.is_string() ? e.get<std::string>() : e.dump();
    return;
  }
  auto text = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (quiet_) return;
  std::string id = text("id"), status = text("status"), bar = text("progress");
  if (status.empty() && text("stream").empty()) return;
  if (!text("stream").empty()) {
    lines_.clear();
    print(text("stream"));
    return;
  }
  if (!terminal_) {
    if (!bar.empty()) return;  // as docker: no bars, and no per-chunk lines, off a terminal
    print(id.empty() ? status + "\n" : id + ": " + status + "\n");
    return;
  }
  if (id.empty()) {
    lines_.clear();  // a line that is not a layer's: the layers above are history
    print("\x1b[2K\r" + status + "\n");
    return;
  }
  auto it = lines_.find(id);
  if (it == lines_.end()) {
    it = lines_.emplace(id, lines_.size()).first;
    print("\n");
  }
  size_t up = lines_.size() - it->second;
  std::string s = fmt::format("\x1b[{}A\x1b[2K\r{}: {}", up, id, status);
  if (!bar.empty()) s += " " + bar;
  s += fmt::format("\r\x1b[{}B", up);
  print(s);
}

}  // namespace berth::cli
