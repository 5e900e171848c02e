// What every *_simd.cpp file shares: a kernel table tagged with the Highway
// target it was compiled for, the walk over Highway's dispatch table that
// lists every compiled target this CPU runs (for tests and benchmarks), and
// the export of the best table and the list. A file compiled per target by
// foreach_target.h defines, in each target's namespace, a getter returning
// its TargetTable (QUAD_SCALAR_TARGET_TABLE for HWY_SCALAR), then once, under
// HWY_ONCE, QUAD_EXPORT_TARGET_TABLES (the macros expand to highway.h's,
// which the file includes after foreach_target.h).
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

// One-lane vectors gain nothing over the reference (GCC before 12.3 builds
// HWY_SCALAR instead of EMU128), so that target's getter returns it.
#define QUAD_SCALAR_TARGET_TABLE(KernelTable, getter, reference)                                   \
  const ::quad::dsp::TargetTable<KernelTable> *getter() {                                          \
    static const ::quad::dsp::TargetTable<KernelTable> kTable = {HWY_SCALAR, reference()};         \
    return &kTable;                                                                                \
  }

// Exports getter and defines best(), the table of the best target this CPU
// runs (chosen on first use), and all(), what supported_tables() lists.
#define QUAD_EXPORT_TARGET_TABLES(KernelTable, getter, reference, best, all)                       \
  HWY_EXPORT(getter);                                                                              \
  const KernelTable &best() {                                                                      \
    static const KernelTable &chosen = HWY_DYNAMIC_DISPATCH(getter)()->kernels;                    \
    return chosen;                                                                                 \
  }                                                                                                \
  std::vector<KernelTable> all() {                                                                 \
    return ::quad::dsp::supported_tables(reference(), HWY_DISPATCH_TABLE(getter));                 \
  }
