#pragma once
/// \file generate.hpp
/// A synthetic, province-wide pool of nominees with realistic shapes, deterministic by seed,
/// for examples, tests and benchmarks. Columns (documented in docs/pool.md):
///   id (text, "HS0000001"), full_name (text), gender (category Nam/Nữ), date_of_birth (date),
///   district (category), school (category), level (category THCS/THPT), grade (integer 6–12),
///   gpa (number 0–10, one decimal, a few missing), conduct (category Tốt/Khá/Đạt/Chưa đạt),
///   conduct_history (list, newest first, 3 years), exam_score (number 0–30, grade 12 only),
///   prizes (list, e.g. "Quốc gia - Giải Nhất"), documents (list: dossier documents present),
///   household (category Bình thường/Cận nghèo/Nghèo), orphan (boolean),
///   community_hours (integer), submitted_on (date, around the 30/09/2024 deadline).

#include <cstddef>
#include <cstdint>

#include "khuyenhoc/pool.hpp"

namespace khuyenhoc {

/// Options of the synthetic pool generator.
struct generate_options {
  std::uint64_t seed = 0;
  /// Number of districts; 0 picks 14–30 from the seed.
  int districts = 0;
};

/// Generates `size` nominees. The same size and seed give the same pool on every platform
/// (an own PRNG, no std:: distributions). Complexity O(size).
[[nodiscard]] pool generate_pool(std::size_t size, const generate_options& options = {});

}  // namespace khuyenhoc
