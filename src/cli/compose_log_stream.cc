#include "cli/compose_log_stream.h"

#include <array>
#include <thread>

#include <fmt/format.h>

#include "cli/stream.h"

namespace berth::cli {

std::string rainbow_color(size_t n) {
  static const char* const kCodes[] = {"36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"};
  return kCodes[n % 10];
}

LogPrinter::LogPrinter(const std::vector<LogTarget>& targets, const LogOptions& options, Sink sink)
    : options_(options), sink_(std::move(sink)) {
  if (!sink_) sink_ = [](int fd, std::string_view bytes) { write_all(fd, bytes); };
  size_t width = 0;
  for (const auto& t : targets) width = std::max(width, t.name.size());
  width += 1;
  for (size_t i = 0; i < targets.size(); ++i) {
    names_.push_back(targets[i].name);
    colors_.push_back(options.color ? rainbow_color(i) : "");
    std::string p = options.prefix ? fmt::format("{:<{}} | ", targets[i].name, width) : "";
    if (options.color && !p.empty()) p = fmt::format("\033[{}m{}\033[0m", colors_[i], p);
    prefixes_.push_back(p);
    partial_.push_back({});
  }
}

void LogPrinter::feed(size_t t, int stream, std::string_view bytes) {
  int fd = stream == 2 ? 2 : 1;
  std::string& pending = partial_[t][fd];
  pending.append(bytes);
  std::string out;
  size_t start = 0, nl;
  while ((nl = pending.find('\n', start)) != std::string::npos) {
    out += prefixes_[t];
    out.append(pending, start, nl - start + 1);
    start = nl + 1;
  }
  pending.erase(0, start);
  if (out.empty()) return;
  std::lock_guard lock(mu_);
  sink_(fd, out);
}

void LogPrinter::flush(size_t t) {
  for (int fd : {1, 2}) {
    std::string& pending = partial_[t][fd];
    if (pending.empty()) continue;
    std::string out = prefixes_[t] + pending + "\n";
    pending.clear();
    std::lock_guard lock(mu_);
    sink_(fd, out);
  }
}

void LogPrinter::status(size_t t, const std::string& text) {
  std::string line = options_.color ? fmt::format("\033[{}m{}\033[0m\n", colors_[t], text) : text + "\n";
  std::lock_guard lock(mu_);
  sink_(1, line);
}

Result<void> stream_logs(ComposeApiEngine& engine, const std::vector<LogTarget>& targets, const LogOptions& o) {
  LogPrinter printer(targets, o);
  std::mutex mu;
  std::optional<Error> first;
  auto follow_one = [&](size_t i) -> Result<void> {
    const LogTarget& t = targets[i];
    std::string q = fmt::format("/containers/{}/logs?stdout=1&stderr=1&tail={}", url_encode(t.id), url_encode(o.tail));
    if (o.follow) q += "&follow=1";
    if (o.timestamps) q += "&timestamps=1";
    if (!o.since.empty()) q += "&since=" + url_encode(o.since);
    if (!o.until.empty()) q += "&until=" + url_encode(o.until);
    auto client = TRY(engine.acquire());
    api::StreamDemux demux;
    api::Response r = TRY(client->stream("GET", q, "", [&](std::string_view data) {
      if (t.tty) printer.feed(i, 1, data);
      else demux.feed(data, [&](int stream, std::string_view payload) { printer.feed(i, stream, payload); });
      return true;
    }));
    printer.flush(i);
    TRYV(check(std::move(r)));
    engine.release(std::move(client));
    if (o.announce_exit) {
      auto state = engine.inspect_state(t.id);
      if (state && state->status != "running") printer.status(i, fmt::format("{} exited with code {}", t.name, state->exit_code));
    }
    return {};
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<void> r = follow_one(i);
      if (!r) {
        std::lock_guard lock(mu);
        if (!first) first = r.error();
      }
    });
  }
  for (auto& th : threads) th.join();
  if (first) return std::unexpected(*first);
  return {};
}

}  // namespace berth::cli
