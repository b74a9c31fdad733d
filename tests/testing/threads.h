// For tests of thread safety: runs the same work on several threads at once.
//
//   // Each thread counts the results it got wrong; every count must be 0.
//   std::vector<int> wrong = CountOnThreads(8, [&](int thread) { ...; return mistakes; });
//   for (int t = 0; t < 8; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
#ifndef REGISTRY_TESTS_TESTING_THREADS_H_
#define REGISTRY_TESTS_TESTING_THREADS_H_

#include <functional>
#include <thread>
#include <vector>

namespace registry::testing {

// Starts `threads` threads, each running `work(its index)`, waits for all of them, and returns
// what each returned, by index.
inline std::vector<int> CountOnThreads(int threads, const std::function<int(int)>& work) {
  std::vector<int> counts(static_cast<size_t>(threads), 0);
  std::vector<std::thread> running;
  running.reserve(counts.size());
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&counts, &work, t] { counts[static_cast<size_t>(t)] = work(t); });
  }
  for (std::thread& thread : running) thread.join();
  return counts;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_THREADS_H_
