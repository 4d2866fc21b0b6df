#include "khuyenhoc/selection.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "khuyenhoc/detail/format_vi.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "selection_explain.hpp"

namespace khuyenhoc {

namespace {

// Differences of sums of fractional points carry rounding noise (68 - 67.8333… =
// 0.1666666666666572); gaps are reported to 1e-9.
double clean(double v) {
  return std::round(v * 1e9) / 1e9;
}

// A total at the precision selection compares (6 decimals); NaN and infinities unchanged.
double to_decimal_precision(double v) {
  if (!std::isfinite(v) || std::abs(v) >= 1e9) return v;
  const double r = std::round(v * 1e6) / 1e6;
  return r == 0.0 ? 0.0 : r;
}

// Scores and gaps in reasons, as Vietnamese documents write them (65,58): sums of decimal
// points carry rounding noise far below 1e-6.
// number(v) appended without temporaries (the reasons of a million nominees are rendered while
// the result is written): the same text as format_decimal_vi(v, 6).
void append_number(std::string& out, double v) {
  detail::append_decimal6_vi(out, v);
}

void append_count(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), res.ptr);
}

std::string number(double v) {
  return detail::format_decimal_vi(v, 6);
}

void append_u64_be(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

// Appends an order-preserving byte key for a numeric value; missing values sort last in both
// directions.
// The 8 bytes after the first of a value's key (as a number), or nothing for a missing value.
std::optional<std::uint64_t> value_code(double v, bool valid, sort_direction dir) {
  if (!valid || std::isnan(v)) return std::nullopt;
  std::uint64_t k = detail::encode_double(v == 0.0 ? 0.0 : v);
  if (dir == sort_direction::descending) k = ~k;
  return k;
}

void append_value_key(std::string& out, double v, bool valid, sort_direction dir) {
  const auto k = value_code(v, valid, dir);
  if (!k) {
    out.push_back('\x01');
    return;
  }
  out.push_back('\x00');
  append_u64_be(out, *k);
}

// An order-preserving byte key for a collation key (no NUL bytes inside); missing last.
std::string bytes_key(std::string_view collation, bool valid, sort_direction dir) {
  std::string out;
  if (!valid) {
    out.push_back('\x01');
    return out;
  }
  out.reserve(collation.size() + 2);
  out.push_back('\x00');
  if (dir == sort_direction::ascending) {
    out.append(collation);
  } else {
    // Terminate before inverting so that a prefix sorts after its extensions.
    for (char c : collation) out.push_back(static_cast<char>(~static_cast<unsigned char>(c)));
    out.push_back('\xFF');
  }
  return out;
}

// "Nguyễn Văn An" → "An Nguyễn Văn": Vietnamese lists sort by given name, then family name.
std::string given_name_first(std::string_view full) {
  while (!full.empty() && full.back() == ' ') full.remove_suffix(1);
  while (!full.empty() && full.front() == ' ') full.remove_prefix(1);
  const auto sp = full.rfind(' ');
  if (sp == std::string_view::npos) return std::string(full);
  return std::string(full.substr(sp + 1)) + " " + std::string(full.substr(0, sp));
}

// How a reason names a tie-breaker: "tiêu chí phụ "exam_score" (giảm dần)".
std::string describe_tie_breaker(const order_key& k, std::uint64_t seed) {
  const bool desc = k.direction == sort_direction::descending;
  switch (k.how) {
    case order_key::kind::lottery:
      return "bốc thăm (hạt giống " + std::to_string(seed) + ")";
    case order_key::kind::vietnamese_name:
      return "tiêu chí phụ \"" + k.column + "\" (thứ tự tên" + (desc ? ", ngược" : "") + ")";
    case order_key::kind::text:
      return "tiêu chí phụ \"" + k.column + "\" (thứ tự chữ cái" + (desc ? ", ngược" : "") + ")";
    case order_key::kind::value:
      break;
  }
  return "tiêu chí phụ \"" + k.column + "\" (" + (desc ? "giảm dần" : "tăng dần") + ")";
}

// A cell as a reason quotes it: numbers and dates as Vietnamese documents write them.
std::string display_value(const column& c, std::size_t r) {
  if (!c.is_valid(r)) return "(trống)";
  switch (c.type()) {
    case column_type::number:
      return detail::format_decimal_vi(c.numbers()[r], 6);
    case column_type::integer:
      return std::to_string(c.integers()[r]);
    case column_type::boolean:
      return c.booleans()[r] ? "Có" : "Không";
    case column_type::date:
      return detail::format_date_vi(c.dates()[r]);
    case column_type::category:
      return std::string(c.category_at(r));
    case column_type::text:
      return std::string(c.text_at(r));
    case column_type::category_list:
      break;
  }
  return c.format(r);
}

std::string cell_text(const column& c, std::size_t r) {
  if (c.type() == column_type::category) return std::string(c.category_at(r));
  if (c.type() == column_type::text) return std::string(c.text_at(r));
  return c.format(r);
}

}  // namespace

tie_policy parse_tie_policy(std::string_view name) {
  if (name == "include") return tie_policy::include;
  if (name == "exclude") return tie_policy::exclude;
  if (name == "break" || name == "break_ties") return tie_policy::break_ties;
  throw spec_error("unknown tie policy \"" + std::string(name) +
                   "\" (expected include, exclude or break)");
}

namespace {

template <class T>
std::vector<std::pair<std::string, T>> parse_named(std::string_view text, std::string_view option) {
  std::vector<std::pair<std::string, T>> out;
  // Thrown as a problem of the option, so that it reads `option "fixed": ...`.
  auto fail = [&](std::string message) {
    throw spec_error(std::vector<error_info>{
        {.kind = "spec", .message = std::move(message), .where = {.field = std::string(option)}}});
  };
  std::size_t b = 0;
  while (b < text.size()) {
    auto e = text.find(',', b);
    if (e == std::string_view::npos) e = text.size();
    const std::string_view item = text.substr(b, e - b);
    const auto eq = item.rfind('=');
    if (eq == std::string_view::npos || eq == 0) {
      fail("\"" + std::string(item) + "\" is not NAME=VALUE");
    }
    const std::string_view value = item.substr(eq + 1);
    T number{};
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
      fail("\"" + std::string(item) + "\" has no " +
           (std::is_integral_v<T> ? "whole number" : "number") + " after '='");
    }
    out.emplace_back(std::string(item.substr(0, eq)), number);
    b = e + 1;
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, double>> parse_named_numbers(std::string_view text,
                                                                std::string_view option) {
  return parse_named<double>(text, option);
}

std::vector<std::pair<std::string, std::int64_t>> parse_named_counts(std::string_view text,
                                                                     std::string_view option) {
  return parse_named<std::int64_t>(text, option);
}

quota_mode parse_quota_mode(std::string_view name) {
  if (name == "global") return quota_mode::global;
  if (name == "fixed") return quota_mode::fixed;
  if (name == "apportion") return quota_mode::apportion;
  throw spec_error("unknown quota mode \"" + std::string(name) +
                   "\" (expected global, fixed or apportion)");
}

std::string_view to_string(quota_mode mode) noexcept {
  switch (mode) {
    case quota_mode::global:
      return "global";
    case quota_mode::fixed:
      return "fixed";
    case quota_mode::apportion:
      return "apportion";
  }
  return "global";
}

quota_mode default_quota_mode(const selection_policy& policy) noexcept {
  if (!policy.fixed.empty()) return quota_mode::fixed;
  return policy.per.empty() ? quota_mode::global : quota_mode::apportion;
}

order_key parse_order_key(std::string_view spec) {
  order_key k;
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  if (spec == "lottery") {
    k.how = order_key::kind::lottery;
    return k;
  }
  const auto space = spec.rfind(' ');
  if (space != std::string_view::npos) {
    const auto dir = spec.substr(space + 1);
    if (dir == "desc" || dir == "descending") {
      k.direction = sort_direction::descending;
      spec = spec.substr(0, space);
    } else if (dir == "asc" || dir == "ascending") {
      spec = spec.substr(0, space);
    }
  }
  if (spec.starts_with("name:")) {
    k.how = order_key::kind::vietnamese_name;
    spec.remove_prefix(5);
  } else if (spec.starts_with("text:")) {
    k.how = order_key::kind::text;
    spec.remove_prefix(5);
  }
  if (spec.empty()) throw spec_error("an order key needs a column name");
  k.column = std::string(spec);
  return k;
}

std::string_view to_string(selection_status s) noexcept {
  switch (s) {
    case selection_status::selected:
      return "selected";
    case selection_status::ineligible:
      return "ineligible";
    case selection_status::no_score:
      return "no_score";
    case selection_status::below_minimum:
      return "below_minimum";
    case selection_status::outside_quota:
      return "outside_quota";
    case selection_status::tied_out:
      return "tied_out";
    case selection_status::capped:
      return "capped";
  }
  return "unknown";
}

std::size_t selection::selected_count() const noexcept {
  return static_cast<std::size_t>(std::count(selected.begin(), selected.end(), 1));
}

namespace {

// make_selection_input and its lean form (no per-row ids, groups or reasons: they are read from
// the pool or rendered when needed).
selection_input make_input(const pool& p, std::span<const double> score,
                           std::span<const std::uint8_t> eligible,
                           const std::vector<std::string>& ineligible_reason,
                           const selection_policy& policy,
                           const std::vector<std::string>& score_note, bool keys_where_tied,
                           bool lean, unsigned threads) {
  const std::size_t n = p.size();
  if (score.size() != n) {
    throw spec_error("scores have " + std::to_string(score.size()) + " rows, the pool has " +
                     std::to_string(n));
  }
  if (!eligible.empty() && eligible.size() != n) {
    throw spec_error("eligibility has " + std::to_string(eligible.size()) + " rows, the pool has " +
                     std::to_string(n));
  }
  if (!ineligible_reason.empty() && ineligible_reason.size() != n) {
    throw spec_error("ineligibility reasons have " + std::to_string(ineligible_reason.size()) +
                     " rows, the pool has " + std::to_string(n));
  }
  selection_input in;
  in.source = p;
  if (!lean) {
    in.ids.reserve(n);
    for (std::size_t r = 0; r < n; ++r) in.ids.emplace_back(p.id(r));
    in.groups.assign(n, std::string());
  }
  if (!policy.per.empty()) {
    const column& g = p[policy.per];
    if (g.type() != column_type::category && g.type() != column_type::text) {
      throw schema_error("the group column must be a category or text column",
                         location{.field = policy.per});
    }
    if (!lean) {
      for (std::size_t r = 0; r < n; ++r) in.groups[r] = g.is_valid(r) ? cell_text(g, r) : "";
    }
  }
  // Rows are handled in chunks of whole 64-row words (the packed keys' presence bits), on
  // `threads` workers; every per-row result is written to its own row, and per-chunk results
  // are merged in chunk order, so the input does not depend on the thread count.
  constexpr std::size_t chunk_rows = std::size_t{1} << 16U;
  const std::size_t chunks = (n + chunk_rows - 1) / chunk_rows;
  auto chunk_end = [&](std::size_t c) { return std::min(n, (c + 1) * chunk_rows); };
  // Totals are compared as the decimals they stand for: sums and averages of marks with one or
  // two decimals carry binary noise (8,7 + 8,1 + 8,7 over 3 = 8.499999999999998), so they are
  // rounded half away from zero at 6 decimals before ranking, and equal-on-paper totals tie.
  //
  // Which rows need each key. A row is only ever compared on key k with rows equal to it on
  // the total and on every key before k; with `keys_where_tied`, a ranked candidate (eligible,
  // with a total) alone in its class, or a row that is not a candidate, is never compared on
  // key k (its rank does not depend on it), so its key stays empty and no collation key is
  // computed for it.
  std::vector<std::uint8_t> need;
  // The class of each row still needing keys (below).
  std::vector<std::uint32_t> cls;
  // The arrays' pages are first touched on several threads at once.
  detail::parallel_for(4, threads, [&](std::size_t task) {
    if (task == 0) in.score.resize(n);
    if (task == 1) in.eligible.resize(n);
    if (task == 2) need.resize(n);
    if (task == 3 && keys_where_tied) cls.resize(n);
  });
  in.partial_keys = keys_where_tied;
  detail::parallel_for(chunks, threads, [&](std::size_t c) {
    for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
      in.score[r] = to_decimal_precision(score[r]);
      in.eligible[r] = eligible.empty() || eligible[r] != 0 ? 1 : 0;
      need[r] = !keys_where_tied || (in.eligible[r] && !std::isnan(in.score[r])) ? 1 : 0;
    }
  });
  if (!lean) in.ineligible_reason.assign(n, std::string());
  if (!lean && !ineligible_reason.empty()) {
    for (std::size_t r = 0; r < n; ++r) {
      if (!in.eligible[r]) in.ineligible_reason[r] = ineligible_reason[r];
    }
  }
  if (!score_note.empty()) {
    if (score_note.size() != n) {
      throw spec_error("score notes have " + std::to_string(score_note.size()) +
                       " rows, the pool has " + std::to_string(n));
    }
    in.score_note = score_note;
  }
  // Key j of row r, from whichever storage the input uses.
  auto key_at = [&](std::size_t j, std::size_t r) { return detail::input_key(in, j, r); };
  // The class of each row still needing keys: rows equal on the total and the keys so far. A
  // row alone in its class needs no more keys. Classes are found without a string per row and
  // without one table over all rows (whose probes miss the cache at every row): the rows are
  // partitioned on the top bits of a hash of (class so far, key), in row order within each
  // part, then each part numbers its classes in a small table of its own, in parallel. A
  // class is numbered by the position of its first row in the partitioned order.
  auto mix = [](std::uint64_t x) {
    x ^= x >> 33U;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33U;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33U);
  };
  auto refine = [&](std::size_t keys_before) {
    const std::size_t j = keys_before;  // the key that splits the classes (j - 1), if any
    // What a row's class is told apart by, as 16 bytes when that is exact: the total (j = 0),
    // or the class so far and key j - 1 when that key has at most 11 bytes (4 bytes of class,
    // 1 of length, 11 of key). Rows are then compared on these bytes alone, without going back
    // to the keys of rows scattered over the pool (a cache miss at each). Longer keys are
    // compared whole.
    struct print {
      std::uint64_t hi = 0, lo = 0;
      bool operator==(const print&) const = default;
    };
    bool exact = true;
    if (j > 0) {
      std::vector<std::uint8_t> short_keys(chunks, 1);
      detail::parallel_for(chunks, threads, [&](std::size_t c) {
        for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
          if (need[r] && key_at(j - 1, r).size() > 11) {
            short_keys[c] = 0;
            return;
          }
        }
      });
      exact =
          std::all_of(short_keys.begin(), short_keys.end(), [](std::uint8_t s) { return s != 0; });
    }
    auto print_of = [&](std::size_t r) {
      if (j == 0) return print{0, detail::encode_double(in.score[r])};
      const std::string_view key = key_at(j - 1, r);
      if (!exact) {
        return print{std::uint64_t{cls[r]} << 32U, std::hash<std::string_view>{}(key)};
      }
      print p{std::uint64_t{cls[r]} | (std::uint64_t{key.size()} << 32U), 0};
      for (std::size_t i = 0; i < key.size(); ++i) {
        const std::uint64_t b = static_cast<unsigned char>(key[i]);
        if (i < 3) {
          p.hi |= b << (40U + 8U * i);
        } else {
          p.lo |= b << (8U * (i - 3));
        }
      }
      return p;
    };
    auto hash_of = [&](const print& p) { return mix(p.hi * 0x9E3779B97F4A7C15ULL ^ mix(p.lo)); };
    auto equal = [&](std::size_t a, std::size_t b) {
      if (j == 0 || exact) return true;  // the prints were equal
      return cls[a] == cls[b] && key_at(j - 1, a) == key_at(j - 1, b);
    };
    // Few classes (totals and marks take few values): each chunk counts its rows per class in
    // a small table of its own, in row order; the tables are merged in chunk order, and each
    // chunk then writes its rows' classes. Nothing is scattered over the pool. When a chunk
    // finds many classes (or the prints are not exact), the rows are partitioned instead.
    if (exact) {
      constexpr std::size_t most_classes = 4096;
      struct local_table {
        std::vector<print> keys;               // by local class, in first-seen order
        std::vector<std::uint32_t> count;      // rows per local class
        std::vector<std::uint32_t> slot;       // open addressing: local class + 1, 0 empty
        std::vector<std::uint32_t> to_global;  // local class -> merged class
        std::vector<std::uint32_t> of_row;     // local class of each row needing keys
      };
      std::vector<local_table> tables(chunks);
      std::atomic<bool> too_many{false};
      auto find = [&](std::vector<std::uint32_t>& slot, const std::vector<print>& keys,
                      const print& p) -> std::uint32_t& {
        std::size_t h = hash_of(p) & (slot.size() - 1);
        while (slot[h] != 0 && !(keys[slot[h] - 1] == p)) h = (h + 1) & (slot.size() - 1);
        return slot[h];
      };
      detail::parallel_for(chunks, threads, [&](std::size_t c) {
        auto& t = tables[c];
        t.slot.assign(2 * most_classes, 0);
        for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
          if (!need[r]) continue;
          const print p = print_of(r);
          std::uint32_t& at = find(t.slot, t.keys, p);
          if (at == 0) {
            if (t.keys.size() == most_classes || too_many.load(std::memory_order_relaxed)) {
              too_many.store(true, std::memory_order_relaxed);
              return;
            }
            t.keys.push_back(p);
            t.count.push_back(0);
            at = static_cast<std::uint32_t>(t.keys.size());
          }
          ++t.count[at - 1];
          t.of_row.push_back(at - 1);
        }
      });
      if (!too_many.load()) {
        // Merged classes, numbered in chunk order then first-seen order.
        std::vector<print> keys;
        std::vector<std::uint64_t> count;
        std::vector<std::uint32_t> slot(16, 0);
        for (auto& t : tables) {
          t.to_global.resize(t.keys.size());
          for (std::size_t i = 0; i < t.keys.size(); ++i) {
            if (2 * (keys.size() + 1) > slot.size()) {
              slot.assign(2 * slot.size(), 0);
              for (std::size_t g = 0; g < keys.size(); ++g) {
                find(slot, keys, keys[g]) = static_cast<std::uint32_t>(g + 1);
              }
            }
            std::uint32_t& at = find(slot, keys, t.keys[i]);
            if (at == 0) {
              keys.push_back(t.keys[i]);
              count.push_back(0);
              at = static_cast<std::uint32_t>(keys.size());
            }
            count[at - 1] += t.count[i];
            t.to_global[i] = at - 1;
          }
        }
        detail::parallel_for(chunks, threads, [&](std::size_t c) {
          const auto& t = tables[c];
          std::size_t i = 0;
          for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
            if (!need[r]) continue;
            cls[r] = t.to_global[t.of_row[i++]];
            if (count[cls[r]] < 2) need[r] = 0;
          }
        });
        return;
      }
      // Too many classes: partitioned below.
    }
    // Parts of a few thousand rows each (a table of them stays in the cache).
    std::size_t needed = 0;
    std::vector<std::size_t> chunk_needed(chunks, 0);
    detail::parallel_for(chunks, threads, [&](std::size_t c) {
      std::size_t k = 0;
      for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) k += need[r];
      chunk_needed[c] = k;
    });
    for (auto k : chunk_needed) needed += k;
    unsigned part_bits = 0;
    while (part_bits < 12 && (needed >> part_bits) > 2048) ++part_bits;
    const std::size_t parts = std::size_t{1} << part_bits;
    auto part_of = [&](std::uint64_t h) {
      return part_bits == 0 ? std::size_t{0} : static_cast<std::size_t>(h >> (64U - part_bits));
    };
    // at[c * parts + q]: rows of chunk c in part q; then the position of the first of them.
    std::vector<std::size_t> at(chunks * parts, 0);
    detail::parallel_for(chunks, threads, [&](std::size_t c) {
      std::size_t* count = at.data() + c * parts;
      for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
        if (need[r]) ++count[part_of(hash_of(print_of(r)))];
      }
    });
    std::vector<std::size_t> part_begin(parts + 1, 0);
    {
      std::size_t pos = 0;
      for (std::size_t q = 0; q < parts; ++q) {
        part_begin[q] = pos;
        for (std::size_t c = 0; c < chunks; ++c) {
          const std::size_t k = at[c * parts + q];
          at[c * parts + q] = pos;
          pos += k;
        }
      }
      part_begin[parts] = pos;
    }
    std::vector<std::uint32_t> rows(needed);
    std::vector<print> prints(needed);
    detail::parallel_for(chunks, threads, [&](std::size_t c) {
      std::size_t* next = at.data() + c * parts;
      for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
        if (!need[r]) continue;
        const print p = print_of(r);
        const std::size_t i = next[part_of(hash_of(p))]++;
        rows[i] = static_cast<std::uint32_t>(r);
        prints[i] = p;
      }
    });
    std::vector<std::uint32_t> first(needed), count(needed, 0);
    constexpr std::uint32_t empty = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::vector<std::uint32_t>> tables(detail::worker_count(parts, threads));
    detail::parallel_for(parts, threads, [&](std::size_t q, unsigned w) {
      const std::size_t b = part_begin[q], e = part_begin[q + 1];
      if (b == e) return;
      std::size_t cap = 16;
      while (cap < 2 * (e - b)) cap *= 2;
      const std::size_t mask = cap - 1;
      auto& slot = tables[w];
      slot.assign(cap, empty);
      for (std::size_t i = b; i < e; ++i) {
        std::size_t h = hash_of(prints[i]) & mask;
        while (slot[h] != empty &&
               !(prints[slot[h]] == prints[i] && equal(rows[slot[h]], rows[i]))) {
          h = (h + 1) & mask;
        }
        if (slot[h] == empty) slot[h] = static_cast<std::uint32_t>(i);
        first[i] = slot[h];
        ++count[slot[h]];
      }
      // Each part writes the rows it holds (no other part has them).
      for (std::size_t i = b; i < e; ++i) {
        cls[rows[i]] = first[i];
        if (count[first[i]] < 2) need[rows[i]] = 0;
      }
    });
  };
  // Stores one key column: every row's key in a string of its own, or (lean) all in one buffer.
  // `append_key(r, out)` appends row r's key to `out`; it is called from several threads at
  // once (unless `serial`).
  std::size_t keys_done = 0;
  auto store = [&](auto&& append_key, bool serial) {
    const unsigned workers = serial ? 1U : threads;
    if (lean) {
      // Only the rows that need the key have an offset (a bit per row says which). Each chunk
      // encodes its rows' keys on its own; the chunks are then laid end to end.
      selection_input::packed_key packed;
      const std::size_t words = (n + 63) / 64;
      packed.present.assign(words, 0);
      packed.present_before.assign(words, 0);
      struct part {
        std::string bytes;
        std::vector<std::uint64_t> ends;  // end of each key in `bytes`
      };
      std::vector<part> parts(chunks);
      detail::parallel_for(chunks, workers, [&](std::size_t c) {
        auto& pc = parts[c];
        for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
          if (!need[r]) continue;
          packed.present[r / 64] |= std::uint64_t{1} << (r & 63U);
          append_key(r, pc.bytes);
          pc.ends.push_back(pc.bytes.size());
        }
      });
      std::vector<std::size_t> entry_at(chunks + 1, 0), byte_at(chunks + 1, 0);
      for (std::size_t c = 0; c < chunks; ++c) {
        entry_at[c + 1] = entry_at[c] + parts[c].ends.size();
        byte_at[c + 1] = byte_at[c] + parts[c].bytes.size();
      }
      packed.offsets.resize(entry_at[chunks] + 1);
      packed.offsets[0] = 0;
      packed.bytes.resize(byte_at[chunks]);
      detail::parallel_for(chunks, workers, [&](std::size_t c) {
        auto& pc = parts[c];
        std::copy(pc.bytes.begin(), pc.bytes.end(),
                  packed.bytes.begin() + static_cast<std::ptrdiff_t>(byte_at[c]));
        for (std::size_t i = 0; i < pc.ends.size(); ++i) {
          packed.offsets[entry_at[c] + i + 1] = byte_at[c] + pc.ends[i];
        }
        std::size_t before = entry_at[c];
        for (std::size_t w = c * chunk_rows / 64, we = (chunk_end(c) + 63) / 64; w < we; ++w) {
          packed.present_before[w] = static_cast<std::uint32_t>(before);
          before += static_cast<std::size_t>(std::popcount(packed.present[w]));
        }
        pc = part{};
      });
      in.packed_keys.push_back(std::move(packed));
    } else {
      std::vector<std::string> col(n);
      detail::parallel_for(chunks, workers, [&](std::size_t c) {
        for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
          if (need[r]) append_key(r, col[r]);
        }
      });
      in.keys.push_back(std::move(col));
    }
    ++keys_done;
  };
  for (const auto& k : policy.order) {
    if (keys_where_tied) refine(keys_done);
    if (k.how == order_key::kind::lottery) {
      store(
          [&](std::size_t r, std::string& out) {
            append_u64_be(out, lottery_key(policy.seed, id_hash(p.id(r))));
          },
          false);
      continue;
    }
    const column& c = p[k.column];
    if (k.how == order_key::kind::value) {
      if (c.type() != column_type::number && c.type() != column_type::integer &&
          c.type() != column_type::date && c.type() != column_type::boolean) {
        throw schema_error(
            "a value order key needs a number, integer, date or boolean "
            "column; use text: or name: for words",
            location{.field = k.column});
      }
      auto value_at = [&](std::size_t r) {
        switch (c.type()) {
          case column_type::number:
            return c.numbers()[r];
          case column_type::integer:
            return static_cast<double>(c.integers()[r]);
          case column_type::date:
            return static_cast<double>(c.dates()[r]);
          default:
            return static_cast<double>(c.booleans()[r]);
        }
      };
      if (lean) {
        // The pipeline's own input is never merged with other shards': the low bytes that are
        // the same in every key (marks in quarters, whole days: most of them) are left out,
        // which keeps the keys' order and equality, and a key of at most 7 bytes is one radix
        // word.
        std::vector<std::uint64_t> ored(chunks, 0), anded(chunks, ~std::uint64_t{0});
        detail::parallel_for(chunks, threads, [&](std::size_t ch) {
          std::uint64_t o = 0, a = ~std::uint64_t{0};
          for (std::size_t r = ch * chunk_rows, e = chunk_end(ch); r < e; ++r) {
            if (!need[r]) continue;
            if (const auto code = value_code(value_at(r), c.is_valid(r), k.direction)) {
              o |= *code;
              a &= *code;
            }
          }
          ored[ch] = o;
          anded[ch] = a;
        });
        std::uint64_t same = ~std::uint64_t{0};  // bits equal in every key
        {
          std::uint64_t o = 0, a = ~std::uint64_t{0};
          for (std::size_t ch = 0; ch < chunks; ++ch) {
            o |= ored[ch];
            a &= anded[ch];
          }
          same = ~(o ^ a);
        }
        const int same_bytes = std::min(7, std::countr_one(same) / 8);
        store(
            [&, shift_end = 8 * same_bytes](std::size_t r, std::string& out) {
              const auto code = value_code(value_at(r), c.is_valid(r), k.direction);
              if (!code) {
                out.push_back('\x01');
                return;
              }
              out.push_back('\x00');
              for (int shift = 56; shift >= shift_end; shift -= 8) {
                out.push_back(static_cast<char>((*code >> shift) & 0xFFU));
              }
            },
            false);
        continue;
      }
      store(
          [&](std::size_t r, std::string& out) {
            const bool valid = c.is_valid(r);
            switch (c.type()) {
              case column_type::number:
                return append_value_key(out, c.numbers()[r], valid, k.direction);
              case column_type::integer:
                return append_value_key(out, static_cast<double>(c.integers()[r]), valid,
                                        k.direction);
              case column_type::date:
                return append_value_key(out, static_cast<double>(c.dates()[r]), valid, k.direction);
              default:
                return append_value_key(out, static_cast<double>(c.booleans()[r]), valid,
                                        k.direction);
            }
          },
          false);
      continue;
    }
    if (c.type() != column_type::category && c.type() != column_type::text) {
      throw schema_error("a name or text order key needs a category or text column",
                         location{.field = k.column});
    }
    auto collation_key = [&](std::string_view value) {
      return detail::vietnamese_sort_key(
          k.how == order_key::kind::vietnamese_name ? given_name_first(value) : std::string(value));
    };
    if (lean) {
      // The pipeline's own input is never merged with other shards': each row's key is the
      // rank of its collation key among the distinct ones of the rows that need it, as 7
      // big-endian bytes (same order and equality as the bytes; one radix pass decides).
      // Names repeat (a province has far fewer distinct names than pupils): one ICU collation
      // key per distinct value. A category column's values are its codes: the codes the rows
      // use are marked on every worker, with no string hashed per row.
      std::vector<std::string> distinct;
      constexpr std::uint32_t missing = std::numeric_limits<std::uint32_t>::max();
      std::uint32_t missing_index = missing;
      std::vector<std::uint32_t> index_of_code;  // category: distinct index per code
      std::unordered_map<std::string_view, std::uint32_t> index_of;  // text
      bool has_missing = false;
      if (c.type() == column_type::category) {
        const auto codes = c.codes();
        const auto& dict = c.dictionary();
        std::vector<std::vector<std::uint8_t>> used(detail::worker_count(chunks, threads));
        std::vector<std::uint8_t> missing_seen(used.size(), 0);
        detail::parallel_for(chunks, threads, [&](std::size_t ch, unsigned w) {
          auto& u = used[w];
          if (u.empty()) u.assign(dict.size(), 0);
          for (std::size_t r = ch * chunk_rows, e = chunk_end(ch); r < e; ++r) {
            if (!need[r]) continue;
            if (!c.is_valid(r) || codes[r] < 0) {
              missing_seen[w] = 1;
            } else {
              u[static_cast<std::size_t>(codes[r])] = 1;
            }
          }
        });
        index_of_code.assign(dict.size(), missing);
        for (std::size_t code = 0; code < dict.size(); ++code) {
          bool any = false;
          for (const auto& u : used) any = any || (!u.empty() && u[code] != 0);
          if (!any) continue;
          index_of_code[code] = static_cast<std::uint32_t>(distinct.size());
          distinct.push_back(bytes_key(collation_key(dict[code]), true, k.direction));
        }
        has_missing = std::any_of(missing_seen.begin(), missing_seen.end(),
                                  [](std::uint8_t m) { return m != 0; });
      } else {
        for (std::size_t r = 0; r < n; ++r) {
          if (!need[r]) continue;
          if (!c.is_valid(r)) {
            has_missing = true;
            continue;
          }
          auto [it, fresh] =
              index_of.try_emplace(c.text_at(r), static_cast<std::uint32_t>(distinct.size()));
          if (fresh) distinct.push_back(bytes_key(collation_key(it->first), true, k.direction));
        }
      }
      if (has_missing) {
        missing_index = static_cast<std::uint32_t>(distinct.size());
        distinct.push_back(bytes_key({}, false, k.direction));
      }
      std::vector<std::uint32_t> by_key(distinct.size());
      std::iota(by_key.begin(), by_key.end(), std::uint32_t{0});
      std::sort(by_key.begin(), by_key.end(),
                [&](std::uint32_t a, std::uint32_t b) { return distinct[a] < distinct[b]; });
      std::vector<std::uint64_t> rank(distinct.size(), 0);
      for (std::size_t i = 1; i < by_key.size(); ++i) {
        rank[by_key[i]] =
            rank[by_key[i - 1]] + (distinct[by_key[i]] != distinct[by_key[i - 1]] ? 1 : 0);
      }
      store(
          [&, codes = c.type() == column_type::category
                          ? c.codes()
                          : std::span<const std::int32_t>()](std::size_t r, std::string& out) {
            std::uint32_t i = missing_index;
            if (c.is_valid(r)) {
              if (!codes.empty()) {
                if (codes[r] >= 0) i = index_of_code[static_cast<std::size_t>(codes[r])];
              } else {
                i = index_of.find(c.text_at(r))->second;
              }
            }
            // The rank < 2^56: its 7 low bytes.
            for (int shift = 48; shift >= 0; shift -= 8) {
              out.push_back(static_cast<char>((rank[i] >> shift) & 0xFFU));
            }
          },
          false);
      continue;
    }
    // One collation key per distinct value, computed as the rows are encoded (in row order).
    std::unordered_map<std::string_view, std::string> collation_of;
    store(
        [&](std::size_t r, std::string& out) {
          const bool valid = c.is_valid(r);
          const std::string_view value =
              c.type() == column_type::category ? c.category_at(r) : c.text_at(r);
          auto [it, fresh] = collation_of.try_emplace(value);
          if (fresh) it->second = collation_key(value);
          out += bytes_key(it->second, valid, k.direction);
        },
        true);
  }
  return in;
}

}  // namespace

selection_input make_selection_input(const pool& p, std::span<const double> score,
                                     std::span<const std::uint8_t> eligible,
                                     const std::vector<std::string>& ineligible_reason,
                                     const selection_policy& policy,
                                     const std::vector<std::string>& score_note,
                                     bool keys_where_tied) {
  return make_input(p, score, eligible, ineligible_reason, policy, score_note, keys_where_tied,
                    /*lean=*/false, /*threads=*/0);
}

namespace detail {

selection_input make_lean_selection_input(const pool& p, std::span<const double> score,
                                          std::span<const std::uint8_t> eligible,
                                          const selection_policy& policy,
                                          const std::vector<std::string>& score_note,
                                          unsigned threads) {
  return make_input(p, score, eligible, {}, policy, score_note, /*keys_where_tied=*/true,
                    /*lean=*/true, threads);
}

std::uint64_t packed_index(const selection_input::packed_key& packed, std::size_t r) {
  const std::uint64_t bits = packed.present[r / 64];
  const std::uint64_t bit = std::uint64_t{1} << (r & 63U);
  if ((bits & bit) == 0) return no_packed_key;
  return packed.present_before[r / 64] +
         static_cast<std::uint64_t>(std::popcount(bits & (bit - 1)));
}

std::string_view input_key(const selection_input& in, std::size_t k, std::size_t r) {
  if (in.keys.empty()) {
    const auto& packed = in.packed_keys[k];
    std::size_t i = r;
    if (!packed.present.empty()) {
      const std::uint64_t at = packed_index(packed, r);
      if (at == no_packed_key) return {};
      i = static_cast<std::size_t>(at);
    }
    return std::string_view(packed.bytes)
        .substr(packed.offsets[i], packed.offsets[i + 1] - packed.offsets[i]);
  }
  return in.keys[k][r];
}

std::size_t input_key_count(const selection_input& in) {
  return in.keys.empty() ? in.packed_keys.size() : in.keys.size();
}

std::string_view input_id(const selection_input& in, std::size_t r) {
  return in.ids.empty() ? in.source->id(r) : std::string_view(in.ids[r]);
}

namespace {

/// The first 8 bytes of an id as a big-endian number (zero-padded): ordering by it is ordering
/// by the id's bytes, except among ids sharing those 8 bytes.
std::uint64_t id_prefix(std::string_view id) {
  std::uint64_t v = 0;
  for (std::size_t b = 0; b < 8; ++b) {
    v = (v << 8U) | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0U);
  }
  return v;
}

}  // namespace

/// Orders rows[0..m) by id (bytes). A run tied on the score and every key can hold a large part
/// of the pool (plain totals on a coarse grid): a comparison sort of the ids there costs
/// m log m string compares at random addresses, so the rows are radix-sorted by their ids'
/// first 8 bytes and only ids sharing those are compared whole.
void sort_by_id(const selection_input& in, std::uint32_t* rows, std::size_t m) {
  if (m <= 16) {
    // Most runs tied on every key are a few rows: an insertion sort of their ids, looked up
    // once, with nothing allocated. Stable, as the radix path is on runs this short (an
    // insertion sort of the prefixes, then of the ids sharing one).
    std::array<std::string_view, 16> id{};
    for (std::size_t t = 0; t < m; ++t) id[t] = input_id(in, rows[t]);
    for (std::size_t t = 1; t < m; ++t) {
      const std::string_view v = id[t];
      const std::uint32_t r = rows[t];
      std::size_t u = t;
      for (; u > 0 && v < id[u - 1]; --u) {
        id[u] = id[u - 1];
        rows[u] = rows[u - 1];
      }
      id[u] = v;
      rows[u] = r;
    }
    return;
  }
  std::vector<std::uint64_t> key(m);
  for (std::size_t t = 0; t < m; ++t) key[t] = id_prefix(input_id(in, rows[t]));
  msd_sort_in_place(key.data(), rows, m);
  for (std::size_t t = 0; t < m;) {
    std::size_t u = t + 1;
    while (u < m && key[u] == key[t]) ++u;
    if (u - t > 1) {
      std::sort(rows + t, rows + u, [&](std::uint32_t a, std::uint32_t b) {
        return input_id(in, a) < input_id(in, b);
      });
    }
    t = u;
  }
}

std::string_view input_group(const selection_input& in, std::string_view per, std::size_t r) {
  if (!in.groups.empty() || per.empty()) {
    return in.groups.empty() ? std::string_view() : std::string_view(in.groups[r]);
  }
  const column& g = (*in.source)[std::string(per)];
  if (!g.is_valid(r)) return {};
  return g.type() == column_type::category ? g.category_at(r) : g.text_at(r);
}

}  // namespace detail

selection_input concat(const std::vector<selection_input>& parts) {
  selection_input out;
  if (parts.empty()) return out;
  out.keys.resize(parts.front().keys.size());
  for (const auto& p : parts) {
    if (p.partial_keys) {
      throw spec_error(
          "a shard's order keys were encoded only where its own rows tie "
          "(keys_where_tied); encode shards with keys_where_tied = false to merge them");
    }
    if (p.keys.size() != out.keys.size()) {
      throw spec_error("shards were prepared with different numbers of order keys");
    }
    out.ids.insert(out.ids.end(), p.ids.begin(), p.ids.end());
    out.groups.insert(out.groups.end(), p.groups.begin(), p.groups.end());
    out.score.insert(out.score.end(), p.score.begin(), p.score.end());
    out.eligible.insert(out.eligible.end(), p.eligible.begin(), p.eligible.end());
    out.ineligible_reason.insert(out.ineligible_reason.end(), p.ineligible_reason.begin(),
                                 p.ineligible_reason.end());
    if (p.score_note.empty()) {
      out.score_note.resize(out.ids.size());
    } else {
      out.score_note.resize(out.ids.size() - p.ids.size());
      out.score_note.insert(out.score_note.end(), p.score_note.begin(), p.score_note.end());
    }
    for (std::size_t k = 0; k < p.keys.size(); ++k) {
      out.keys[k].insert(out.keys[k].end(), p.keys[k].begin(), p.keys[k].end());
    }
  }
  return out;
}

namespace {

// Seats and quotas above this are certainly a mistake, and sums of them cannot overflow.
constexpr std::int64_t max_seats = std::int64_t{1} << 40;

void add_problem(std::vector<error_info>& out, std::string_view option, std::string message) {
  out.push_back({.kind = "spec",
                 .message = std::move(message),
                 .where = location{.field = std::string(option)}});
}

// A column a policy names: present (with "did you mean") and of one of `types`.
void check_column(std::vector<error_info>& out, const pool& schema, std::string_view option,
                  const std::string& name, std::initializer_list<column_type> types,
                  std::string_view wanted) {
  const column* c = schema.find(name);
  if (c == nullptr) {
    try {
      (void)schema[name];
    } catch (const error& e) {
      out.push_back({.kind = "schema",
                     .message = std::string(option) + ": " + e.message(),
                     .where = location{.field = name}});
    }
    return;
  }
  if (std::find(types.begin(), types.end(), c->type()) == types.end()) {
    out.push_back({.kind = "schema",
                   .message = std::string(option) + ": the column is " +
                              std::string(to_string(c->type())) + "; " + std::string(wanted),
                   .where = location{.field = name}});
  }
}

}  // namespace

std::vector<error_info> check_policy(const selection_policy& policy, const pool* schema) {
  std::vector<error_info> out;
  auto seats_ok = [&](std::string_view option, std::int64_t v) {
    if (v < 0) add_problem(out, option, "must not be negative (is " + std::to_string(v) + ")");
    if (v > max_seats) {
      add_problem(out, option,
                  "is too large (" + std::to_string(v) + " > " + std::to_string(max_seats) + ")");
    }
  };
  seats_ok("seats", policy.seats);
  if (std::isnan(policy.min_score) || (std::isinf(policy.min_score) && policy.min_score > 0)) {
    add_problem(out, "min_score",
                "must be a finite number (or none), not " +
                    std::string(std::isnan(policy.min_score) ? "NaN" : "inf"));
  }
  for (const auto& [group, seats] : policy.fixed) {
    if (group.empty()) add_problem(out, "fixed", "a group name is empty");
    seats_ok("fixed", seats);
  }
  if (policy.mode == quota_mode::fixed && policy.levels.size() > 1) {
    add_problem(out, "levels",
                "fixed quotas per group apply to a single level; use apportion with levels");
  }
  for (const auto& [group, w] : policy.weights) {
    if (!std::isfinite(w) || w < 0) {
      add_problem(out, "weights", "the weight of \"" + group + "\" must be a finite number >= 0");
    }
  }
  if (policy.group_min < 0 || policy.group_min > max_seats) {
    add_problem(out, "minimum", "must be between 0 and " + std::to_string(max_seats));
  }
  if (policy.group_max) {
    if (*policy.group_max < 0 || *policy.group_max > max_seats) {
      add_problem(out, "maximum", "must be between 0 and " + std::to_string(max_seats));
    } else if (*policy.group_max < policy.group_min) {
      add_problem(out, "maximum",
                  "is below the minimum per group (" + std::to_string(*policy.group_max) + " < " +
                      std::to_string(policy.group_min) + ")");
    }
  }
  if (policy.cap_share) {
    const double c = *policy.cap_share;
    if (!std::isfinite(c) || c < 0 || c > 1) {
      add_problem(out, "cap_share",
                  "must be a share between 0 and 1 (e.g. 0.15), not " +
                      (std::isnan(c) ? std::string("NaN") : detail::format_decimal_vi(c, 6)));
    }
  }
  for (const auto& [group, base] : policy.cap_base) {
    if (!std::isfinite(base) || base < 0 || base > static_cast<double>(max_seats)) {
      add_problem(out, "cap_base", "the base of \"" + group + "\" must be a finite number >= 0");
    }
  }
  {
    std::vector<std::string_view> seen;
    for (const auto& l : policy.levels) {
      if (l.name.empty()) add_problem(out, "levels", "a level has no name");
      if (detail::find_invalid_utf8(l.name)) {
        add_problem(out, "levels", "a level's name is not valid UTF-8");
      }
      if (std::find(seen.begin(), seen.end(), l.name) != seen.end()) {
        add_problem(out, "levels", "level \"" + l.name + "\" is named twice");
      }
      seen.push_back(l.name);
      seats_ok("levels", l.seats);
      if (std::isnan(l.min_score)) {
        add_problem(out, "levels", "the minimum score of \"" + l.name + "\" is NaN");
      }
    }
    if (policy.levels.size() > 1024) add_problem(out, "levels", "more than 1024 levels");
  }
  for (const auto& k : policy.order) {
    if (k.how != order_key::kind::lottery && k.column.empty()) {
      add_problem(out, "order", "an order key needs a column name");
    }
  }
  if (schema != nullptr) {
    if (!policy.per.empty()) {
      check_column(out, *schema, "per", policy.per, {column_type::category, column_type::text},
                   "the group column must be a category or text column");
    }
    for (const auto& k : policy.order) {
      if (k.column.empty()) continue;
      if (k.how == order_key::kind::value) {
        check_column(
            out, *schema, "order", k.column,
            {column_type::number, column_type::integer, column_type::date, column_type::boolean},
            "a value order key needs a number, integer, date or boolean column; use "
            "text: or name: for words");
      } else if (k.how != order_key::kind::lottery) {
        check_column(out, *schema, "order", k.column, {column_type::category, column_type::text},
                     "a name or text order key needs a category or text column");
      }
    }
  }
  return out;
}

namespace detail {

namespace {

/// How a radix pass orders keys 7 bytes at a time: bytes [offset, offset + 7) of `key`
/// (zero-padded) as a big-endian number, then a length byte: how many bytes of the key are left
/// from `offset` (0..7), or 8 when more are. Word order is the keys' byte order as far as
/// those 7 bytes go (a key that ends sorts before its extensions, which pad it with zeros
/// or go on); equal words below 8 are equal keys, equal words of 8 are decided further on.
std::uint64_t key_word(std::string_view key, std::size_t offset) {
  const std::size_t left = key.size() > offset ? key.size() - offset : 0;
  std::uint64_t v = 0;
  const std::size_t take = std::min<std::size_t>(left, 7);
  for (std::size_t b = 0; b < take; ++b)
    v = (v << 8U) | static_cast<unsigned char>(key[offset + b]);
  v <<= 8U * (7 - take);
  return (v << 8U) | std::min<std::size_t>(left, 8);
}

/// Runs below this size are ordered by a comparison sort.
constexpr std::size_t small_run = 48;

/// word[t] = key_word(key k of rows[t], offset) for t < m. The rows are spread over the pool,
/// so each lookup misses the cache at every step (presence bits, offsets, bytes); the steps are
/// taken in separate passes over the rows, so that the misses of one pass overlap (no load
/// waits for another of the same row).
void key_words(const selection_input& in, std::size_t k, std::size_t offset,
               const std::uint32_t* rows, std::size_t m, std::uint64_t* word) {
  if (!in.keys.empty() || in.packed_keys[k].present.empty()) {
    for (std::size_t t = 0; t < m; ++t) word[t] = key_word(input_key(in, k, rows[t]), offset);
    return;
  }
  const auto& packed = in.packed_keys[k];
  constexpr std::uint64_t absent = no_packed_key;
  for (std::size_t t = 0; t < m; ++t) word[t] = packed_index(packed, rows[t]);
  // Where each key is: its first byte and length (up to 254) in one word; 255: read it again.
  const std::string_view bytes(packed.bytes);
  for (std::size_t t = 0; t < m; ++t) {
    const std::uint64_t i = word[t];
    if (i == absent) continue;
    const std::uint64_t b = packed.offsets[i], len = packed.offsets[i + 1] - b;
    word[t] = b < (std::uint64_t{1} << 55U) && len < 255 ? (b << 8U) | len : absent - 1;
  }
  for (std::size_t t = 0; t < m; ++t) {
    const std::uint64_t w = word[t];
    std::string_view key;
    if (w == absent - 1) {
      key = input_key(in, k, rows[t]);
    } else if (w != absent) {
      key = bytes.substr(w >> 8U, w & 0xFFU);
    }
    word[t] = key_word(key, offset);
  }
}

/// views[t * stride] = key k of rows[t] for t < m (at most small_run), in the passes of
/// key_words.
void key_views(const selection_input& in, std::size_t k, const std::uint32_t* rows, std::size_t m,
               std::string_view* views, std::size_t stride) {
  if (!in.keys.empty() || in.packed_keys[k].present.empty()) {
    for (std::size_t t = 0; t < m; ++t) views[t * stride] = input_key(in, k, rows[t]);
    return;
  }
  const auto& packed = in.packed_keys[k];
  constexpr std::uint64_t absent = no_packed_key;
  std::array<std::uint64_t, small_run> at{};
  for (std::size_t t = 0; t < m; ++t) at[t] = packed_index(packed, rows[t]);
  const std::string_view bytes(packed.bytes);
  for (std::size_t t = 0; t < m; ++t) {
    const std::uint64_t i = at[t];
    views[t * stride] =
        i == absent ? std::string_view()
                    : bytes.substr(packed.offsets[i], packed.offsets[i + 1] - packed.offsets[i]);
  }
}

/// Rows tied on the score and every key: by id (the row number first, so that the order given
/// to sort_by_id is the one a total order on (keys, row) gives).
void order_all_tied(const selection_input& in, std::uint32_t* rows, std::size_t m) {
  std::sort(rows, rows + m);
  sort_by_id(in, rows, m);
}

/// Orders rows[0..m), which tie on the score, on keys before k and on bytes [0, offset) of key k,
/// by the rest of key k (bytes, a prefix first), then the later keys, then the id. Radix passes
/// over 8 bytes at a time of the keys of the rows still tied, so the work is linear in the
/// bytes that decide (no comparison sort of the strings at random addresses), and keys are
/// only read for rows that tie.
void order_tied(const selection_input& in, std::size_t k, std::size_t offset, std::uint32_t* rows,
                std::size_t m, std::vector<std::uint64_t>& buf) {
  const std::size_t key_count = input_key_count(in);
  if (k == key_count) {
    order_all_tied(in, rows, m);
    return;
  }
  if (m <= small_run) {
    // (rest of key k, later keys, row), then runs tied on every key by id. Each row's keys are
    // looked up once (the comparisons read them from `views`).
    const std::size_t width = key_count - k;
    std::array<std::string_view, small_run * 4> local{};
    std::vector<std::string_view> heap;
    std::string_view* views = local.data();
    if (m * width > local.size()) {
      heap.resize(m * width);
      views = heap.data();
    }
    std::array<std::uint32_t, small_run> idx{};
    for (std::size_t j = 0; j < width; ++j) key_views(in, k + j, rows, m, views + j, width);
    for (std::size_t t = 0; t < m; ++t) {
      idx[t] = static_cast<std::uint32_t>(t);
      views[t * width] = views[t * width].substr(std::min(offset, views[t * width].size()));
    }
    auto tied = [&](std::uint32_t a, std::uint32_t b) {
      return std::equal(views + a * width, views + (a + 1) * width, views + b * width);
    };
    std::sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(m),
              [&](std::uint32_t a, std::uint32_t b) {
                for (std::size_t j = 0; j < width; ++j) {
                  const auto ja = views[a * width + j], jb = views[b * width + j];
                  if (ja != jb) return ja < jb;
                }
                return rows[a] < rows[b];
              });
    std::array<std::uint32_t, small_run> sorted{};
    for (std::size_t t = 0; t < m; ++t) sorted[t] = rows[idx[t]];
    for (std::size_t i = 0; i < m;) {
      std::size_t j = i + 1;
      while (j < m && tied(idx[i], idx[j])) ++j;
      if (j - i > 1) sort_by_id(in, sorted.data() + i, j - i);
      i = j;
    }
    std::copy_n(sorted.data(), m, rows);
    return;
  }
  // One radix pass on 7 bytes and the length class (key_word), then each run of equal words:
  // the next key where key k ends there, the next 7 bytes of key k where it goes on.
  if (buf.size() < m) buf.resize(m);
  std::uint64_t* word = buf.data();
  key_words(in, k, offset, rows, m, word);
  msd_sort_in_place(word, rows, m);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs;  // [begin, end) of equal words
  std::vector<std::uint8_t> goes_on;
  for (std::size_t i = 0; i < m;) {
    std::size_t j = i + 1;
    while (j < m && word[j] == word[i]) ++j;
    if (j - i > 1) {
      runs.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      goes_on.push_back((word[i] & 0xFFU) == 8 ? 1 : 0);
    }
    i = j;
  }
  for (std::size_t t = 0; t < runs.size(); ++t) {
    const auto [i, j] = runs[t];
    if (goes_on[t] != 0) {
      order_tied(in, k, offset + 7, rows + i, j - i, buf);
    } else {
      order_tied(in, k + 1, 0, rows + i, j - i, buf);
    }
  }
}

/// The total order of the ranked rows `rows` (in place): score descending, the encoded
/// tie-breakers (bytes), then the id. A radix sort of the scores, then each run of equal scores
/// ordered on the keys by order_tied.
void order_ranked(const selection_input& in, std::vector<std::uint32_t>& rows, unsigned threads) {
  const std::size_t m = rows.size();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs;
  {
    std::vector<std::uint64_t> score(m);
    for (std::size_t t = 0; t < m; ++t) {
      score[t] = double_key(in.score[rows[t]], sort_direction::descending, na_option::bottom);
    }
    msd_sort_in_place(score.data(), rows.data(), m);
    for (std::size_t i = 0; i < m;) {
      std::size_t j = i + 1;
      while (j < m && score[j] == score[i]) ++j;
      if (j - i > 1) {
        runs.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      }
      i = j;
    }
  }
  // The runs are disjoint: ordered in parallel, the largest first (the order they are done in
  // does not change the result).
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.second - a.first != b.second - b.first ? a.second - a.first > b.second - b.first
                                                    : a.first < b.first;
  });
  std::vector<std::vector<std::uint64_t>> buf(worker_count(runs.size(), threads));
  parallel_for(runs.size(), threads, [&](std::size_t t, unsigned w) {
    const auto [i, j] = runs[t];
    order_tied(in, 0, 0, rows.data() + i, j - i, buf[w]);
  });
}

}  // namespace

selection select_lean(const selection_input& in, const selection_policy& policy,
                      selection_explainer& x, unsigned threads) {
  const std::size_t n = in.size();
  // A lean input (make_lean_selection_input) reads ids and groups from its pool.
  const bool lean = in.ids.empty() && in.groups.empty() && in.source && in.source->size() == n;
  if ((!lean && (in.ids.size() != n || in.groups.size() != n)) || in.eligible.size() != n ||
      (!in.ineligible_reason.empty() && in.ineligible_reason.size() != n) ||
      (!in.score_note.empty() && in.score_note.size() != n)) {
    throw spec_error("selection input columns differ in length");
  }
  for (const auto& k : in.keys) {
    if (k.size() != n) throw spec_error("selection input order keys differ in length");
  }
  for (const auto& k : in.packed_keys) {
    std::size_t entries = n;  // rows with an offset
    if (!k.present.empty() || !k.present_before.empty()) {
      const std::size_t words = (n + 63) / 64;
      bool ok = k.present.size() == words && k.present_before.size() == words;
      entries = 0;
      for (std::size_t w = 0; ok && w < words; ++w) {
        ok = k.present_before[w] == entries &&
             (w + 1 < words || n % 64 == 0 || (k.present[w] >> (n % 64)) == 0);
        entries += static_cast<std::size_t>(std::popcount(k.present[w]));
      }
      if (!ok) throw spec_error("selection input packed order keys: bad row bits");
    }
    if (k.offsets.size() != entries + 1 || k.offsets.back() != k.bytes.size() ||
        !std::is_sorted(k.offsets.begin(), k.offsets.end())) {
      throw spec_error("selection input packed order keys differ in length");
    }
  }
  const std::size_t key_count = input_key_count(in);
  if (!in.keys.empty() && !in.packed_keys.empty()) {
    throw spec_error("the selection input has both keys and packed keys");
  }
  if (key_count != policy.order.size()) {
    throw spec_error("the selection input has " + std::to_string(key_count) +
                     " order keys, the policy " + std::to_string(policy.order.size()));
  }
  if (auto problems = check_policy(policy); !problems.empty())
    throw spec_error(std::move(problems));

  // The group of each row, as a view (into the input or the pool's group column).
  const column* group_column = lean && !policy.per.empty() ? &(*in.source)[policy.per] : nullptr;
  auto group_of = [&](std::size_t r) -> std::string_view {
    if (!lean) return in.groups[r];
    if (group_column == nullptr || !group_column->is_valid(r)) return {};
    return group_column->type() == column_type::category ? group_column->category_at(r)
                                                         : group_column->text_at(r);
  };
  // Groups, numbered in Vietnamese alphabetical order: independent of row order.
  std::vector<std::string> names;
  std::vector<std::int32_t> gcode(n);
  {
    // First-seen numbering of the distinct groups, then renumbered in Vietnamese order.
    std::unordered_map<std::string_view, std::int32_t> seen;
    auto code_for = [&](std::string_view g) {
      const auto [it, fresh] = seen.emplace(g, static_cast<std::int32_t>(names.size()));
      if (fresh) names.emplace_back(it->first);
      return it->second;
    };
    if (group_column != nullptr && group_column->type() == column_type::category) {
      // A category column: each code is looked up once, not each row's text.
      const auto codes = group_column->codes();
      const auto& dict = group_column->dictionary();
      std::vector<std::int32_t> of_code(dict.size() + 1, -1);  // [0]: missing
      for (std::size_t r = 0; r < n; ++r) {
        const std::int32_t c = group_column->is_valid(r) ? codes[r] : -1;
        auto& g = of_code[static_cast<std::size_t>(c + 1)];
        if (g < 0)
          g = code_for(c < 0 ? std::string_view()
                             : std::string_view(dict[static_cast<std::size_t>(c)]));
        gcode[r] = g;
      }
    } else {
      for (std::size_t r = 0; r < n; ++r) gcode[r] = code_for(group_of(r));
    }
    std::vector<std::int32_t> by_name(names.size());
    std::iota(by_name.begin(), by_name.end(), 0);
    std::sort(by_name.begin(), by_name.end(), [&](std::int32_t a, std::int32_t b) {
      return detail::compare_vietnamese(names[static_cast<std::size_t>(a)],
                                        names[static_cast<std::size_t>(b)]) < 0;
    });
    std::vector<std::int32_t> renumber(names.size());
    std::vector<std::string> sorted(names.size());
    for (std::size_t i = 0; i < by_name.size(); ++i) {
      renumber[static_cast<std::size_t>(by_name[i])] = static_cast<std::int32_t>(i);
      sorted[i] = std::move(names[static_cast<std::size_t>(by_name[i])]);
    }
    names = std::move(sorted);
    for (auto& g : gcode) g = renumber[static_cast<std::size_t>(g)];
  }
  const std::size_t ng = names.size();
  std::unordered_map<std::string_view, std::int32_t> code_of;
  for (std::size_t g = 0; g < ng; ++g) code_of.emplace(names[g], static_cast<std::int32_t>(g));

  selection out;
  if (!lean) {
    out.ids = in.ids;
    out.groups = in.groups;
  }
  // The per-row arrays are filled on several threads at once (their pages are first touched
  // there), then rows are classified in chunks, each counting its groups' nominees; the counts
  // are summed in chunk order.
  std::vector<std::uint8_t> ranked;
  detail::parallel_for(8, threads, [&](std::size_t task) {
    switch (task) {
      case 0:
        out.score = in.score;
        break;
      case 1:
        out.rank.assign(n, 0);
        break;
      case 2:
        out.group_rank.assign(n, 0);
        break;
      case 3:
        out.selected.assign(n, 0);
        break;
      case 4:
        out.level.assign(n, -1);
        break;
      case 5:
        out.status.assign(n, selection_status::outside_quota);
        break;
      case 6:
        out.gap.assign(n, std::numeric_limits<double>::quiet_NaN());
        break;
      default:
        ranked.assign(n, 0);
        break;
    }
  });
  out.lottery_seed = policy.seed;

  constexpr std::size_t chunk_rows = std::size_t{1} << 16U;
  const std::size_t chunks = (n + chunk_rows - 1) / chunk_rows;
  auto chunk_end = [&](std::size_t c) { return std::min(n, (c + 1) * chunk_rows); };
  // Per chunk: nominees and eligible per group, and ranked rows.
  std::vector<std::int64_t> chunk_nominees(chunks * ng, 0), chunk_eligible(chunks * ng, 0);
  std::vector<std::size_t> chunk_ranked(chunks + 1, 0);
  detail::parallel_for(chunks, threads, [&](std::size_t c) {
    std::int64_t* nom = chunk_nominees.data() + c * ng;
    std::int64_t* eli = chunk_eligible.data() + c * ng;
    std::size_t k = 0;
    for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
      ++nom[static_cast<std::size_t>(gcode[r])];
      if (!in.eligible[r]) {
        out.status[r] = selection_status::ineligible;
      } else if (std::isnan(in.score[r])) {
        out.status[r] = selection_status::no_score;
      } else if (in.score[r] < policy.min_score) {
        out.status[r] = selection_status::below_minimum;
        out.gap[r] = clean(policy.min_score - in.score[r]);
      } else {
        ranked[r] = 1;
        ++eli[static_cast<std::size_t>(gcode[r])];
        ++k;
      }
    }
    chunk_ranked[c + 1] = k;
  });
  std::vector<std::int64_t> nominees(ng, 0), eligible_count(ng, 0);
  for (std::size_t c = 0; c < chunks; ++c) {
    for (std::size_t g = 0; g < ng; ++g) {
      nominees[g] += chunk_nominees[c * ng + g];
      eligible_count[g] += chunk_eligible[c * ng + g];
    }
    chunk_ranked[c + 1] += chunk_ranked[c];
  }
  // The total order of the ranked rows (the others have no rank and take no seat): score
  // descending, the tie-breakers, then the id (bytes).
  std::vector<std::uint32_t> ord(chunk_ranked[chunks]);
  detail::parallel_for(chunks, threads, [&](std::size_t c) {
    std::size_t i = chunk_ranked[c];
    for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
      if (ranked[r]) ord[i++] = static_cast<std::uint32_t>(r);
    }
  });
  order_ranked(in, ord, threads);
  // Ranks among ranked rows, overall and within groups; and each group's rows in order. In
  // chunks of the order: each counts its rows per group, then numbers them from the counts of
  // the chunks before it.
  std::vector<std::vector<std::uint32_t>> group_order(ng);
  {
    const std::size_t m = ord.size();
    const std::size_t ord_chunks = (m + chunk_rows - 1) / chunk_rows;
    std::vector<std::uint32_t> before(ord_chunks * ng, 0);  // rows of group g in chunks < c
    detail::parallel_for(ord_chunks, threads, [&](std::size_t c) {
      std::uint32_t* count = before.data() + c * ng;
      for (std::size_t i = c * chunk_rows, e = std::min(m, (c + 1) * chunk_rows); i < e; ++i) {
        ++count[static_cast<std::size_t>(gcode[ord[i]])];
      }
    });
    std::vector<std::uint32_t> total(ng, 0);
    for (std::size_t c = 0; c < ord_chunks; ++c) {
      for (std::size_t g = 0; g < ng; ++g) {
        const std::uint32_t k = before[c * ng + g];
        before[c * ng + g] = total[g];
        total[g] += k;
      }
    }
    for (std::size_t g = 0; g < ng; ++g) group_order[g].resize(total[g]);
    detail::parallel_for(ord_chunks, threads, [&](std::size_t c) {
      std::uint32_t* next = before.data() + c * ng;
      for (std::size_t i = c * chunk_rows, e = std::min(m, (c + 1) * chunk_rows); i < e; ++i) {
        const std::uint32_t r = ord[i];
        const auto g = static_cast<std::size_t>(gcode[r]);
        out.rank[r] = static_cast<std::uint32_t>(i + 1);
        group_order[g][next[g]] = r;
        out.group_rank[r] = ++next[g];
      }
    });
  }

  std::vector<award_level> levels = policy.levels;
  if (levels.empty()) levels.push_back({.name = "selected", .seats = policy.seats});
  for (const auto& l : levels) {
    if (l.seats < 0) throw spec_error("level \"" + l.name + "\" has negative seats");
    out.levels.push_back(l.name);
  }
  if (policy.mode == quota_mode::fixed && levels.size() > 1) {
    throw spec_error("fixed quotas per group apply to a single level; use apportion with levels");
  }
  for (const auto& [name, seats] : policy.fixed) {
    if (seats < 0) throw spec_error("fixed quota of \"" + name + "\" is negative");
    if (!code_of.contains(name) && policy.mode == quota_mode::fixed) {
      throw spec_error("fixed quota for group \"" + name + "\", which has no nominees");
    }
  }

  // Caps as a share of a base, over all levels together.
  std::vector<std::int64_t> cap_left(ng, std::numeric_limits<std::int64_t>::max());
  if (policy.cap_share) {
    for (std::size_t g = 0; g < ng; ++g) {
      const auto it = policy.cap_base.find(names[g]);
      const double base =
          it != policy.cap_base.end() ? it->second : static_cast<double>(nominees[g]);
      // A small epsilon so that 15% of 20 is 3, not 2 by rounding error.
      cap_left[g] = static_cast<std::int64_t>(std::floor(*policy.cap_share * base + 1e-9));
    }
  }

  // Apportionment weights (the same for every level).
  std::vector<double> weights(ng, 0.0);
  for (std::size_t g = 0; g < ng; ++g) {
    if (!policy.weights.empty()) {
      const auto it = policy.weights.find(names[g]);
      weights[g] = it == policy.weights.end() ? 0.0 : it->second;
    } else {
      weights[g] = static_cast<double>(policy.weigh_eligible ? eligible_count[g] : nominees[g]);
    }
  }

  std::vector<std::uint8_t> taken(n, 0);
  std::vector<double> last_cutoff(ng, std::numeric_limits<double>::quiet_NaN());
  // The last selected row of each group at the last level that selected anyone there: the
  // row a nominee tied on score lost to, when a tie-breaker decided.
  constexpr std::uint32_t no_row = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> last_boundary(ng, no_row);
  const bool has_cap = policy.cap_share.has_value();
  std::vector<std::int64_t> cap_total(ng, -1);
  if (has_cap) cap_total = cap_left;
  for (std::size_t li = 0; li < levels.size(); ++li) {
    const auto& lv = levels[li];
    const double level_min = std::max(policy.min_score, lv.min_score);
    std::vector<std::int64_t> quota(ng, 0);
    if (policy.mode == quota_mode::apportion) {
      std::vector<std::int64_t> lo(ng, policy.group_min), hi;
      if (policy.group_max) hi.assign(ng, *policy.group_max);
      quota = apportion(weights, lv.seats, policy.method, lo, hi);
    } else if (policy.mode == quota_mode::fixed) {
      for (std::size_t g = 0; g < ng; ++g) {
        const auto it = policy.fixed.find(names[g]);
        quota[g] = it == policy.fixed.end() ? 0 : it->second;
      }
    }
    // The walk over candidates: one list for global mode, one per group otherwise. Rows
    // that the seats would take but the cap does not are `capped`.
    auto fill = [&](const std::vector<std::uint32_t>& candidates_all, std::int64_t q,
                    std::int64_t cap, std::vector<std::uint32_t>& chosen,
                    std::vector<std::uint32_t>& tied_out, std::vector<std::uint32_t>& capped) {
      // The candidates still free at this level, in rank order, taken from the list only as
      // far as the seats, the ties at the last seat and the capped rows reach (a group's
      // list holds all its ranked rows; its seats are a few).
      std::vector<std::uint32_t> cand;
      std::size_t next = 0;
      auto has = [&](std::size_t i) {
        while (cand.size() <= i && next < candidates_all.size()) {
          const auto r = candidates_all[next++];
          if (!taken[r] && in.score[r] >= level_min) cand.push_back(r);
        }
        return i < cand.size();
      };
      const auto limit = static_cast<std::size_t>(std::max<std::int64_t>(0, std::min(q, cap)));
      std::size_t k = limit > 0 && !has(limit - 1) ? cand.size() : limit;
      if (k > 0 && has(k) && in.score[cand[k]] == in.score[cand[k - 1]]) {
        const double tie = in.score[cand[k - 1]];
        if (policy.ties == tie_policy::include) {
          // Everyone tied with the last seat is selected, caps permitting.
          while (has(k) && in.score[cand[k]] == tie && static_cast<std::int64_t>(k) < cap) {
            ++k;
          }
          for (std::size_t i = k; has(i) && in.score[cand[i]] == tie; ++i) {
            capped.push_back(cand[i]);  // the cap stopped the tied group
          }
        } else if (policy.ties == tie_policy::exclude) {
          std::size_t b = k;
          while (b > 0 && in.score[cand[b - 1]] == tie) --b;
          for (std::size_t i = b; has(i) && in.score[cand[i]] == tie; ++i) {
            tied_out.push_back(cand[i]);
          }
          k = b;
        }
      }
      if (cap < q) {
        for (std::size_t i = std::max(k, limit); static_cast<std::int64_t>(i) < q && has(i); ++i) {
          capped.push_back(cand[i]);
        }
      }
      chosen.assign(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(k));
    };

    std::vector<std::int64_t> chosen_per_group(ng, 0);
    std::vector<double> cutoff(ng, std::numeric_limits<double>::quiet_NaN());
    std::vector<std::uint32_t> boundary(ng, no_row);
    auto take = [&](const std::vector<std::uint32_t>& chosen) {
      for (auto r : chosen) {
        taken[r] = 1;
        out.selected[r] = 1;
        out.level[r] = static_cast<std::int32_t>(li);
        out.status[r] = selection_status::selected;
        const auto g = static_cast<std::size_t>(gcode[r]);
        ++chosen_per_group[g];
        cap_left[g] -= cap_left[g] == std::numeric_limits<std::int64_t>::max() ? 0 : 1;
        cutoff[g] = std::isnan(cutoff[g]) ? in.score[r] : std::min(cutoff[g], in.score[r]);
        boundary[g] = r;  // rows come in rank order: the last one is the lowest selected
      }
    };
    auto mark = [&](const std::vector<std::uint32_t>& rows, selection_status st) {
      for (auto r : rows) {
        if (!taken[r]) out.status[r] = st;
      }
    };
    double global_cutoff = std::numeric_limits<double>::quiet_NaN();
    std::uint32_t global_boundary = no_row;
    if (policy.mode == quota_mode::global) {
      std::vector<std::uint32_t> all;
      for (const auto r : ord) {
        if (ranked[r]) all.push_back(r);
      }
      // Caps still apply per group in global mode: drop rows of capped-out groups as we go.
      std::vector<std::uint32_t> chosen, tied_out, capped, dropped;
      std::vector<std::size_t> dropped_at;  // position of each dropped row in `all`
      std::vector<std::size_t> position(n, 0);
      if (has_cap) {
        std::vector<std::int64_t> left = cap_left;
        std::vector<std::uint32_t> kept;
        for (std::size_t i = 0; i < all.size(); ++i) {
          const auto r = all[i];
          position[r] = i;
          auto& l = left[static_cast<std::size_t>(gcode[r])];
          if (taken[r] || in.score[r] < level_min) continue;
          if (l > 0) {
            kept.push_back(r);
            --l;
          } else {
            dropped.push_back(r);
            dropped_at.push_back(i);
          }
        }
        all.swap(kept);
      }
      fill(all, lv.seats, std::numeric_limits<std::int64_t>::max(), chosen, tied_out, capped);
      take(chosen);
      mark(tied_out, selection_status::tied_out);
      // A row dropped by its group's cap is `capped` when it outranks a selected row, or when
      // seats were left over.
      const bool seats_left = static_cast<std::int64_t>(chosen.size()) < lv.seats;
      const std::size_t last_pos = chosen.empty() ? 0 : position[chosen.back()];
      for (std::size_t i = 0; i < dropped.size(); ++i) {
        if (!taken[dropped[i]] && (seats_left || dropped_at[i] < last_pos)) {
          out.status[dropped[i]] = selection_status::capped;
        }
      }
      for (auto r : chosen) {
        global_cutoff =
            std::isnan(global_cutoff) ? in.score[r] : std::min(global_cutoff, in.score[r]);
      }
      if (!chosen.empty()) global_boundary = chosen.back();
      for (std::size_t g = 0; g < ng; ++g) quota[g] = chosen_per_group[g];
    } else {
      for (std::size_t g = 0; g < ng; ++g) {
        std::vector<std::uint32_t> chosen, tied_out, capped;
        fill(group_order[g], quota[g], cap_left[g], chosen, tied_out, capped);
        take(chosen);
        mark(tied_out, selection_status::tied_out);
        mark(capped, selection_status::capped);
      }
    }
    for (std::size_t g = 0; g < ng; ++g) {
      group_outcome o;
      o.group = names[g];
      o.level = lv.name;
      o.nominees = nominees[g];
      o.eligible = eligible_count[g];
      o.quota = quota[g];
      o.selected = chosen_per_group[g];
      o.cap = cap_total[g];
      o.cutoff = policy.mode == quota_mode::global ? global_cutoff : cutoff[g];
      out.outcomes.push_back(o);
      if (policy.mode != quota_mode::global && boundary[g] != no_row) {
        last_cutoff[g] = o.cutoff;
        last_boundary[g] = boundary[g];
      }
    }
    if (policy.mode == quota_mode::global && global_boundary != no_row) {
      std::fill(last_cutoff.begin(), last_cutoff.end(), global_cutoff);
      std::fill(last_boundary.begin(), last_boundary.end(), global_boundary);
    }
  }

  // What the reasons say, from what the walk recorded: gaps, and the tie-breaker that decided
  // between a nominee and its group's last seat when they are equal on score. In chunks of
  // rows; the deciding keys found are added in chunk order.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> decided(chunks);
  detail::parallel_for(chunks, threads, [&](std::size_t c) {
    for (std::size_t r = c * chunk_rows, e = chunk_end(c); r < e; ++r) {
      const auto g = static_cast<std::size_t>(gcode[r]);
      switch (out.status[r]) {
        case selection_status::capped:
        case selection_status::tied_out:
          out.gap[r] = 0;
          break;
        case selection_status::outside_quota: {
          const double cut = last_cutoff[g];
          const std::uint32_t b = last_boundary[g];
          if (std::isnan(cut) || b == no_row) break;
          out.gap[r] = clean(std::max(0.0, cut - in.score[r]));
          if (in.score[r] != in.score[b]) break;
          std::size_t k = 0;
          while (k < key_count && input_key(in, k, r) == input_key(in, k, b)) ++k;
          decided[c].emplace_back(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(k));
          break;
        }
        default:
          break;
      }
    }
  });
  for (const auto& d : decided) x.decided_by.insert(d.begin(), d.end());
  x.group_names = std::move(names);
  x.gcode = std::move(gcode);
  x.last_cutoff = std::move(last_cutoff);
  x.last_boundary = std::move(last_boundary);
  x.cap_total = std::move(cap_total);
  return out;
}

void append_reason(std::string& why, const selection_input& in, const selection& s,
                   const selection_policy& policy, const selection_explainer& x, std::size_t r,
                   std::string_view ineligible, std::string_view note) {
  constexpr std::uint32_t no_row = std::numeric_limits<std::uint32_t>::max();
  const auto g = static_cast<std::size_t>(x.gcode[r]);
  const std::string& group = x.group_names[g];
  auto of_group = [&] {
    if (!group.empty()) {
      why += " của ";
      why += group;
    }
  };
  switch (s.status[r]) {
    case selection_status::selected:
      why += "Được chọn";
      if (!policy.levels.empty()) {
        why += ": ";
        why += s.levels[static_cast<std::size_t>(s.level[r])];
      }
      why += " (hạng ";
      append_count(why, s.group_rank[r]);
      if (!group.empty()) {
        why += " trong ";
        why += group;
      }
      why += ')';
      break;
    case selection_status::ineligible:
      why += "Không đủ điều kiện";
      if (!in.ineligible_reason.empty()) ineligible = in.ineligible_reason[r];
      if (!ineligible.empty()) {
        why += ": ";
        why += ineligible;
      }
      break;
    case selection_status::no_score:
      why += "Không xếp loại được (thiếu điểm)";
      if (!in.score_note.empty()) note = in.score_note[r];
      if (!note.empty()) {
        why += ": ";
        why += note;
      }
      break;
    case selection_status::below_minimum:
      why += "Tổng điểm ";
      append_number(why, in.score[r]);
      why += " dưới điểm tối thiểu ";
      append_number(why, policy.min_score);
      why += " (thiếu ";
      append_number(why, s.gap[r]);
      why += ')';
      break;
    case selection_status::capped:
      why += "Ngoài chỉ tiêu";
      of_group();
      why += ": đơn vị đã đạt giới hạn ";
      append_number(why, *policy.cap_share * 100);
      why += "% (tối đa ";
      why += std::to_string(x.cap_total[g]);
      why += " suất)";
      break;
    case selection_status::tied_out:
      why += "Bằng điểm ";
      append_number(why, in.score[r]);
      why += " với suất cuối cùng";
      of_group();
      why += " nhưng cả nhóm đồng điểm bị loại theo quy tắc xử lý đồng điểm (loại tất cả)";
      break;
    case selection_status::outside_quota: {
      const double cut = x.last_cutoff[g];
      const std::uint32_t b = x.last_boundary[g];
      if (std::isnan(cut) || b == no_row) {
        why += "Ngoài chỉ tiêu: ";
        if (group.empty()) {
          why += "không có suất nào";
        } else {
          why += group;
          why += " không được giao suất nào";
        }
        break;
      }
      why += "Ngoài chỉ tiêu";
      of_group();
      const auto decided = x.decided_by.find(static_cast<std::uint32_t>(r));
      if (decided == x.decided_by.end()) {
        why += ": tổng điểm ";
        append_number(why, in.score[r]);
        why += ", điểm chuẩn ";
        append_number(why, cut);
        why += ", thiếu ";
        append_number(why, s.gap[r]);
        break;
      }
      // Equal on score: the first order key that differs decided.
      why += ": bằng điểm chuẩn ";
      append_number(why, cut);
      why += " nhưng xếp sau hồ sơ ";
      why += input_id(in, b);
      why += " (suất cuối cùng) theo ";
      const std::size_t k = decided->second;
      if (k == input_key_count(in)) {
        why += "mã hồ sơ (";
        why += input_id(in, r);
        why += " sau ";
        why += input_id(in, b);
        why += ')';
      } else {
        why += describe_tie_breaker(policy.order[k], policy.seed);
        if (in.source && policy.order[k].how != order_key::kind::lottery) {
          const column& c = (*in.source)[policy.order[k].column];
          why += ": " + display_value(c, r) + " so với " + display_value(c, b);
        }
      }
      break;
    }
  }
}

}  // namespace detail

selection select(const selection_input& in, const selection_policy& policy) {
  detail::selection_explainer x;
  selection out = detail::select_lean(in, policy, x);
  const std::size_t n = out.size();
  if (out.ids.empty() && n != 0) {
    // A lean input: the result still carries every row's id and group.
    out.ids.reserve(n);
    out.groups.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
      out.ids.emplace_back(detail::input_id(in, r));
      out.groups.emplace_back(x.group_names[static_cast<std::size_t>(x.gcode[r])]);
    }
  }
  out.reason.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
    detail::append_reason(out.reason[r], in, out, policy, x, r, {});
  }
  return out;
}

pool to_pool(const selection& s, std::string_view per) {
  const std::size_t n = s.size();
  std::vector<column> cols;
  cols.push_back(column::text("id", s.ids));
  {
    std::vector<std::int32_t> codes(n, -1);
    std::vector<std::string> dict;
    std::unordered_map<std::string_view, std::int32_t> idx;
    for (std::size_t r = 0; r < n; ++r) {
      if (s.groups[r].empty()) continue;
      auto [it, inserted] = idx.emplace(s.groups[r], static_cast<std::int32_t>(dict.size()));
      if (inserted) dict.push_back(s.groups[r]);
      codes[r] = it->second;
    }
    cols.push_back(column::category(std::string(per), std::move(codes), std::move(dict)));
  }
  cols.push_back(column::number("score", buffer<double>(s.score)));
  auto ranks = [&](const std::vector<std::uint32_t>& v, const std::string& name) {
    std::vector<std::int64_t> values(n);
    std::vector<std::uint8_t> valid(n);
    for (std::size_t r = 0; r < n; ++r) {
      values[r] = v[r];
      valid[r] = v[r] != 0;
    }
    return column::integer(name, buffer<std::int64_t>(std::move(values)), std::move(valid));
  };
  cols.push_back(ranks(s.rank, "rank"));
  cols.push_back(ranks(s.group_rank, "group_rank"));
  cols.push_back(column::boolean("selected", s.selected));
  {
    std::vector<std::int32_t> codes(s.level.begin(), s.level.end());
    cols.push_back(column::category("level", std::move(codes), s.levels));
  }
  {
    std::vector<std::string> dict;
    for (auto st :
         {selection_status::selected, selection_status::ineligible, selection_status::no_score,
          selection_status::below_minimum, selection_status::outside_quota,
          selection_status::tied_out, selection_status::capped}) {
      dict.emplace_back(to_string(st));
    }
    std::vector<std::int32_t> codes(n);
    for (std::size_t r = 0; r < n; ++r) codes[r] = static_cast<std::int32_t>(s.status[r]);
    cols.push_back(column::category("status", std::move(codes), std::move(dict)));
  }
  cols.push_back(column::number("gap", buffer<double>(s.gap)));
  cols.push_back(column::text("reason", s.reason));
  return pool(std::move(cols), "id");
}

std::string format_outcomes(const selection& s) {
  std::vector<std::vector<std::string>> table;
  table.push_back({"level", "group", "nominees", "eligible", "quota", "selected", "cut-off"});
  for (const auto& o : s.outcomes) {
    table.push_back({o.level, o.group.empty() ? "(all)" : o.group, std::to_string(o.nominees),
                     std::to_string(o.eligible), std::to_string(o.quota),
                     std::to_string(o.selected), number(o.cutoff)});
  }
  std::vector<std::size_t> width(table.front().size(), 0);
  for (const auto& row : table) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], detail::count_code_points(row[c]));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& row = table[i];
    for (std::size_t c = 0; c < row.size(); ++c) {
      const auto pad = std::string(width[c] - detail::count_code_points(row[c]), ' ');
      if (c) out += "  ";
      out += c < 2 ? row[c] + pad : pad + row[c];
    }
    out += '\n';
    if (i == 0) {
      std::size_t total = 0;
      for (auto w : width) total += w + 2;
      out += std::string(total - 2, '-') + '\n';
    }
  }
  std::size_t selected = s.selected_count();
  out += "selected " + std::to_string(selected) + " of " + std::to_string(s.size()) + " nominees\n";
  return out;
}

}  // namespace khuyenhoc
