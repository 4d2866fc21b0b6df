#pragma once
/// \file detail/parallel.hpp
/// The one thread fan-out of the library. Every parallel loop (CSV conversion, criteria
/// scoring, rule evaluation, the overload sweep, pool generation) goes through parallel_for, so
/// that each gets the same guarantees:
///  - an exception thrown by a task, std::bad_alloc included, reaches the caller (never
///    std::terminate); when several tasks fail, the one with the lowest task index is rethrown,
///    so the error does not depend on the thread count or on timing;
///  - after a failure no new task starts; tasks already started finish;
///  - if the system refuses to start a thread, the remaining workers (at least the calling
///    thread, which always works) do all the tasks.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

namespace khuyenhoc::detail {

/// The number of workers parallel_for uses for `tasks` tasks when asked for `threads`
/// (0 = the hardware's concurrency): at least 1, at most `tasks`. Size per-worker state with it.
[[nodiscard]] inline unsigned worker_count(std::size_t tasks, unsigned threads) {
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  return static_cast<unsigned>(
      std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(tasks, 1)));
}

/// Runs fn for every task index in [0, tasks) on worker_count(tasks, threads) workers, the
/// calling thread being one of them. fn is called as fn(task) or, if it accepts two arguments,
/// fn(task, worker) with worker in [0, worker_count(tasks, threads)) — the index of per-worker
/// scratch state; a worker runs one task at a time. Tasks are claimed in increasing order.
/// \throws whatever the lowest-indexed failing task threw.
template <class Fn>
void parallel_for(std::size_t tasks, unsigned threads, Fn&& fn) {
  if (tasks == 0) return;
  const unsigned workers = worker_count(tasks, threads);
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  std::size_t failed_task = none;
  auto work = [&](unsigned worker) noexcept {
    std::size_t k = none;
    try {
      while (!stop.load(std::memory_order_relaxed)) {
        k = next.fetch_add(1, std::memory_order_relaxed);
        if (k >= tasks) break;
        if constexpr (std::is_invocable_v<Fn&, std::size_t, unsigned>) {
          fn(k, worker);
        } else {
          fn(k);
        }
      }
    } catch (...) {
      const std::lock_guard lock(failure_mutex);
      stop.store(true, std::memory_order_relaxed);
      if (!failure || k < failed_task) {
        failure = std::current_exception();
        failed_task = k;
      }
    }
  };
  std::vector<std::thread> pool;
  try {
    pool.reserve(workers - 1);
    for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work, w);
  } catch (...) {
    // No thread (or no memory for one): the workers already running, and this thread, do all
    // the tasks; the result is the same.
  }
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

/// fn() started on a thread of its own, its result (or exception) in the future; when no
/// thread can be started, fn runs in the caller on the future's get() instead.
template <class Fn>
[[nodiscard]] auto on_another_thread(Fn fn) -> std::future<decltype(fn())> {
  try {
    return std::async(std::launch::async, fn);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, std::move(fn));
  }
}

}  // namespace khuyenhoc::detail
