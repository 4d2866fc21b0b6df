// detail/parallel.hpp: the one thread fan-out. Worker exceptions reach the caller.
#include "khuyenhoc/detail/parallel.hpp"

#include <gtest/gtest.h>

#include <new>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>

#include "khuyenhoc/error.hpp"

using khuyenhoc::detail::on_another_thread;
using khuyenhoc::detail::parallel_for;
using khuyenhoc::detail::worker_count;

TEST(parallel_for, runs_every_task_once_whatever_the_thread_count) {
  for (unsigned threads : {0U, 1U, 2U, 7U, 64U}) {
    std::vector<int> hits(1000, 0);
    parallel_for(hits.size(), threads, [&](std::size_t k) { ++hits[k]; });
    EXPECT_EQ(std::accumulate(hits.begin(), hits.end(), 0), 1000);
    EXPECT_EQ(*std::min_element(hits.begin(), hits.end()), 1);
  }
  parallel_for(0, 4, [](std::size_t) { FAIL(); });
}

TEST(parallel_for, worker_index_is_within_worker_count) {
  const unsigned workers = worker_count(100, 3);
  EXPECT_EQ(workers, 3U);
  EXPECT_EQ(worker_count(2, 8), 2U);
  EXPECT_EQ(worker_count(0, 8), 1U);
  std::vector<int> per_worker(workers, 0);  // each slot touched by one worker only
  parallel_for(100, 3, [&](std::size_t, unsigned w) {
    ASSERT_LT(w, workers);
    ++per_worker[w];
  });
  EXPECT_EQ(std::accumulate(per_worker.begin(), per_worker.end(), 0), 100);
}

TEST(parallel_for, bad_alloc_in_a_worker_reaches_the_caller) {
  for (unsigned threads : {1U, 4U}) {
    EXPECT_THROW(parallel_for(64, threads,
                              [](std::size_t k) {
                                if (k == 37) throw std::bad_alloc();
                              }),
                 std::bad_alloc);
  }
}

TEST(parallel_for, the_lowest_failing_task_wins_whatever_the_threads) {
  for (unsigned threads : {1U, 2U, 4U, 8U}) {
    try {
      parallel_for(200, threads, [](std::size_t k) {
        if (k % 50 == 13) throw khuyenhoc::data_error("task " + std::to_string(k));
      });
      FAIL();
    } catch (const khuyenhoc::data_error& e) {
      EXPECT_EQ(e.message(), "task 13") << threads;
    }
  }
}

TEST(parallel_for, no_new_task_starts_after_a_failure) {
  std::atomic<std::size_t> ran{0};
  EXPECT_THROW(parallel_for(100000, 1,
                            [&](std::size_t k) {
                              ++ran;
                              if (k == 10) throw std::runtime_error("stop");
                            }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 11U);
}

TEST(on_another_thread, gives_the_result_or_the_exception_to_get) {
  const auto caller = std::this_thread::get_id();
  auto ran_on = on_another_thread([] { return std::this_thread::get_id(); });
  EXPECT_NE(ran_on.get(), caller);
  auto failing = on_another_thread([]() -> int { throw std::runtime_error("report failed"); });
  EXPECT_THROW((void)failing.get(), std::runtime_error);
}
