// Tests of ranking.hpp: pandas-compatible rank (checked against a from-the-definition
// reference on random data with many ties and NaNs), grouped rank, multi-key total orders,
// top-k per group, and the seeded lottery.
#include <khuyenhoc/ranking.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kh = khuyenhoc;

namespace {

constexpr double na_n = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

constexpr kh::rank_method all_methods[] = {kh::rank_method::average, kh::rank_method::min,
                                           kh::rank_method::max, kh::rank_method::first,
                                           kh::rank_method::dense};
constexpr kh::na_option all_na[] = {kh::na_option::keep, kh::na_option::top, kh::na_option::bottom};

// Rank from the definition, O(n^2): count the rows that come before row i.
std::vector<double> reference_rank(const std::vector<double>& v, kh::rank_method method,
                                   bool ascending, kh::na_option na) {
  const std::size_t n = v.size();
  // before(a, b): a sorts strictly before b; NaN placement per na (keep: last, not ranked).
  const auto before = [&](std::size_t a, std::size_t b) {
    const bool na_a = std::isnan(v[a]);
    const bool na_b = std::isnan(v[b]);
    if (na_a || na_b) {
      if (na_a && na_b) return false;
      return na == kh::na_option::top ? na_a : na_b;
    }
    return ascending ? v[a] < v[b] : v[a] > v[b];
  };
  const auto tie = [&](std::size_t a, std::size_t b) { return !before(a, b) && !before(b, a); };
  // A row opens its tie class if no earlier row ties with it; dense rank counts the classes
  // that come before.
  std::vector<char> opens(n, 1);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t k = 0; k < j && opens[j]; ++k) {
      if (tie(k, j)) opens[j] = 0;
    }
  }
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (na == kh::na_option::keep && std::isnan(v[i])) {
      out[i] = na_n;
      continue;
    }
    std::size_t less = 0, equal = 0, equal_before = 0, classes_before = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (before(j, i)) {
        ++less;
        if (opens[j]) ++classes_before;
      } else if (tie(j, i)) {
        ++equal;
        if (j < i) ++equal_before;
      }
    }
    switch (method) {
      case kh::rank_method::average: {
        long long sum = 0;
        for (std::size_t r = less + 1; r <= less + equal; ++r) sum += static_cast<long long>(r);
        out[i] = static_cast<double>(sum) / static_cast<double>(equal);
        break;
      }
      case kh::rank_method::min:
        out[i] = static_cast<double>(less + 1);
        break;
      case kh::rank_method::max:
        out[i] = static_cast<double>(less + equal);
        break;
      case kh::rank_method::first:
        out[i] = static_cast<double>(less + equal_before + 1);
        break;
      case kh::rank_method::dense:
        out[i] = static_cast<double>(classes_before + 1);
        break;
    }
  }
  return out;
}

// Bitwise equality, NaN equal to NaN.
void expect_same(const std::vector<double>& got, const std::vector<double>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " row " << i;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(want[i]))
          << what << " row " << i << ": got " << got[i] << ", want " << want[i];
    }
  }
}

// Random values from a small pool (many ties), with NaN, ±inf and ±0.
std::vector<double> tie_heavy(std::size_t n, std::mt19937_64& rng) {
  const double pool[] = {na_n, inf, -inf, 0.0, -0.0, 1.5, -2.25, 7.0, 1e300, -1e-300, 3.0};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pool) - 1);
  std::vector<double> v(n);
  for (double& x : v) x = pool[pick(rng)];
  return v;
}

std::string name(kh::rank_method m, bool asc, kh::na_option na) {
  return "method " + std::to_string(static_cast<int>(m)) + (asc ? " asc" : " desc") + " na " +
         std::to_string(static_cast<int>(na));
}

}  // namespace

TEST(ranking_rank, matches_pandas_on_a_worked_example) {
  // pandas 3.1: pd.Series(v).rank(method=..., ascending=..., na_option=...).
  const std::vector<double> v{2.0, 1.0, 2.0, na_n, 1.0, na_n, inf, -inf, -0.0, 0.0};
  using m = kh::rank_method;
  expect_same(kh::rank(v, m::first, true, kh::na_option::bottom), {6, 4, 7, 9, 5, 10, 8, 1, 2, 3},
              "first asc bottom");
  expect_same(kh::rank(v, m::first, false, kh::na_option::bottom), {2, 4, 3, 9, 5, 10, 1, 8, 6, 7},
              "first desc bottom");
  expect_same(kh::rank(v, m::first, false, kh::na_option::top), {4, 6, 5, 1, 7, 2, 3, 10, 8, 9},
              "first desc top");
  expect_same(kh::rank(v, m::average, true, kh::na_option::bottom),
              {6.5, 4.5, 6.5, 9.5, 4.5, 9.5, 8, 1, 2.5, 2.5}, "average asc bottom");
  expect_same(kh::rank(v, m::average, false, kh::na_option::keep),
              {2.5, 4.5, 2.5, na_n, 4.5, na_n, 1, 8, 6.5, 6.5}, "average desc keep");
  expect_same(kh::rank(v, m::min, true, kh::na_option::top), {8, 6, 8, 1, 6, 1, 10, 3, 4, 4},
              "min asc top");
  expect_same(kh::rank(v, m::max, false, kh::na_option::bottom), {3, 5, 3, 10, 5, 10, 1, 8, 7, 7},
              "max desc bottom");
  expect_same(kh::rank(v, m::dense, true, kh::na_option::bottom), {4, 3, 4, 6, 3, 6, 5, 1, 2, 2},
              "dense asc bottom");
  expect_same(kh::rank(v, m::dense, false, kh::na_option::keep),
              {2, 3, 2, na_n, 3, na_n, 1, 5, 4, 4}, "dense desc keep");
}

TEST(ranking_rank, issue_examples) {
  const std::vector<double> v{10, 20, 20, 30};
  using m = kh::rank_method;
  expect_same(kh::rank(v, m::min), {1, 2, 2, 4}, "min");
  expect_same(kh::rank(v, m::dense), {1, 2, 2, 3}, "dense");
  expect_same(kh::rank(v, m::first), {1, 2, 3, 4}, "first");
  expect_same(kh::rank(v, m::average), {1, 2.5, 2.5, 4}, "average");
  expect_same(kh::rank(v, m::max), {1, 3, 3, 4}, "max");
}

TEST(ranking_rank, empty_and_single) {
  EXPECT_TRUE(kh::rank(std::vector<double>{}).empty());
  expect_same(kh::rank(std::vector<double>{na_n}, kh::rank_method::min, true, kh::na_option::keep),
              {na_n}, "single na_n keep");
  expect_same(kh::rank(std::vector<double>{na_n}), {1}, "single na_n bottom");
}

TEST(ranking_rank, matches_reference_on_random_small_inputs) {
  std::mt19937_64 rng(20241002);
  for (int round = 0; round < 60; ++round) {
    const std::size_t n = static_cast<std::size_t>(round) % 40;
    const std::vector<double> v = tie_heavy(n, rng);
    for (const auto m : all_methods) {
      for (const bool asc : {true, false}) {
        for (const auto na : all_na) {
          expect_same(kh::rank(v, m, asc, na), reference_rank(v, m, asc, na), name(m, asc, na));
        }
      }
    }
  }
}

TEST(ranking_rank, matches_reference_above_the_radix_threshold) {
  // Large enough for the radix path (several digits non-constant: random doubles too).
  std::mt19937_64 rng(7);
  std::vector<double> v = tie_heavy(1500, rng);
  std::normal_distribution<double> normal(0, 1e6);
  for (std::size_t i = 0; i < v.size(); i += 3) v[i] = normal(rng);
  for (const auto m : all_methods) {
    for (const bool asc : {true, false}) {
      for (const auto na : all_na) {
        expect_same(kh::rank(v, m, asc, na), reference_rank(v, m, asc, na), name(m, asc, na));
      }
    }
  }
}

TEST(ranking_rank, output_span_size_is_checked) {
  std::vector<double> v{1, 2, 3};
  std::vector<double> out(2);
  EXPECT_THROW(kh::rank(v, out, kh::rank_method::min), kh::spec_error);
}

TEST(ranking_rank, parse_names) {
  EXPECT_EQ(kh::parse_rank_method("dense"), kh::rank_method::dense);
  EXPECT_EQ(kh::parse_na_option("keep"), kh::na_option::keep);
  EXPECT_THROW((void)kh::parse_rank_method("ordinal"), kh::spec_error);
  EXPECT_THROW((void)kh::parse_na_option("last"), kh::spec_error);
}

TEST(ranking_rank_within_groups, matches_per_group_reference) {
  std::mt19937_64 rng(11);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{37}, std::size_t{900}}) {
    const std::vector<double> v = tie_heavy(n, rng);
    std::vector<std::int32_t> g(n);
    std::uniform_int_distribution<std::int32_t> pick(-1, 6);
    for (auto& x : g) x = pick(rng);
    for (const auto m : all_methods) {
      for (const bool asc : {true, false}) {
        for (const auto na : all_na) {
          const std::vector<double> got = kh::rank_within_groups(v, g, m, asc, na);
          std::vector<double> want(n, na_n);
          for (std::int32_t code = 0; code <= 6; ++code) {
            std::vector<double> sub;
            std::vector<std::size_t> at;
            for (std::size_t i = 0; i < n; ++i) {
              if (g[i] == code) {
                sub.push_back(v[i]);
                at.push_back(i);
              }
            }
            const std::vector<double> r = reference_rank(sub, m, asc, na);
            for (std::size_t i = 0; i < at.size(); ++i) want[at[i]] = r[i];
          }
          expect_same(got, want, name(m, asc, na) + " n " + std::to_string(n));
        }
      }
    }
  }
}

TEST(ranking_rank_within_groups, pandas_worked_example) {
  // df.groupby('g')['v'].rank(method='first', ascending=False, na_option='bottom')
  const std::vector<double> v{2.0, 1.0, 2.0, na_n, 1.0, na_n, inf, -inf, -0.0, 0.0};
  const std::vector<std::int32_t> g{0, 1, 0, -1, 1, 0, 1, 0, 0, 1};
  expect_same(kh::rank_within_groups(v, g, kh::rank_method::first, false, kh::na_option::bottom),
              {1, 2, 2, na_n, 3, 5, 1, 4, 3, 4}, "grouped first desc");
}

TEST(ranking_rank_within_groups, rejects_bad_codes_and_sizes) {
  const std::vector<double> v{1, 2};
  EXPECT_THROW((void)kh::rank_within_groups(v, std::vector<std::int32_t>{0, -2}), kh::spec_error);
  EXPECT_THROW((void)kh::rank_within_groups(v, std::vector<std::int32_t>{0}), kh::spec_error);
}

TEST(ranking_encode, preserves_order_of_special_values) {
  const std::vector<double> ascending{-inf, -1e308, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e308, inf};
  for (std::size_t i = 1; i < ascending.size(); ++i) {
    EXPECT_LT(kh::detail::encode_double(ascending[i - 1]), kh::detail::encode_double(ascending[i]));
  }
  EXPECT_EQ(kh::detail::encode_double(-0.0), kh::detail::encode_double(0.0));
  const auto dsc = kh::sort_direction::descending;
  EXPECT_EQ(kh::detail::double_key(na_n, dsc, kh::na_option::bottom),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_LT(kh::detail::double_key(-inf, dsc, kh::na_option::bottom),
            kh::detail::double_key(na_n, dsc, kh::na_option::bottom));
  EXPECT_GT(kh::detail::double_key(inf, dsc, kh::na_option::top),
            kh::detail::double_key(na_n, dsc, kh::na_option::top));
  EXPECT_LT(kh::detail::encode_int64(std::numeric_limits<std::int64_t>::min()),
            kh::detail::encode_int64(-1));
  EXPECT_LT(kh::detail::encode_int64(-1), kh::detail::encode_int64(0));
}

namespace {

// A table of nominees in the issue's shape: score desc, indicator desc, birth day asc, name
// asc (bytes), id asc.
struct table {
  std::vector<double> score, indicator;
  std::vector<std::int64_t> birth;
  std::vector<std::string> name, id;
};

table make_table(std::size_t n, std::mt19937_64& rng) {
  table t;
  std::uniform_int_distribution<int> s(0, 20), b(0, 5), c(0, 3);
  const char* names[] = {"An", "Bình", "Chi", "Dũng"};
  for (std::size_t i = 0; i < n; ++i) {
    t.score.push_back(s(rng) == 0 ? na_n : s(rng) / 2.0);
    t.indicator.push_back(static_cast<double>(c(rng)));
    t.birth.push_back(b(rng) - 2);
    t.name.emplace_back(names[c(rng)]);
    t.id.push_back("HS" + std::to_string(100000 + i * 7919 % 100003));
  }
  return t;
}

kh::sort_keys keys_of(const table& t, const std::vector<std::size_t>& perm) {
  const std::size_t n = perm.size();
  std::vector<double> score(n), indicator(n);
  std::vector<std::int64_t> birth(n);
  std::vector<std::string_view> name(n), id(n);
  for (std::size_t i = 0; i < n; ++i) {
    score[i] = t.score[perm[i]];
    indicator[i] = t.indicator[perm[i]];
    birth[i] = t.birth[perm[i]];
    name[i] = t.name[perm[i]];
    id[i] = t.id[perm[i]];
  }
  kh::sort_keys k(n);
  k.add(std::span<const double>(score), kh::sort_direction::descending)
      .add(std::span<const double>(indicator), kh::sort_direction::descending)
      .add(std::span<const std::int64_t>(birth), kh::sort_direction::ascending)
      .add(std::span<const std::string_view>(name), kh::sort_direction::ascending)
      .add(std::span<const std::string_view>(id), kh::sort_direction::ascending);
  return k;
}

bool reference_before(const table& t, std::size_t a, std::size_t b) {
  const auto cmp_desc = [](double x, double y) -> int {  // NaN last
    if (std::isnan(x) || std::isnan(y))
      return std::isnan(x) == std::isnan(y) ? 0 : (std::isnan(x) ? 1 : -1);
    return x > y ? -1 : (x < y ? 1 : 0);
  };
  if (int c = cmp_desc(t.score[a], t.score[b]); c != 0) return c < 0;
  if (int c = cmp_desc(t.indicator[a], t.indicator[b]); c != 0) return c < 0;
  if (t.birth[a] != t.birth[b]) return t.birth[a] < t.birth[b];
  if (t.name[a] != t.name[b]) return t.name[a] < t.name[b];
  return t.id[a] < t.id[b];
}

}  // namespace

TEST(ranking_order, multi_key_total_order_matches_reference_and_ignores_input_order) {
  std::mt19937_64 rng(3);
  for (const std::size_t n : {std::size_t{1}, std::size_t{50}, std::size_t{3000}}) {
    const table t = make_table(n, rng);
    std::vector<std::size_t> ident(n);
    std::iota(ident.begin(), ident.end(), std::size_t{0});
    std::vector<std::size_t> want = ident;
    std::sort(want.begin(), want.end(),
              [&](std::size_t a, std::size_t b) { return reference_before(t, a, b); });
    for (int shuffle = 0; shuffle < 3; ++shuffle) {
      std::vector<std::size_t> perm = ident;
      if (shuffle > 0) std::shuffle(perm.begin(), perm.end(), rng);
      const std::vector<std::uint32_t> got = kh::order(keys_of(t, perm));
      ASSERT_EQ(got.size(), n);
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(t.id[perm[got[i]]], t.id[want[i]]) << i;
    }
  }
}

TEST(ranking_order, rejects_a_non_total_order) {
  const std::vector<double> v{1, 2, 1};
  kh::sort_keys k(3);
  k.add(std::span<const double>(v), kh::sort_direction::ascending);
  try {
    (void)kh::order(k);
    FAIL() << "expected data_error";
  } catch (const kh::data_error& e) {
    EXPECT_NE(std::string(e.what()).find("rows 0 and 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)kh::order(kh::sort_keys(3)), kh::spec_error);
  const std::vector<double> short_key{1};
  EXPECT_THROW(k.add(std::span<const double>(short_key), kh::sort_direction::ascending),
               kh::spec_error);
}

TEST(ranking_order, bytes_key_is_unsigned_lexicographic_and_descending_works) {
  const std::vector<std::string> s{"b", "a", "\xc3\xa1", "ab", ""};
  std::vector<std::string_view> sv(s.begin(), s.end());
  kh::sort_keys asc(5);
  asc.add(std::span<const std::string_view>(sv), kh::sort_direction::ascending);
  EXPECT_EQ(kh::order(asc), (std::vector<std::uint32_t>{4, 1, 3, 0, 2}));
  kh::sort_keys desc(5);
  desc.add(std::span<const std::string_view>(sv), kh::sort_direction::descending);
  EXPECT_EQ(kh::order(desc), (std::vector<std::uint32_t>{2, 0, 3, 1, 4}));
  const std::vector<std::uint64_t> u{5, 1, 9, 0, 2};
  kh::sort_keys uk(5);
  uk.add(std::span<const std::uint64_t>(u), kh::sort_direction::descending);
  EXPECT_EQ(kh::order(uk), (std::vector<std::uint32_t>{2, 0, 4, 1, 3}));
}

TEST(ranking_order_within_groups, matches_global_order_filtered_by_group) {
  std::mt19937_64 rng(5);
  const std::size_t n = 2000;
  const table t = make_table(n, rng);
  std::vector<std::size_t> ident(n);
  std::iota(ident.begin(), ident.end(), std::size_t{0});
  const kh::sort_keys k = keys_of(t, ident);
  std::vector<std::int32_t> g(n);
  std::uniform_int_distribution<std::int32_t> pick(-1, 4);
  for (auto& x : g) x = pick(rng);
  const kh::grouped_rows got = kh::order_within_groups(k, g, 5);
  const std::vector<std::uint32_t> all = kh::order(k);
  ASSERT_EQ(got.groups(), 5u);
  for (std::size_t code = 0; code < 5; ++code) {
    std::vector<std::uint32_t> want;
    for (const std::uint32_t r : all) {
      if (g[r] == static_cast<std::int32_t>(code)) want.push_back(r);
    }
    const auto grp = got.group(code);
    EXPECT_EQ(std::vector<std::uint32_t>(grp.begin(), grp.end()), want) << code;
  }
  EXPECT_THROW((void)kh::order_within_groups(k, g, 3), kh::spec_error);
}

TEST(ranking_top_k_per_group, equals_the_prefix_of_the_group_order) {
  std::mt19937_64 rng(9);
  const std::size_t n = 5000;
  const table t = make_table(n, rng);
  std::vector<std::size_t> ident(n);
  std::iota(ident.begin(), ident.end(), std::size_t{0});
  const kh::sort_keys k = keys_of(t, ident);
  std::vector<std::int32_t> g(n);
  std::uniform_int_distribution<std::int32_t> pick(-1, 5);
  for (auto& x : g) x = pick(rng);
  g[0] = 5;  // make sure group 5 is not empty; group 6 stays empty
  const std::vector<std::int64_t> ks{0, 1, 10, 400, 100000, 3, 4};  // heap and nth_element paths
  const kh::grouped_rows top = kh::top_k_per_group(k, g, ks);
  const kh::grouped_rows full = kh::order_within_groups(k, g, ks.size());
  ASSERT_EQ(top.groups(), ks.size());
  for (std::size_t code = 0; code < ks.size(); ++code) {
    const auto all = full.group(code);
    const std::size_t take = std::min(all.size(), static_cast<std::size_t>(ks[code]));
    const auto sel = top.group(code);
    EXPECT_EQ(
        std::vector<std::uint32_t>(sel.begin(), sel.end()),
        std::vector<std::uint32_t>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(take)))
        << code;
  }
  const kh::grouped_rows same = kh::top_k_per_group(k, g, ks.size(), 7);
  for (std::size_t code = 0; code < ks.size(); ++code) {
    EXPECT_EQ(same.group(code).size(), std::min<std::size_t>(7, full.group(code).size()));
  }
}

TEST(ranking_top_k_per_group, detects_ties_at_the_cut) {
  const std::vector<double> v{3, 2, 2, 1};
  const std::vector<std::int32_t> g{0, 0, 0, 0};
  kh::sort_keys k(4);
  k.add(std::span<const double>(v), kh::sort_direction::descending);
  EXPECT_NO_THROW((void)kh::top_k_per_group(k, g, 1, 1));
  EXPECT_THROW((void)kh::top_k_per_group(k, g, 1, 2), kh::data_error);  // cut between ties
  EXPECT_THROW((void)kh::top_k_per_group(k, g, 1, 3), kh::data_error);  // ties inside
  EXPECT_THROW((void)kh::top_k_per_group(k, g, 1, -1), kh::spec_error);
}

TEST(ranking_lottery, is_a_deterministic_order_independent_permutation) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back("HS" + std::to_string(i));
  std::vector<std::string_view> views(ids.begin(), ids.end());
  const std::vector<std::uint64_t> a = kh::lottery_keys(views, 42);
  const std::vector<std::uint64_t> b = kh::lottery_keys(views, 42);
  const std::vector<std::uint64_t> c = kh::lottery_keys(views, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // A row's key depends on its id and the seed only.
  std::vector<std::string_view> reversed(views.rbegin(), views.rend());
  const std::vector<std::uint64_t> r = kh::lottery_keys(reversed, 42);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(r[ids.size() - 1 - i], a[i]);
  // Distinct ids, distinct keys here: the order by lottery key alone is total.
  kh::sort_keys k(ids.size());
  k.add(std::span<const std::uint64_t>(a), kh::sort_direction::ascending);
  const std::vector<std::uint32_t> o = kh::order(k);
  EXPECT_FALSE(std::is_sorted(o.begin(), o.end()));  // a real shuffle
  // Pinned values: a recorded seed must give the same draw in every later version.
  EXPECT_EQ(kh::splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(kh::id_hash(""), kh::splitmix64(0xcbf29ce484222325ULL));
}

TEST(ranking_radix_sort, large_inputs_match_a_stable_sort_for_many_distributions) {
  // Sizes past the MSD threshold (65536), with keys that are random, clustered in one MSD
  // bucket, two-valued, and spread over the whole 64-bit range.
  std::mt19937_64 rng(13);
  const std::size_t n = 200'000;
  for (int shape = 0; shape < 7; ++shape) {
    kh::detail::sort_buffers b(n);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> want(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t k = rng();
      if (shape == 1) k = (std::uint64_t{1} << 40) + (k & 0xffff);  // one bucket
      if (shape == 2) k = (k & 1) != 0 ? ~std::uint64_t{0} : 0;     // two values
      if (shape == 3) k = k % 1000;                                 // many ties
      if (shape == 4)
        k = kh::detail::encode_double(std::round(std::ldexp(static_cast<double>(k % 10000), -2)));
      b.keys[i] = k;
      b.rows[i] = static_cast<std::uint32_t>(n - 1 - i);
      want[i] = {k, static_cast<std::uint32_t>(n - 1 - i)};
    }
    std::stable_sort(want.begin(), want.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    kh::detail::radix_sort_pairs(b, n);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(b.keys[i], want[i].first) << "shape " << shape << " at " << i;
      ASSERT_EQ(b.rows[i], want[i].second) << "shape " << shape << " at " << i;
    }
  }
}

TEST(ranking_rank, large_input_matches_a_sort_based_reference) {
  // 300,000 rows (the MSD path), checked against ranks computed from std::stable_sort.
  std::mt19937_64 rng(17);
  const std::size_t n = 300'000;
  std::vector<double> v(n);
  std::normal_distribution<double> normal(70, 10);
  for (double& x : v) x = std::round(normal(rng) * 10) / 10;
  for (std::size_t i = 0; i < n; i += 97) v[i] = na_n;
  for (const bool asc : {true, false}) {
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      if (std::isnan(v[a]) || std::isnan(v[b])) return !std::isnan(v[a]) && std::isnan(v[b]);
      return asc ? v[a] < v[b] : v[a] > v[b];
    });
    std::vector<double> first(n), mn(n), avg(n);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      const auto same = [&](std::size_t a, std::size_t b) {
        return (std::isnan(v[a]) && std::isnan(v[b])) || v[a] == v[b];
      };
      while (j < n && same(idx[i], idx[j])) ++j;
      for (std::size_t t = i; t < j; ++t) {
        first[idx[t]] = static_cast<double>(t + 1);
        mn[idx[t]] = static_cast<double>(i + 1);
        avg[idx[t]] = static_cast<double>(i + 1 + j) / 2;
      }
      i = j;
    }
    expect_same(kh::rank(v, kh::rank_method::first, asc), first, "first");
    expect_same(kh::rank(v, kh::rank_method::min, asc), mn, "min");
    expect_same(kh::rank(v, kh::rank_method::average, asc), avg, "average");
  }
}

TEST(ranking_top_k_per_group, detects_ties_at_the_cut_of_a_streamed_group) {
  // 100 rows, k small enough for the bounded-heap path; rows 40 and 70 tie for 2nd place.
  std::vector<double> v(100);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  v[40] = 98.5;
  v[70] = 98.5;
  const std::vector<std::int32_t> g(100, 0);
  kh::sort_keys k(100);
  k.add(std::span<const double>(v), kh::sort_direction::descending);
  const kh::grouped_rows one = kh::top_k_per_group(k, g, 1, 1);
  EXPECT_EQ(std::vector<std::uint32_t>(one.rows), (std::vector<std::uint32_t>{99}));
  EXPECT_THROW((void)kh::top_k_per_group(k, g, 1, 2), kh::data_error);  // tie at the cut
  EXPECT_THROW((void)kh::top_k_per_group(k, g, 1, 3), kh::data_error);  // tie inside
  // Ties among rows left out do not matter.
  v[40] = 40;
  v[70] = 70;
  v[10] = 5.5;
  v[20] = 5.5;
  kh::sort_keys low(100);
  low.add(std::span<const double>(v), kh::sort_direction::descending);
  const kh::grouped_rows four = kh::top_k_per_group(low, g, 1, 4);
  EXPECT_EQ(std::vector<std::uint32_t>(four.rows), (std::vector<std::uint32_t>{99, 98, 97, 96}));
}

TEST(ranking_rank_within_groups, sparse_codes_are_renumbered) {
  const std::vector<double> v{5, 1, 3, 2, 4};
  const std::vector<std::int32_t> sparse{2000000000, 7, 2000000000, -1, 7};
  const std::vector<std::int32_t> dense{1, 0, 1, -1, 0};
  expect_same(kh::rank_within_groups(v, sparse), kh::rank_within_groups(v, dense), "sparse");
  expect_same(kh::rank_within_groups(v, dense), {2, 1, 1, na_n, 2}, "dense");
}

TEST(ranking_rank, compact_and_stable_paths_agree_bit_for_bit) {
  // The compact path (8 bytes of scratch per row: in-place, unstable radix sort, ranks packed
  // with the rows) and the stable sort used from 2^31 rows on, on data with many ties, NaNs,
  // infinities, signed zeros, and rows outside every group.
  std::mt19937_64 rng(23);
  const std::size_t n = 150'000;
  std::vector<double> v(n);
  std::vector<std::int32_t> g(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = rng() % 1000;
    v[i] = r == 0   ? na_n
           : r == 1 ? inf
           : r == 2 ? -inf
           : r == 3 ? -0.0
                    : static_cast<double>(r % 97);
    g[i] = static_cast<std::int32_t>(rng() % 5) - 1;
  }
  const auto group_of = [&](std::size_t i) { return g[i]; };
  for (const auto method : all_methods) {
    for (const auto na : all_na) {
      for (const auto dir : {kh::sort_direction::ascending, kh::sort_direction::descending}) {
        std::vector<double> a(n), b(n), c(n), d(n);
        kh::detail::rank_compact(std::span<const double>(v), c, method, dir, na);
        kh::detail::rank_groups_stable(
            std::span<const double>(v), [](std::size_t) { return std::int32_t{0}; }, 1, d, method,
            dir, na);
        kh::detail::rank_groups_compact(std::span<const double>(v), group_of, 4, a, method, dir,
                                        na);
        kh::detail::rank_groups_stable(std::span<const double>(v), group_of, 4, b, method, dir, na);
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(std::bit_cast<std::uint64_t>(a[i]), std::bit_cast<std::uint64_t>(b[i]))
              << "row " << i << " method " << static_cast<int>(method);
          ASSERT_EQ(std::bit_cast<std::uint64_t>(c[i]), std::bit_cast<std::uint64_t>(d[i]))
              << "ungrouped, row " << i << " method " << static_cast<int>(method);
        }
      }
    }
  }
}
