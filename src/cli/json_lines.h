// A JSON message stream (pull, push, load, build) arrives in pieces that cut
// lines anywhere: this joins them and hands over whole lines, "\r\n" or "\n"
// ended, empty ones dropped.
#pragma once

#include <string>
#include <string_view>

namespace berth::cli {

class JsonLines {
 public:
  template <class F>
  void feed(std::string_view data, F&& line) {
    pending_.append(data);
    size_t start = 0, nl;
    while ((nl = pending_.find('\n', start)) != std::string::npos) {
      std::string_view l(pending_.data() + start, nl - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (!l.empty()) line(std::string(l));
      start = nl + 1;
    }
    pending_.erase(0, start);
  }
  // The last line when the stream ended without a newline.
  template <class F>
  void finish(F&& line) {
    if (!pending_.empty()) line(std::string(pending_));
    pending_.clear();
  }

 private:
  std::string pending_;
};

}  // namespace berth::cli
