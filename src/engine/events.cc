#include "engine/events.h"

#include <chrono>

namespace berth::engine {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Events::publish(Event e) {
  std::lock_guard lk(mu_);
  e.time_nano = now_ns();
  history_.emplace_back(++seq_, std::move(e));
  if (history_.size() > kHistory) history_.pop_front();
  cv_.notify_all();
}

std::unique_ptr<backend::EventSubscription> Events::subscribe(std::optional<int64_t> since_ns) {
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
