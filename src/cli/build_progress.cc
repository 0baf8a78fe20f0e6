#include "cli/build_progress.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace berth::cli {

void BuildProgress::write(std::string_view s) { write_all(fd_, s); }

void BuildProgress::feed(std::string_view data) {
  lines_.feed(data, [&](const std::string& line) { message(line); });
}

void BuildProgress::message(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("errorDetail") || j.contains("error")) {
    const auto& d = j.contains("errorDetail") ? j["errorDetail"] : nlohmann::json::object();
    outcome_.error = d.value("message", j.value("error", std::string("the build failed")));
    outcome_.code = d.value("code", 0);
    return;
  }
  if (j.contains("aux") && j["aux"].is_object() && j["aux"].contains("ID")) {
    outcome_.image_id = j["aux"]["ID"].get<std::string>();
    return;
  }
  if (j.contains("stream") && j["stream"].is_string()) {
    std::string s = j["stream"].get<std::string>();
    if (quiet_) {
      if (s.starts_with("sha256:")) outcome_.image_id = s.substr(0, s.find('\n'));
      return;
    }
    text(s);
    return;
  }
  if (!quiet_ && j.contains("status") && j["status"].is_string()) {  // a FROM's pull
    std::string s = j["status"].get<std::string>();
    if (j.contains("id") && j["id"].is_string()) s = j["id"].get<std::string>() + ": " + s;
    if (!j.contains("progressDetail") || j["progressDetail"].empty()) write(s + "\n");
  }
}

void BuildProgress::text(std::string_view s) {
  if (!terminal_) {
    write(s);
    return;
  }
  partial_.append(s);
  size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    std::string text = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    // "[stage] ...": a stage's line when the stage announced itself with a Step line.
    std::string stage;
    if (text.starts_with("[")) {
      auto close = text.find("] ");
      if (close != std::string::npos) {
        std::string name = text.substr(1, close - 1);
        std::string rest = text.substr(close + 2);
        if (rest.starts_with("Step ")) stages_.insert(name);
        if (stages_.contains(name)) {
          stage = name;
          text = rest;
        }
      }
    }
    line(stage, text);
  }
}

void BuildProgress::line(const std::string& stage, const std::string& text) {
  auto& st = steps_[stage];
  const std::string label = stage.empty() ? "" : fmt::format("\x1b[36m[{}]\x1b[0m ", stage);
  if (text.starts_with("Step ")) {
    if (st.in_step) step_done(stage, "");
    auto colon = text.find(" : ");
    std::string counter = text.substr(5, colon == std::string::npos ? std::string::npos : colon - 5);
    std::string what = colon == std::string::npos ? "" : text.substr(colon + 3);
    write(fmt::format("{}\x1b[1m[{}]\x1b[0m {}\n", label, counter, what));
    st.in_step = true;
    st.cached = false;
    st.start = std::chrono::steady_clock::now();
  } else if (text == " ---> Using cache") {
    st.cached = true;
  } else if (text.starts_with(" ---> Running in ") || text.starts_with("Removing intermediate container ")) {
    // The container is an implementation detail here; the plain log keeps it.
  } else if (text.starts_with(" ---> ")) {
    step_done(stage, text.substr(6));
  } else if (st.in_step) {
    write(label + "    " + text + "\n");
  } else {
    write(label + text + "\n");
  }
}

void BuildProgress::step_done(const std::string& stage, const std::string& id) {
  auto& st = steps_[stage];
  const std::string label = stage.empty() ? "" : fmt::format("\x1b[36m[{}]\x1b[0m ", stage);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count();
  if (st.cached) write(fmt::format("{}    \x1b[2mcached {}\x1b[0m\n", label, id));
  else write(fmt::format("{}    \x1b[2mdone {} in {:.2f}s\x1b[0m\n", label, id, secs));
  st.in_step = false;
}

BuildProgress::Outcome BuildProgress::finish() {
  lines_.finish([&](const std::string& line) { message(line); });
  if (terminal_ && !partial_.empty()) write(partial_ + "\n");
  partial_.clear();
  return outcome_;
}

}  // namespace berth::cli
