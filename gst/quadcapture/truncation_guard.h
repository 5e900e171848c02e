// Keeps reads of a file mapping safe when the file is cut short. Touching a
// mapped page the file no longer covers raises SIGBUS, and frames handed
// downstream without a copy are read by other elements at any time. A guarded
// range turns such a fault into a page of zeros mapped over the lost one (the
// way systemd's journal reader survives truncated journal files), and records
// that it happened; faults anywhere else go to the handler installed before.
// The process-wide SIGBUS handler is installed on the first guard.
// GStreamer-free.
#pragma once

#include <cstddef>

namespace quad::capture {

class TruncationGuard {
public:
  TruncationGuard() = default;
  // Guards [begin, begin + size). When every slot is taken, or the handler
  // cannot be installed, the guard is inactive: see active().
  TruncationGuard(const void *begin, size_t size);
  TruncationGuard(TruncationGuard &&other) noexcept;
  TruncationGuard &operator=(TruncationGuard &&other) noexcept;
  TruncationGuard(const TruncationGuard &) = delete;
  TruncationGuard &operator=(const TruncationGuard &) = delete;
  // Stops guarding; call before the range is unmapped.
  ~TruncationGuard();

  bool active() const { return slot_ >= 0; }
  // Whether a page of the range has been replaced by zeros.
  bool faulted() const;

  // Ranges guarded at once, per process.
  static constexpr int kSlots = 256;

private:
  void release();
  int slot_ = -1;
};

} // namespace quad::capture
