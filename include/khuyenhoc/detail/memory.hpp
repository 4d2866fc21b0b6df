#pragma once
/// \file detail/memory.hpp
/// Uninitialised storage for large scratch and result arrays.

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace khuyenhoc::detail {

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
