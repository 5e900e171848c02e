// Row bands in parallel on a oneTBB arena of a fixed number of threads.
// GStreamer-free.
#pragma once

#include <algorithm>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

namespace quad::preproc {

class RowParallel {
public:
  // threads 0, or more than there are cores: one per core (more would only
  // wait for a core).
  explicit RowParallel(int threads)
      : arena_(threads > 0 ? std::min(threads, oneapi::tbb::info::default_concurrency())
                           : oneapi::tbb::info::default_concurrency()) {}

  int threads() const { return arena_.max_concurrency(); }

  // Calls fn(begin, end) on disjoint chunks of about `grain` items covering
  // [0, n); returns when all are done.
  template <class Fn> void run(int n, int grain, const Fn &fn) {
    if (n <= 0)
      return;
    if (arena_.max_concurrency() == 1 || n <= grain) {
      fn(0, n);
      return;
    }
    arena_.execute([&] {
      oneapi::tbb::parallel_for(
          oneapi::tbb::blocked_range<int>(0, n, grain),
          [&](const oneapi::tbb::blocked_range<int> &r) { fn(r.begin(), r.end()); });
    });
  }

private:
  oneapi::tbb::task_arena arena_;
};

} // namespace quad::preproc
