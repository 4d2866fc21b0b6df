#pragma once
/// \file detail/memory.hpp
/// Uninitialised storage for large scratch and result arrays, and a per-thread meter of the
/// scratch the ranking kernels hold (so that their memory bound is testable).

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace khuyenhoc::detail {

/// Bytes held in `raw_buffer`s (the ranking kernels' large scratch) by the calling thread:
/// `current` now, `peak` the most since the last reset. To measure a call: set
/// `peak = current`, call, read `peak - current`. Diagnostics only; O(1) per buffer.
struct scratch_meter {
  std::size_t current = 0;  ///< bytes held now
  std::size_t peak = 0;     ///< the most held at once since `peak` was last set

  /// Records an allocation of `bytes`.
  void add(std::size_t bytes) noexcept {
    current += bytes;
    if (current > peak) peak = current;
  }
  /// Records a release of `bytes` (added before on this thread).
  void remove(std::size_t bytes) noexcept { current = bytes > current ? 0 : current - bytes; }
};

/// The calling thread's scratch meter.
[[nodiscard]] inline scratch_meter& thread_scratch() noexcept {
  thread_local scratch_meter meter;
  return meter;
}

/// Allocates `bytes` (at least 1) without initialising them; release with std::free. Blocks of
/// 8 MiB or more are 2 MiB aligned and advised as huge pages on Linux: for the 100+ MB arrays of
/// a 10-million-row pool, page faults otherwise cost more than the work on them.
/// \throws std::bad_alloc
[[nodiscard]] inline void* allocate_uninitialized(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  constexpr std::size_t huge = std::size_t{1} << 21;
  void* p = nullptr;
  if (bytes >= 4 * huge) {
    p = std::aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p != nullptr) ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure is fine
#endif
  } else {
    p = std::malloc(bytes);
  }
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace khuyenhoc::detail
