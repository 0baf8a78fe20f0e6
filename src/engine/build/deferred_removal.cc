#include "engine/build/deferred_removal.h"

#include <filesystem>

#include "base/log.h"

namespace berth::engine {

DeferredRemoval::~DeferredRemoval() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void DeferredRemoval::remove(std::string path) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(path));
    if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  }
  cv_.notify_all();
}

void DeferredRemoval::drain() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return queue_.empty() && !busy_; });
}

void DeferredRemoval::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::string path = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lk.unlock();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) log::warn("build: removing {}: {}", path, ec.message());
    lk.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace berth::engine
