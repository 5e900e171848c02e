// What the *_simd.cpp files share: a kernel table tagged with the Highway
// target it was compiled for, and the walk over Highway's dispatch table that
// lists every compiled target this CPU runs (for tests and benchmarks).
#pragma once

#include <hwy/targets.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quad::dsp {

template <class KernelTable> struct TargetTable {
  int64_t target;
  KernelTable kernels;
};

// The reference, then every compiled SIMD target's table this CPU can run,
// best first. `dispatch` is HWY_DISPATCH_TABLE(getter): walking it lists
// exactly the targets the file was compiled for.
template <class KernelTable, class Getter, size_t N>
std::vector<KernelTable> supported_tables(const KernelTable &reference,
                                          Getter const (&dispatch)[N]) {
  std::vector<KernelTable> list = {reference};
  const int64_t supported = hwy::SupportedTargets();
  std::vector<const TargetTable<KernelTable> *> found;
  for (const Getter get : dispatch) {
    if (get == nullptr)
      continue;
    const TargetTable<KernelTable> *table = get();
    if ((table->target & supported) == 0 || table->target == HWY_SCALAR ||
        std::find(found.begin(), found.end(), table) != found.end())
      continue;
    found.push_back(table);
  }
  // A lower target bit means a better target.
  std::sort(found.begin(), found.end(),
            [](const auto *x, const auto *y) { return x->target < y->target; });
  for (const auto *table : found)
    list.push_back(table->kernels);
  return list;
}

} // namespace quad::dsp
