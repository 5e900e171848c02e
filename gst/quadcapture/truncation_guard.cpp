#include "truncation_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <utility>

namespace quad::capture {
namespace {

// Read by the signal handler: lock-free atomics only. A range is published
// by writing `end` before `begin` and withdrawn by clearing `begin` first.
struct Slot {
  std::atomic<bool> taken{false};
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> faulted{false};
};

Slot g_slots[TruncationGuard::kSlots];
struct sigaction g_previous;
uintptr_t g_page_size = 0;
bool g_installed = false;

// Hands a fault that is not ours to whoever had SIGBUS before.
void chain(int sig, siginfo_t *info, void *context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // The default action: it takes effect when the signal is delivered again,
  // right after this handler returns (or the faulting access repeats).
  signal(sig, SIG_DFL);
  raise(sig);
}

void on_sigbus(int sig, siginfo_t *info, void *context) {
  const int saved_errno = errno;
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot &slot : g_slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin == 0 || addr < begin || addr >= slot.end.load(std::memory_order_acquire))
      continue;
    void *page = reinterpret_cast<void *>(addr & ~(g_page_size - 1));
    if (mmap(page, g_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
        MAP_FAILED) {
      slot.faulted.store(true, std::memory_order_relaxed);
      errno = saved_errno;
      return; // the access repeats and reads zeros
    }
    break;
  }
  errno = saved_errno;
  chain(sig, info, context);
}

bool install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    g_installed = sigaction(SIGBUS, &action, &g_previous) == 0;
  });
  return g_installed;
}

} // namespace

TruncationGuard::TruncationGuard(const void *begin, size_t size) {
  if (begin == nullptr || size == 0 || !install_handler())
    return;
  for (int i = 0; i < kSlots; ++i) {
    Slot &slot = g_slots[i];
    bool expected = false;
    if (!slot.taken.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
      continue;
    const auto b = reinterpret_cast<uintptr_t>(begin);
    slot.faulted.store(false, std::memory_order_relaxed);
    slot.end.store(b + size, std::memory_order_release);
    slot.begin.store(b, std::memory_order_release);
    slot_ = i;
    return;
  }
}

TruncationGuard::TruncationGuard(TruncationGuard &&other) noexcept
    : slot_(std::exchange(other.slot_, -1)) {}

TruncationGuard &TruncationGuard::operator=(TruncationGuard &&other) noexcept {
  if (this != &other) {
    release();
    slot_ = std::exchange(other.slot_, -1);
  }
  return *this;
}

TruncationGuard::~TruncationGuard() {
  release();
}

void TruncationGuard::release() {
  if (slot_ < 0)
    return;
  Slot &slot = g_slots[slot_];
  slot.begin.store(0, std::memory_order_release);
  slot.end.store(0, std::memory_order_release);
  slot.taken.store(false, std::memory_order_release);
  slot_ = -1;
}

bool TruncationGuard::faulted() const {
  return slot_ >= 0 && g_slots[slot_].faulted.load(std::memory_order_relaxed);
}

} // namespace quad::capture
