// Tests of apportion.hpp: textbook tables, the Alabama paradox, bounds, errors, and the
// defining properties of each method checked on random inputs with exact arithmetic.
#include <khuyenhoc/apportion.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace kh = khuyenhoc;
using seats_t = std::vector<std::int64_t>;
using kh::apportion_method;

namespace {

seats_t run(const std::vector<double>& w, std::int64_t seats, apportion_method m) {
  return kh::apportion(w, seats, m);
}

// Exact check that a result is a valid divisor-method apportionment of integer weights:
// every group that could take another seat has an average no higher than the last seat of
// every group that could give one up: w_i/d(s_i) <= w_j/d(s_j - 1).
void expect_divisor_valid(const std::vector<double>& w, const seats_t& s, const seats_t& lo,
                          const seats_t& hi, bool sainte_lague) {
  const auto d = [&](std::int64_t k) -> long double {
    return sainte_lague ? 2.0L * static_cast<long double>(k) + 1 : static_cast<long double>(k) + 1;
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (s[i] >= hi[i] || w[i] == 0) continue;
    for (std::size_t j = 0; j < w.size(); ++j) {
      if (i == j || s[j] <= lo[j]) continue;
      // Integer weights below 2^30 and seats below 2^20: these long double products are exact.
      EXPECT_LE(static_cast<long double>(w[i]) * d(s[j] - 1),
                static_cast<long double>(w[j]) * d(s[i]))
          << "group " << i << " should have taken a seat from group " << j;
    }
  }
}

}  // namespace

TEST(apportion, wikipedia_dhondt_and_sainte_lague) {
  const std::vector<double> votes{100000, 80000, 30000, 20000};
  EXPECT_EQ(run(votes, 8, apportion_method::dhondt), (seats_t{4, 3, 1, 0}));
  EXPECT_EQ(run(votes, 8, apportion_method::sainte_lague), (seats_t{3, 3, 1, 1}));
  // Hare quotas 3.48, 2.78, 1.04, 0.70: floors 3, 2, 1, 0, then .78 and .70 get the two left.
  EXPECT_EQ(run(votes, 8, apportion_method::largest_remainder), (seats_t{3, 3, 1, 1}));
}

TEST(apportion, largest_remainder_textbook_table) {
  // Quotas 4.70, 1.60, 1.58, 1.20, 0.61, 0.31: floors 4,1,1,1,0,0; the 3 seats left go to
  // the remainders .70, .61, .60.
  const std::vector<double> votes{47000, 16000, 15800, 12000, 6100, 3100};
  EXPECT_EQ(run(votes, 10, apportion_method::largest_remainder), (seats_t{5, 2, 1, 1, 1, 0}));
  // D'Hondt favours the large party here: 47000/5 = 9400 > 16000/2 = 8000.
  EXPECT_EQ(run(votes, 10, apportion_method::dhondt), (seats_t{5, 2, 2, 1, 0, 0}));
  // Sainte-Laguë (divisors 1, 3, 5, 7): the tenth seat is C's 15800/3 = 5267 > A's 47000/9.
  EXPECT_EQ(run(votes, 10, apportion_method::sainte_lague), (seats_t{4, 2, 2, 1, 1, 0}));
}

TEST(apportion, alabama_paradox_of_largest_remainder) {
  // Quotas at 10 seats: 4.29, 4.29, 1.43 -> 4, 4, 2. At 11: 4.71, 4.71, 1.57 -> 5, 5, 1:
  // the third group loses a seat when the house grows.
  const std::vector<double> w{6, 6, 2};
  EXPECT_EQ(run(w, 10, apportion_method::largest_remainder), (seats_t{4, 4, 2}));
  EXPECT_EQ(run(w, 11, apportion_method::largest_remainder), (seats_t{5, 5, 1}));
  // Divisor methods are house-monotone: no group ever loses a seat.
  for (const auto m : {apportion_method::dhondt, apportion_method::sainte_lague}) {
    const seats_t a = run(w, 10, m);
    const seats_t b = run(w, 11, m);
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_LE(a[i], b[i]);
  }
}

TEST(apportion, ties_go_to_the_larger_weight_then_the_lower_index) {
  // Equal remainders .5/.5: one seat left.
  EXPECT_EQ(run({1, 1}, 1, apportion_method::largest_remainder), (seats_t{1, 0}));
  EXPECT_EQ(run({1, 1}, 1, apportion_method::dhondt), (seats_t{1, 0}));
  EXPECT_EQ(run({1, 1}, 1, apportion_method::sainte_lague), (seats_t{1, 0}));
  // D'Hondt: 2/1 == 4/2 after group 1 has one seat; the larger weight (group 1) wins the tie.
  EXPECT_EQ(run({2, 4}, 2, apportion_method::dhondt), (seats_t{0, 2}));
  // Largest remainder, quotas 1.5 and 0.5 (weights 3 and 1, 2 seats): equal remainders .5,
  // the larger weight takes the seat.
  EXPECT_EQ(run({1, 3}, 2, apportion_method::largest_remainder), (seats_t{0, 2}));
}

TEST(apportion, fractional_weights_are_exact) {
  // 0.1 + 0.2 != 0.3 in doubles, but the result only depends on the weights' exact values.
  EXPECT_EQ(run({0.5, 0.25, 0.25}, 4, apportion_method::largest_remainder), (seats_t{2, 1, 1}));
  EXPECT_EQ(run({0.3, 0.3, 0.4}, 10, apportion_method::largest_remainder), (seats_t{3, 3, 4}));
  EXPECT_EQ(run({1e-3, 2e-3, 1e-3}, 4, apportion_method::dhondt), (seats_t{1, 2, 1}));
}

TEST(apportion, minimums_and_maximums) {
  // Groups 1 and 2 get their minimum of 2; the rest goes by weight.
  const std::vector<double> w{90, 5, 5};
  EXPECT_EQ(kh::apportion(w, 10, apportion_method::largest_remainder, 2), (seats_t{6, 2, 2}));
  EXPECT_EQ(kh::apportion(w, 10, apportion_method::dhondt, 2), (seats_t{6, 2, 2}));
  // Quotas 5, 3, 2 with at most 4: group 0 stops at 4; 6 seats split 30:20 = 3.6 : 2.4.
  const std::vector<double> v{50, 30, 20};
  EXPECT_EQ(kh::apportion(v, 10, apportion_method::largest_remainder, 0, 4), (seats_t{4, 4, 2}));
  EXPECT_EQ(kh::apportion(v, 10, apportion_method::dhondt, 0, 4), (seats_t{4, 4, 2}));
  // Per-group bounds.
  const seats_t lo{0, 0, 3};
  const seats_t hi{10, 1, 10};
  EXPECT_EQ(kh::apportion(v, 10, apportion_method::largest_remainder, lo, hi), (seats_t{6, 1, 3}));
  EXPECT_EQ(kh::apportion(v, 10, apportion_method::sainte_lague, lo, hi), (seats_t{6, 1, 3}));
  // Everything pinned: min == max.
  EXPECT_EQ(
      kh::apportion(v, 6, apportion_method::largest_remainder, seats_t{1, 2, 3}, seats_t{1, 2, 3}),
      (seats_t{1, 2, 3}));
}

TEST(apportion, zero_weights_and_zero_seats) {
  EXPECT_EQ(run({0, 5, 0}, 3, apportion_method::largest_remainder), (seats_t{0, 3, 0}));
  EXPECT_EQ(run({0, 5, 0}, 3, apportion_method::sainte_lague), (seats_t{0, 3, 0}));
  EXPECT_EQ(run({1, 2}, 0, apportion_method::dhondt), (seats_t{0, 0}));
  EXPECT_EQ(run({}, 0, apportion_method::largest_remainder), seats_t{});
  // A zero-weight group gets its minimum, and no more.
  EXPECT_EQ(kh::apportion(std::vector<double>{0, 5}, 4, apportion_method::largest_remainder, 1),
            (seats_t{1, 3}));
  EXPECT_THROW((void)run({0, 0}, 1, apportion_method::largest_remainder), kh::spec_error);
}

TEST(apportion, errors_name_the_group) {
  const auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const kh::spec_error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::vector<double> w{3, 2, 1};
  EXPECT_NE(message([&] {
              (void)run({1, -1, 2}, 3, apportion_method::dhondt);
            }).find("group 1"),
            std::string::npos);
  EXPECT_NE(
      message([&] {
        (void)run({1, 2, std::numeric_limits<double>::quiet_NaN()}, 3, apportion_method::dhondt);
      }).find("group 2"),
      std::string::npos);
  EXPECT_NE(
      message([&] {
        (void)kh::apportion(w, 5, apportion_method::dhondt, seats_t{0, 3, 0}, seats_t{5, 2, 5});
      }).find("group 1"),
      std::string::npos);
  EXPECT_NE(message([&] {
              (void)kh::apportion(w, 5, apportion_method::dhondt, 2);
            }).find("minimums add up to more"),
            std::string::npos);
  EXPECT_NE(message([&] {
              (void)kh::apportion(w, 5, apportion_method::dhondt, 0, 1);
            }).find("maximums add up to 3"),
            std::string::npos);
  EXPECT_THROW((void)kh::apportion(w, -1, apportion_method::dhondt), kh::spec_error);
  EXPECT_THROW((void)kh::apportion(w, 3, apportion_method::dhondt, seats_t{0, 0}, seats_t{}),
               kh::spec_error);
  EXPECT_THROW((void)kh::apportion(w, 3, apportion_method::dhondt, -1), kh::spec_error);
  EXPECT_THROW((void)kh::parse_apportion_method("huntington_hill"), kh::spec_error);
  EXPECT_EQ(kh::parse_apportion_method("hamilton"), apportion_method::largest_remainder);
  EXPECT_EQ(kh::parse_apportion_method("webster"), apportion_method::sainte_lague);
}

TEST(apportion, properties_on_random_inputs) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int> groups(1, 12), weight(0, 40), seat(0, 60), bound(0, 4);
  for (int round = 0; round < 400; ++round) {
    const auto n = static_cast<std::size_t>(groups(rng));
    std::vector<double> w(n);
    for (double& x : w) x = weight(rng) == 0 ? 0 : weight(rng) * 1000.0 + weight(rng);
    if (std::accumulate(w.begin(), w.end(), 0.0) == 0) w[0] = 1;
    const std::int64_t seats = seat(rng);
    seats_t lo(n), hi(n);
    for (std::size_t i = 0; i < n; ++i) {
      lo[i] = round % 2 == 0 ? 0 : bound(rng) / 3;
      hi[i] = round % 3 == 0 ? seats : lo[i] + 2 * bound(rng) + (w[i] > 0 ? 3 : 0);
    }
    seats_t eff_hi = hi;  // a zero-weight group is held at its minimum
    std::int64_t sum_lo = 0, sum_hi = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (w[i] == 0) eff_hi[i] = lo[i];
      sum_lo += lo[i];
      sum_hi += std::min(eff_hi[i], seats);
    }
    for (const auto m : {apportion_method::largest_remainder, apportion_method::dhondt,
                         apportion_method::sainte_lague}) {
      if (sum_lo > seats || sum_hi < seats) {
        EXPECT_THROW((void)kh::apportion(w, seats, m, lo, hi), kh::spec_error);
        continue;
      }
      const seats_t s = kh::apportion(w, seats, m, lo, hi);
      ASSERT_EQ(s.size(), n);
      EXPECT_EQ(std::accumulate(s.begin(), s.end(), std::int64_t{0}), seats);
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_GE(s[i], lo[i]);
        EXPECT_LE(s[i], eff_hi[i]);
      }
      if (m != apportion_method::largest_remainder) {
        expect_divisor_valid(w, s, lo, eff_hi, m == apportion_method::sainte_lague);
        if (sum_hi > seats) {  // house monotone: one more seat takes nothing away
          const seats_t t = kh::apportion(w, seats + 1, m, lo, hi);
          for (std::size_t i = 0; i < n; ++i) EXPECT_LE(s[i], t[i]);
        }
      } else if (round % 2 == 0 && round % 3 == 0) {
        // Unbounded Hamilton: within one of the quota, extra seats to the largest remainders.
        const long double total = std::accumulate(w.begin(), w.end(), 0.0L);
        for (std::size_t i = 0; i < n; ++i) {
          const long double q = static_cast<long double>(seats) * w[i] / total;
          EXPECT_GE(static_cast<long double>(s[i]), std::floor(q) - 1e-9L);
          EXPECT_LE(static_cast<long double>(s[i]), std::floor(q) + 1);
        }
      }
    }
  }
}

TEST(apportion, large_counts_stay_exact) {
  // Nominee counts of a province: exact integers; no rounding in the quotas.
  const std::vector<double> w{180000, 120001, 99999};
  const seats_t s = run(w, 300, apportion_method::largest_remainder);
  // Quotas 135.0, 90.00075, 74.99925: floors 135, 90, 74 and the last seat to group 2.
  EXPECT_EQ(s, (seats_t{135, 90, 75}));
  const std::vector<double> big{9007199254740991.0, 1.0};  // 2^53 - 1
  EXPECT_EQ(run(big, 2, apportion_method::largest_remainder), (seats_t{2, 0}));
  EXPECT_EQ(run(big, 2, apportion_method::dhondt), (seats_t{2, 0}));
}

TEST(apportion, many_seats_take_no_longer_than_few) {
  // The divisor methods jump to within about n seats of the answer before going one by one.
  const std::int64_t big = std::int64_t{3} << 40;
  EXPECT_EQ(run({2, 1}, big, apportion_method::dhondt), (seats_t{2 * (big / 3), big / 3}));
  EXPECT_EQ(run({2, 1}, big, apportion_method::sainte_lague), (seats_t{2 * (big / 3), big / 3}));
  EXPECT_EQ(run({2, 1}, big, apportion_method::largest_remainder),
            (seats_t{2 * (big / 3), big / 3}));
  const seats_t s =
      kh::apportion(std::vector<double>{5, 3, 1}, big + 1, apportion_method::sainte_lague,
                    seats_t{0, 0, 0}, seats_t{big, big / 4, big});
  EXPECT_EQ(s[0] + s[1] + s[2], big + 1);
  EXPECT_EQ(s[1], big / 4);
}

TEST(apportion, jump_start_agrees_with_seat_by_seat_on_random_inputs) {
  // Seat by seat from the minimums (the definition) against the library, many seats.
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int> groups(1, 9), weight(0, 1000), seat(0, 3000), bound(0, 40);
  for (int round = 0; round < 200; ++round) {
    const auto n = static_cast<std::size_t>(groups(rng));
    std::vector<double> w(n);
    for (double& x : w) x = weight(rng);
    w[0] += 1;
    const std::int64_t seats = seat(rng);
    seats_t lo(n), hi(n);
    for (std::size_t i = 0; i < n; ++i) {
      lo[i] = round % 2 == 0 ? 0 : bound(rng);
      hi[i] = round % 3 == 0 ? seats : lo[i] + 60 * bound(rng);
      if (w[i] == 0) hi[i] = lo[i];
    }
    const std::int64_t sum_lo = std::accumulate(lo.begin(), lo.end(), std::int64_t{0});
    std::int64_t sum_hi = 0;
    for (const auto h : hi) sum_hi += std::min(h, seats);
    if (sum_lo > seats || sum_hi < seats) continue;
    for (const bool sl : {false, true}) {
      seats_t want = lo;
      for (std::int64_t k = sum_lo; k < seats; ++k) {
        std::size_t best = n;
        for (std::size_t i = 0; i < n; ++i) {
          if (want[i] >= std::min(hi[i], seats) || w[i] == 0) continue;
          if (best == n) {
            best = i;
            continue;
          }
          const auto d = [&](std::int64_t s) { return sl ? 2 * s + 1 : s + 1; };
          const long double l = w[i] * static_cast<long double>(d(want[best]));
          const long double r = w[best] * static_cast<long double>(d(want[i]));
          if (l > r || (l == r && w[i] > w[best])) best = i;
        }
        ++want[best];
      }
      const auto m = sl ? apportion_method::sainte_lague : apportion_method::dhondt;
      EXPECT_EQ(kh::apportion(w, seats, m, lo, hi), want) << "round " << round;
    }
  }
}
