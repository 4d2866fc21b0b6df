#pragma once
/// \file apportion.hpp
/// Apportionment of a whole number of seats (honours, quota places) among groups in
/// proportion to weights (nominee counts, population, given shares): largest remainder
/// (Hamilton), D'Hondt (Jefferson) and Sainte-Laguë (Webster), with per-group minimums and
/// maximums. Exact: weights are turned into integers once and every comparison of quotients
/// is a cross-multiplication in 128-bit integers, so results do not depend on rounding.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "khuyenhoc/error.hpp"

namespace khuyenhoc {

/// How seats are apportioned.
/// - `largest_remainder` (Hamilton, Hare quota): each group gets the floor of its quota
///   seats·w/W, and the seats left go to the largest remainders.
/// - `dhondt` (Jefferson): seats go one by one to the highest w/(s+1).
/// - `sainte_lague` (Webster): seats go one by one to the highest w/(2s+1).
enum class apportion_method { largest_remainder, dhondt, sainte_lague };

/// Parses "largest_remainder" (also "hamilton"), "dhondt" (also "jefferson", "d'hondt") or
/// "sainte_lague" (also "webster"). Throws spec_error otherwise.
[[nodiscard]] inline apportion_method parse_apportion_method(std::string_view name) {
  if (name == "largest_remainder" || name == "hamilton") return apportion_method::largest_remainder;
  if (name == "dhondt" || name == "d'hondt" || name == "jefferson") return apportion_method::dhondt;
  if (name == "sainte_lague" || name == "webster") return apportion_method::sainte_lague;
  throw spec_error("unknown apportionment method \"" + std::string(name) +
                   "\" (expected largest_remainder, dhondt or sainte_lague)");
}

namespace detail {

// __extension__: GCC and Clang have 128-bit integers; -Wpedantic would flag the name.
__extension__ using u128 = unsigned __int128;

/// The shortest text that reads back as x (for messages).
[[nodiscard]] inline std::string format_double(double x) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

/// Largest supported number of seats: keeps every product below 2^128.
inline constexpr std::int64_t max_seats = std::int64_t{1} << 62;

/// Weights as exact integers: w_i · 2^k with k chosen so that their sum is below 2^62.
/// Integer weights (nominee counts) with a sum below 2^61 are always exact; a fractional
/// bit below 2^-k, far smaller than any weight that matters next to the largest, is dropped.
inline std::vector<std::uint64_t> integer_weights(std::span<const double> weights) {
  long double total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (std::isnan(w) || std::isinf(w) || w < 0) {
      throw spec_error("apportion: weight of group " + std::to_string(i) + " is " +
                       format_double(w) + "; weights must be finite and non-negative");
    }
    total += w;
  }
  std::vector<std::uint64_t> out(weights.size(), 0);
  if (total == 0) return out;
  // total < 2^(e+1); scale so that the total is below 2^61 (2^62 with rounding slack).
  const int e = std::ilogb(total);
  const int k = 60 - e;
  u128 sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const long double scaled = std::floor(std::ldexp(static_cast<long double>(weights[i]), k));
    out[i] = static_cast<std::uint64_t>(scaled);
    sum += out[i];
  }
  if (sum >= (u128{1} << 62)) throw spec_error("apportion: internal error scaling weights");
  return out;
}

/// Compares a/b with c/d for non-negative integers, b, d > 0: -1, 0 or 1.
[[nodiscard]] inline int compare_fractions(u128 a, u128 b, u128 c, u128 d) noexcept {
  const u128 l = a * d;
  const u128 r = c * b;
  return l < r ? -1 : (l > r ? 1 : 0);
}

/// Bounded largest remainder: quotas are clamp(λ·w_i, min_i, max_i) with λ such that they
/// add up to `seats` (the usual way to bound Hamilton's method; without bounds λ = seats/W),
/// then floors, then one more seat for each of the largest remainders.
inline std::vector<std::int64_t> largest_remainder(const std::vector<std::uint64_t>& w,
                                                   std::int64_t seats,
                                                   const std::vector<std::int64_t>& lo,
                                                   const std::vector<std::int64_t>& hi) {
  const std::size_t n = w.size();
  // Breakpoints of f(λ) = Σ clamp(λ w_i, lo_i, hi_i): group i becomes free at lo_i/w_i and
  // fixed at its maximum at hi_i/w_i. Events with equal λ are applied together.
  struct event {
    std::int64_t num;  // λ = num / den
    std::uint64_t den;
    std::size_t group;
    bool enter;  // true: becomes free; false: reaches its maximum
  };
  std::vector<event> events;
  events.reserve(2 * n);
  // State: C = Σ fixed seats, W = Σ free weights; at λ = 0 every group sits at its minimum.
  u128 fixed = 0;
  u128 free_weight = 0;
  std::vector<char> is_free(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    fixed += static_cast<u128>(lo[i]);
    if (w[i] == 0 || lo[i] == hi[i]) continue;  // never free
    events.push_back({lo[i], w[i], i, true});
    events.push_back({hi[i], w[i], i, false});
  }
  std::sort(events.begin(), events.end(), [](const event& a, const event& b) {
    const int c =
        compare_fractions(static_cast<u128>(a.num), a.den, static_cast<u128>(b.num), b.den);
    if (c != 0) return c < 0;
    if (a.enter != b.enter) return a.enter;  // any order within one λ works; keep it fixed
    return a.group < b.group;
  });
  const auto target = static_cast<u128>(seats);
  std::size_t e = 0;
  for (;;) {
    // Segment before events[e] (or the last one): is the solution here?
    if (free_weight == 0) {
      if (fixed == target) break;
    } else {
      const u128 rest = target - fixed;  // f is non-decreasing, fixed <= target here
      if (e == events.size() ||
          compare_fractions(rest, free_weight, static_cast<u128>(events[e].num), events[e].den) <=
              0) {
        break;
      }
    }
    if (e == events.size()) throw spec_error("apportion: internal error (no solution)");
    const event& first = events[e];
    while (e < events.size() && compare_fractions(static_cast<u128>(events[e].num), events[e].den,
                                                  static_cast<u128>(first.num), first.den) == 0) {
      const event& ev = events[e];
      if (ev.enter) {
        fixed -= static_cast<u128>(lo[ev.group]);
        free_weight += w[ev.group];
        is_free[ev.group] = 1;
      } else {
        fixed += static_cast<u128>(hi[ev.group]);
        free_weight -= w[ev.group];
        is_free[ev.group] = 0;
      }
      ++e;
    }
  }
  // Fixed groups sit at their bound: at a minimum until they enter, at a maximum after.
  std::vector<char> entered(n, 0);
  for (std::size_t i = 0; i < e; ++i) {
    if (events[i].enter) entered[events[i].group] = 1;
  }
  std::vector<std::int64_t> out(n);
  std::vector<std::pair<u128, std::size_t>> remainders;  // free groups only
  std::int64_t given = 0;
  const u128 rest = target - fixed;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_free[i] != 0) {
      const u128 q = rest * w[i];
      out[i] = static_cast<std::int64_t>(q / free_weight);
      remainders.emplace_back(q % free_weight, i);
    } else {
      out[i] = entered[i] != 0 ? hi[i] : lo[i];
    }
    given += out[i];
  }
  // Ties: larger weight first, then lower index.
  std::sort(remainders.begin(), remainders.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    if (w[a.second] != w[b.second]) return w[a.second] > w[b.second];
    return a.second < b.second;
  });
  const std::int64_t left = seats - given;
  for (std::int64_t i = 0; i < left; ++i) ++out[remainders[static_cast<std::size_t>(i)].second];
  return out;
}

/// Highest-averages method with divisor d(s) = s + 1 (D'Hondt) or 2s + 1 (Sainte-Laguë, the
/// same order as s + 1/2): starting from the minimums, each seat goes to the group with the
/// highest w/d(s) among those below their maximum.
inline std::vector<std::int64_t> highest_averages(const std::vector<std::uint64_t>& w,
                                                  std::int64_t seats,
                                                  const std::vector<std::int64_t>& lo,
                                                  const std::vector<std::int64_t>& hi,
                                                  bool sainte_lague) {
  const std::size_t n = w.size();
  std::vector<std::int64_t> out(lo);
  // Jump start, so that the time does not grow with the number of seats. For λ = W/q, let
  // f(q) = Σ clamp(#{k : w_i/d(k) > λ}, min_i, max_i). When f(q) <= seats, those seats are
  // exactly the best f(q) of all (every other seat a group may take averages <= λ), so they
  // are a valid start whatever the tie-breaking. Binary search finds the largest such q
  // (f grows with q); the heap then gives the few seats left one by one.
  {
    u128 total_weight = 0;
    for (const std::uint64_t x : w) total_weight += x;
    const auto fill = [&](u128 q, std::vector<std::int64_t>* into) {
      u128 total = 0;
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t s = lo[i];
        if (q > 0 && w[i] > 0) {
          // #{d : W·d < w·q} with d = k+1 is ceil(x/W) - 1; with d = 2k+1, ceil(x/W) / 2.
          const u128 c = (static_cast<u128>(w[i]) * q + total_weight - 1) / total_weight;
          const u128 count = sainte_lague ? c / 2 : c - 1;
          const auto cap = static_cast<u128>(hi[i]);
          s = std::max(lo[i], static_cast<std::int64_t>(count < cap ? count : cap));
        }
        if (into != nullptr) (*into)[i] = s;
        total += static_cast<u128>(s);
      }
      return total;
    };
    if (total_weight > 0) {
      const auto target = static_cast<u128>(seats);
      u128 good = 0;             // f(good) <= seats
      u128 bad = u128{1} << 64;  // w·q stays below 2^126
      if (fill(bad, nullptr) <= target) {
        good = bad;
      } else {
        while (bad - good > 1) {
          const u128 mid = good + (bad - good) / 2;
          (fill(mid, nullptr) <= target ? good : bad) = mid;
        }
      }
      fill(good, &out);
    }
  }
  const auto divisor = [&](std::int64_t s) -> u128 {
    return sainte_lague ? 2 * static_cast<u128>(s) + 1 : static_cast<u128>(s) + 1;
  };
  // worse(a, b): group a's next seat comes after group b's. Ties: larger weight, lower index.
  const auto worse = [&](std::size_t a, std::size_t b) {
    const u128 l = static_cast<u128>(w[a]) * divisor(out[b]);
    const u128 r = static_cast<u128>(w[b]) * divisor(out[a]);
    if (l != r) return l < r;
    if (w[a] != w[b]) return w[a] < w[b];
    return a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(worse)> heap(worse);
  std::int64_t left = seats;
  for (std::size_t i = 0; i < n; ++i) {
    left -= out[i];
    if (out[i] < hi[i]) heap.push(i);
  }
  while (left > 0) {
    const std::size_t g = heap.top();  // feasibility was checked: some group has room
    heap.pop();
    ++out[g];
    --left;
    if (out[g] < hi[g]) heap.push(g);
  }
  return out;
}

}  // namespace detail

/// Apportions `seats` among groups in proportion to `weights`, each group g getting between
/// minimum[g] and maximum[g] seats. Empty `minimum` means 0 for all; empty `maximum` means no
/// maximum. A group of weight 0 gets exactly its minimum. The result sums to `seats`.
/// Ties (equal remainders, equal averages) go to the larger weight, then the lower index.
/// With bounds, largest remainder rounds the quotas clamp(λ·w, min, max) that sum to `seats`;
/// the divisor methods give seats by priority to groups below their maximum after minimums.
/// Complexity: O(n log n) (largest remainder), O(64·n + (seats left after the jump start)
/// log n) for the divisor methods: in practice independent of the number of seats. Throws
/// spec_error, naming the group, for a negative, NaN or infinite weight, a negative minimum, a
/// maximum below the minimum, bounds of the wrong length, seats < 0 or above 2^62, and when the
/// bounds cannot be met (Σmin > seats, or Σmax < seats, counting zero-weight groups at their
/// minimum).
[[nodiscard]] inline std::vector<std::int64_t> apportion(std::span<const double> weights,
                                                         std::int64_t seats,
                                                         apportion_method method,
                                                         std::span<const std::int64_t> minimum,
                                                         std::span<const std::int64_t> maximum) {
  const std::size_t n = weights.size();
  if (seats < 0 || seats > detail::max_seats) {
    throw spec_error("apportion: seats must be between 0 and 2^62, got " + std::to_string(seats));
  }
  if (!minimum.empty() && minimum.size() != n) {
    throw spec_error("apportion: minimum has " + std::to_string(minimum.size()) + " entries for " +
                     std::to_string(n) + " groups");
  }
  if (!maximum.empty() && maximum.size() != n) {
    throw spec_error("apportion: maximum has " + std::to_string(maximum.size()) + " entries for " +
                     std::to_string(n) + " groups");
  }
  const std::vector<std::uint64_t> w = detail::integer_weights(weights);
  std::vector<std::int64_t> lo(n, 0);
  std::vector<std::int64_t> hi(n, seats);
  std::int64_t sum_lo = 0;  // saturates at seats + 1: only "more than seats" matters
  std::int64_t sum_hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!minimum.empty()) lo[i] = minimum[i];
    if (!maximum.empty()) hi[i] = std::min(maximum[i], seats);
    if (lo[i] < 0) {
      throw spec_error("apportion: minimum of group " + std::to_string(i) + " is negative (" +
                       std::to_string(lo[i]) + ")");
    }
    if (!maximum.empty() && maximum[i] < lo[i]) {
      throw spec_error("apportion: maximum of group " + std::to_string(i) + " (" +
                       std::to_string(maximum[i]) + ") is below its minimum (" +
                       std::to_string(lo[i]) + ")");
    }
    if (lo[i] > seats) {
      throw spec_error("apportion: minimum of group " + std::to_string(i) + " (" +
                       std::to_string(lo[i]) + ") exceeds the " + std::to_string(seats) + " seats");
    }
    if (w[i] == 0) hi[i] = lo[i];  // nothing to be proportional to
    sum_lo = std::min(sum_lo + lo[i], seats + 1);
    sum_hi = std::min(sum_hi + hi[i], seats + 1);
  }
  if (sum_lo > seats) {
    throw spec_error("apportion: the minimums add up to more than the " + std::to_string(seats) +
                     " seats");
  }
  if (sum_hi < seats) {
    std::string zero;
    for (std::size_t i = 0; i < n; ++i) {
      if (w[i] == 0 && zero.size() < 60) zero += (zero.empty() ? "" : ", ") + std::to_string(i);
    }
    throw spec_error("apportion: the maximums add up to " + std::to_string(sum_hi) +
                     ", fewer than the " + std::to_string(seats) + " seats" +
                     (zero.empty() ? std::string()
                                   : " (groups of weight 0 count at their minimum: " + zero + ")"));
  }
  switch (method) {
    case apportion_method::largest_remainder:
      return detail::largest_remainder(w, seats, lo, hi);
    case apportion_method::dhondt:
      return detail::highest_averages(w, seats, lo, hi, false);
    case apportion_method::sainte_lague:
      return detail::highest_averages(w, seats, lo, hi, true);
  }
  throw spec_error("apportion: unknown method");
}

/// As the other `apportion`, with the same minimum (default 0) and maximum (default none)
/// for every group.
[[nodiscard]] inline std::vector<std::int64_t> apportion(
    std::span<const double> weights, std::int64_t seats,
    apportion_method method = apportion_method::largest_remainder, std::int64_t minimum = 0,
    std::optional<std::int64_t> maximum = std::nullopt) {
  const std::vector<std::int64_t> lo(weights.size(), minimum);
  std::vector<std::int64_t> hi;
  if (maximum) hi.assign(weights.size(), *maximum);
  return apportion(weights, seats, method, lo, hi);
}

}  // namespace khuyenhoc
