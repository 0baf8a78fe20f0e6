// Runs fn over items on up to `limit` threads; the first error is returned
// once every started call has finished (the others still run: a half-done
// level is easier to reason about than one abandoned mid-way).
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "base/error.h"

namespace berth::compose_ops {

template <class T, class Fn>
Result<void> for_each_parallel(const std::vector<T>& items, size_t limit, Fn&& fn) {
  if (items.empty()) return {};
  if (items.size() == 1 || limit <= 1) {
    std::optional<Error> first;
    for (const T& item : items) {
      Result<void> r = fn(item);
      if (!r && !first) first = r.error();
    }
    if (first) return std::unexpected(*first);
    return {};
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < items.size();) {
      Result<void> r = fn(items[i]);
      if (!r) {
        std::lock_guard lock(mu);
        if (!first) first = r.error();
      }
    }
  };
  std::vector<std::thread> threads;
  size_t n = std::min(limit, items.size());
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first) return std::unexpected(*first);
  return {};
}

}  // namespace berth::compose_ops
