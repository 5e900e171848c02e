// An allocator for the encoder's large arrays (samples, per-block maps, a
// CTU encoder's candidates): 64-byte aligned; from 1 MiB on, 2 MiB aligned
// and rounded, in transparent huge pages where the kernel gives them on
// request (MADV_HUGEPAGE). First touched in 4 KiB pages, these arrays took
// most of an encoder's start (7680x4320: 0.8 s). GstQuadAllocator does the
// same for GStreamer buffers from 2 MiB; here from 1 MiB, so that a
// 1280x720 picture (1.9 MB with its margin) is among them.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace quad::hevc {

template <class T> struct LargeAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  LargeAllocator() = default;
  template <class U> LargeAllocator(const LargeAllocator<U> &) {}

  T *allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    const bool huge = bytes >= kHugePage / 2;
    const size_t alignment = huge ? kHugePage : 64;
    // aligned_alloc() takes whole multiples of the alignment.
    const size_t size = (bytes + alignment - 1) / alignment * alignment;
    void *p = std::aligned_alloc(alignment, size);
    if (!p)
      throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (huge)
      madvise(p, size, MADV_HUGEPAGE);
#endif
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }

  template <class U> bool operator==(const LargeAllocator<U> &) const { return true; }
};

} // namespace quad::hevc
