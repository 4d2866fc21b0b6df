#pragma once
/// \file detail/memory.hpp
/// Uninitialised storage for large scratch and result arrays, and a per-thread meter of the
/// scratch the ranking kernels hold (so that their memory bound is testable).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
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

/// Whether free memory is handed back to a hypervisor: a virtio balloon with free page
/// reporting (feature bit 5 of /sys/bus/virtio/drivers/virtio_balloon/virtio*/features), as in
/// cloud VMs (Firecracker, QEMU with free-page-reporting=on). The host then drops the guest's
/// free 2 MB blocks a few seconds after they are freed, and a huge page faulted in later is
/// faulted in again on the host while the guest zeroes it: measured on such a VM (2 cores),
/// 0.6–2.4 s per GB against a steady 0.33 s per GB with 4 KB pages (a 10-million-row read took
/// 3.3 s instead of 2.1 s). On other machines a huge page costs about a fifth of its 512 small
/// ones. Read once; false where unknown.
[[nodiscard]] inline bool free_memory_goes_to_host() {
#if defined(__linux__)
  static const bool reporting = [] {
    for (int i = 0; i < 16; ++i) {
      char path[96];
      std::snprintf(path, sizeof path, "/sys/bus/virtio/drivers/virtio_balloon/virtio%d/features",
                    i);
      std::FILE* f = std::fopen(path, "r");
      if (f == nullptr) continue;
      char bits[8] = {};
      const std::size_t got = std::fread(bits, 1, 6, f);
      std::fclose(f);
      if (got == 6 && bits[5] == '1') return true;  // VIRTIO_BALLOON_F_REPORTING
    }
    return false;
  }();
  return reporting;
#else
  return false;
#endif
}

/// Whether large buffers about to be filled should be advised as huge pages: not when free
/// memory goes back to a hypervisor (see free_memory_goes_to_host).
[[nodiscard]] inline bool huge_pages_pay() {
  return !free_memory_goes_to_host();
}

/// Allocates `bytes` (at least 1) without initialising them; release with std::free. Blocks of
/// 8 MiB or more are 2 MiB aligned and advised as huge pages on Linux where they pay
/// (huge_pages_pay): for the 100+ MB arrays of a 10-million-row pool, 4 KB page faults otherwise
/// cost more than the work on them.
/// \throws std::bad_alloc
[[nodiscard]] inline void* allocate_uninitialized(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  constexpr std::size_t huge = std::size_t{1} << 21;
  void* p = nullptr;
  if (bytes >= 4 * huge && huge_pages_pay()) {
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

/// Advises the 2 MB pages wholly inside [p, p + bytes) as huge pages on Linux (for arrays of
/// many MB about to be filled: one page fault per 2 MB instead of 512). Advice only.
inline void advise_huge_pages(const void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto b = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const auto e = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (bytes >= 2 * huge && b < e) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/// Bytes of free memory in blocks of 2 MB or more (the free lists of order 9 and up in
/// /proc/buddyinfo): huge pages the kernel can hand out without first compacting or reclaiming
/// memory, which an advised region's page faults would otherwise wait for (after another
/// program has fragmented memory, a read of 5 million rows took 1.5 s instead of 0.8 s). 0
/// where unknown.
inline std::size_t free_huge_page_bytes() {
#if defined(__linux__)
  std::FILE* f = std::fopen("/proc/buddyinfo", "r");
  if (f == nullptr) return 0;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t total = 0;
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    // "Node 0, zone   Normal  86197  37061 ...": the counts of free blocks of order 0, 1, ...
    const char* p = std::strstr(line, "zone");
    if (p == nullptr) continue;
    p += 4;
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;  // the zone's name
    for (std::size_t order = 0; order < 64; ++order) {
      char* end = nullptr;
      const unsigned long long count = std::strtoull(p, &end, 10);
      if (end == p) break;
      p = end;
      if (page << order >= (std::size_t{2} << 20U)) total += count * (page << order);
    }
  }
  std::fclose(f);
  return total;
#else
  return 0;
#endif
}

/// Reserves room for `n` items in `v` (empty) and advises it as huge pages (see above).
template <class Vector>
void reserve_huge(Vector& v, std::size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(typename Vector::value_type));
}

}  // namespace khuyenhoc::detail
