#include "engine/events.h"

#include <chrono>

namespace berth::engine {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool any_of(const std::vector<std::string>& values, const std::string& v) {
  for (const auto& x : values)
    if (x == v) return true;
  return false;
}

}  // namespace

nlohmann::json Event::to_json() const {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : attributes) attrs[k] = v;
  nlohmann::json j = {{"Type", type},
                      {"Action", action},
                      {"Actor", {{"ID", id}, {"Attributes", attrs}}},
                      {"scope", "local"},
                      {"time", time_nano / 1000000000},
                      {"timeNano", time_nano}};
  if (type == "container" || type == "image") {
    j["status"] = action;
    j["id"] = id;
    if (auto it = attributes.find("image"); type == "container" && it != attributes.end()) j["from"] = it->second;
  }
  return j;
}

bool EventFilter::matches(const Event& e) const {
  for (const auto& [key, values] : by_key) {
    if (values.empty()) continue;
    bool ok = false;
    if (key == "type") {
      ok = any_of(values, e.type);
    } else if (key == "event") {
      // "exec_start" matches "exec_start: sh -c ..." as in Docker.
      std::string base = e.action.substr(0, e.action.find(':'));
      ok = any_of(values, e.action) || any_of(values, base);
    } else if (key == "container") {
      auto name = e.attributes.count("name") ? e.attributes.at("name") : "";
      ok = e.type == "container" &&
           (any_of(values, name) || std::any_of(values.begin(), values.end(), [&](const std::string& v) {
              return !v.empty() && e.id.rfind(v, 0) == 0;
            }));
    } else if (key == "image") {
      auto img = e.attributes.count("image") ? e.attributes.at("image") : "";
      ok = any_of(values, img) || (e.type == "image" && any_of(values, e.id));
    } else if (key == "label") {
      for (const auto& v : values) {
        auto eq = v.find('=');
        std::string k = v.substr(0, eq);
        auto it = e.attributes.find(k);
        if (it != e.attributes.end() && (eq == std::string::npos || it->second == v.substr(eq + 1))) ok = true;
      }
    } else if (key == "daemon") {
      ok = e.type == "daemon";
    } else if (key == "scope") {
      ok = any_of(values, "local");
    } else {
      ok = true;  // unknown keys are refused when parsing
    }
    if (!ok) return false;
  }
  return true;
}

std::optional<EventFilter> EventFilter::parse(const std::string& text) {
  EventFilter f;
  if (text.empty()) return f;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return std::nullopt;
    for (auto& [key, val] : j.items()) {
      static const char* known[] = {"type", "event", "container", "image", "label", "daemon", "scope",
                                    "network", "volume", "plugin", "node", "service", "secret", "config"};
      if (std::find(std::begin(known), std::end(known), key) == std::end(known)) return std::nullopt;
      std::vector<std::string> values;
      if (val.is_array()) {
        for (auto& v : val) values.push_back(v.get<std::string>());
      } else if (val.is_object()) {
        for (auto& [v, on] : val.items())
          if (on.is_boolean() && on.get<bool>()) values.push_back(v);
      } else {
        return std::nullopt;
      }
      f.by_key[key] = std::move(values);
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return f;
}

void Events::publish(Event e) {
  std::lock_guard lk(mu_);
  e.time_nano = now_ns();
  history_.emplace_back(++seq_, std::move(e));
  if (history_.size() > kHistory) history_.pop_front();
  cv_.notify_all();
}

std::unique_ptr<Events::Subscription> Events::subscribe(std::optional<int64_t> since_ns) {
  auto s = std::make_unique<Subscription>();
  s->owner_ = this;
  ++subscribers_;
  std::lock_guard lk(mu_);
  s->next_seq_ = seq_ + 1;
  if (since_ns) {
    for (const auto& [seq, ev] : history_) {
      if (ev.time_nano >= *since_ns) {
        s->next_seq_ = seq;
        break;
      }
    }
  }
  return s;
}

std::optional<Event> Events::Subscription::next(int64_t deadline_ns) {
  std::unique_lock lk(owner_->mu_);
  for (;;) {
    if (cancelled_) return std::nullopt;
    auto& h = owner_->history_;
    if (!h.empty() && next_seq_ < h.front().first) next_seq_ = h.front().first;  // fell behind: skip
    if (!h.empty() && next_seq_ <= h.back().first) {
      const auto& ev = h[next_seq_ - h.front().first].second;
      ++next_seq_;
      return ev;
    }
    if (deadline_ns == 0) {
      owner_->cv_.wait(lk);
    } else {
      auto left = deadline_ns - now_ns();
      if (left <= 0) return std::nullopt;
      owner_->cv_.wait_for(lk, std::chrono::nanoseconds(left));
    }
  }
}

Events::Subscription::~Subscription() {
  if (owner_) --owner_->subscribers_;
}

void Events::Subscription::cancel() {
  std::lock_guard lk(owner_->mu_);
  cancelled_ = true;
  owner_->cv_.notify_all();
}

}  // namespace berth::engine
