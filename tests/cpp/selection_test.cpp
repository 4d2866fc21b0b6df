#include "khuyenhoc/selection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>
#include <unordered_map>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/generate.hpp"
#include "khuyenhoc/run.hpp"
#include "test_pools.hpp"

using namespace khuyenhoc;

namespace {

const double missing = std::numeric_limits<double>::quiet_NaN();

// A small pool: ids, a district, a full name, a gpa.
pool tiny(const std::vector<std::string>& ids, const std::vector<std::string>& districts,
          const std::vector<std::string>& names = {}) {
  std::vector<column> cols;
  cols.push_back(column::text("id", ids));
  cols.push_back(column::text("district", districts));
  cols.push_back(column::text("full_name", names.empty() ? ids : names));
  return pool(std::move(cols), "id");
}

std::map<std::string, std::size_t> by_id(const selection& s) {
  std::map<std::string, std::size_t> m;
  for (std::size_t r = 0; r < s.size(); ++r) m[s.ids[r]] = r;
  return m;
}

}  // namespace

TEST(selection, global_top_k_and_tie_policies) {
  const auto p = tiny({"a", "b", "c", "d", "e"}, {"X", "X", "Y", "Y", "Y"});
  const std::vector<double> score{90, 85, 85, 80, 70};
  selection_policy pol;
  pol.seats = 2;
  auto s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.selected, (std::vector<std::uint8_t>{1, 1, 0, 0, 0}));  // b before c by id
  EXPECT_EQ(s.rank, (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s.status[2], selection_status::outside_quota);
  EXPECT_DOUBLE_EQ(s.gap[2], 0.0);
  EXPECT_DOUBLE_EQ(s.gap[3], 5.0);
  EXPECT_NE(s.reason[3].find("điểm chuẩn 85, thiếu 5"), std::string::npos) << s.reason[3];

  pol.ties = tie_policy::include;
  s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.selected, (std::vector<std::uint8_t>{1, 1, 1, 0, 0}));
  EXPECT_EQ(s.selected_count(), 3U);  // overshoot by one, reported in outcomes
  std::int64_t total = 0;
  for (const auto& o : s.outcomes) total += o.selected;
  EXPECT_EQ(total, 3);

  pol.ties = tie_policy::exclude;
  s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.selected, (std::vector<std::uint8_t>{1, 0, 0, 0, 0}));
  EXPECT_EQ(s.status[1], selection_status::tied_out);
  EXPECT_EQ(s.status[2], selection_status::tied_out);
}

TEST(selection, eligibility_minimum_and_missing_scores) {
  const auto p = tiny({"a", "b", "c", "d"}, {"X", "X", "X", "X"});
  const std::vector<double> score{95, 90, missing, 50};
  const std::vector<std::uint8_t> eligible{0, 1, 1, 1};
  const std::vector<std::string> reasons{"Hạnh kiểm Khá, cần Tốt", "", "", ""};
  selection_policy pol;
  pol.seats = 10;
  pol.min_score = 60;
  const auto s = select(make_selection_input(p, score, eligible, reasons, pol), pol);
  EXPECT_EQ(s.status[0], selection_status::ineligible);
  EXPECT_NE(s.reason[0].find("Hạnh kiểm Khá, cần Tốt"), std::string::npos);
  EXPECT_EQ(s.rank[0], 0U);
  EXPECT_EQ(s.status[1], selection_status::selected);
  EXPECT_EQ(s.rank[1], 1U);
  EXPECT_EQ(s.status[2], selection_status::no_score);
  EXPECT_EQ(s.status[3], selection_status::below_minimum);
  EXPECT_DOUBLE_EQ(s.gap[3], 10.0);
  EXPECT_NE(s.reason[3].find("thiếu 10"), std::string::npos) << s.reason[3];
}

TEST(selection, apportioned_quotas_per_group_with_cutoffs) {
  // Group sizes 6, 3, 1 and 5 seats by largest remainder: quotas 3, 1.5→2?, computed by
  // apportion(); check consistency with it rather than restating it.
  std::vector<std::string> ids, groups;
  std::vector<double> score;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(std::string("n").append(
        std::to_string(i)));  // not "n" + ...: GCC 12 -O3 -Wrestrict false positive
    groups.push_back(i < 6 ? "Lê Chân" : (i < 9 ? "Hồng Bàng" : "Đồ Sơn"));
    score.push_back(100 - i);
  }
  const auto p = tiny(ids, groups);
  selection_policy pol;
  pol.per = "district";
  pol.mode = quota_mode::apportion;
  pol.seats = 5;
  const auto s = select(make_selection_input(p, score, {}, {}, pol), pol);
  // Groups in Vietnamese order: Đồ Sơn, Hồng Bàng, Lê Chân.
  ASSERT_EQ(s.outcomes.size(), 3U);
  EXPECT_EQ(s.outcomes[0].group, "Đồ Sơn");
  const std::vector<double> w{1, 3, 6};
  const auto expected = apportion(w, 5, apportion_method::largest_remainder);
  for (std::size_t g = 0; g < 3; ++g) {
    EXPECT_EQ(s.outcomes[g].quota, expected[g]);
    EXPECT_EQ(s.outcomes[g].selected, expected[g]);
  }
  EXPECT_EQ(s.selected_count(), 5U);
  // Lê Chân's cut-off is its expected[2]-th best score.
  EXPECT_DOUBLE_EQ(s.outcomes[2].cutoff, 100 - static_cast<double>(expected[2] - 1));
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (!s.selected[r]) {
      EXPECT_EQ(s.status[r], selection_status::outside_quota);
    }
    EXPECT_GT(s.group_rank[r], 0U);
  }
}

TEST(selection, fixed_quotas_caps_and_cascade) {
  std::vector<std::string> ids, groups;
  std::vector<double> score;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(std::string("n").append(std::to_string(100 + i)));
    groups.push_back(i % 2 ? "A" : "B");
    score.push_back(50 + i);
  }
  const auto p = tiny(ids, groups);
  selection_policy pol;
  pol.per = "district";
  pol.mode = quota_mode::fixed;
  pol.fixed = {{"A", 4}, {"B", 1}};
  auto s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.selected_count(), 5U);
  pol.cap_share = 0.15;  // at most 15% of 10 nominees = 1 per group
  s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.selected_count(), 2U);
  pol.fixed = {{"C", 1}};
  EXPECT_THROW((void)select(make_selection_input(p, score, {}, {}, pol), pol), spec_error);

  selection_policy cascade;
  cascade.per = "district";
  cascade.mode = quota_mode::apportion;
  cascade.levels = {{.name = "Giải Nhất", .seats = 2}, {.name = "Giải Nhì", .seats = 4}};
  s = select(make_selection_input(p, score, {}, {}, cascade), cascade);
  EXPECT_EQ(s.selected_count(), 6U);
  auto ix = by_id(s);
  EXPECT_EQ(s.level[ix["n119"]], 0);  // best of A
  EXPECT_EQ(s.level[ix["n118"]], 0);  // best of B
  EXPECT_EQ(s.level[ix["n117"]], 1);
  EXPECT_EQ(s.level[ix["n100"]], -1);
  EXPECT_EQ(s.outcomes.size(), 4U);  // 2 levels x 2 groups
  EXPECT_NE(format_outcomes(s).find("Giải Nhì"), std::string::npos);
}

TEST(selection, tie_breakers_vietnamese_names_and_lottery) {
  const auto p =
      tiny({"1", "2", "3"}, {"X", "X", "X"}, {"Trần Văn Bình", "Nguyễn Thị Ánh", "Lê Văn An"});
  const std::vector<double> score{80, 80, 80};
  selection_policy pol;
  pol.seats = 1;
  pol.order = {parse_order_key("name:full_name")};
  auto s = select(make_selection_input(p, score, {}, {}, pol), pol);
  // Given name first: An < Ánh < Bình.
  EXPECT_EQ(s.rank, (std::vector<std::uint32_t>{3, 2, 1}));
  pol.order = {parse_order_key("name:full_name desc")};
  s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.rank, (std::vector<std::uint32_t>{1, 2, 3}));
  pol.order = {parse_order_key("lottery")};
  pol.seed = 42;
  s = select(make_selection_input(p, score, {}, {}, pol), pol);
  EXPECT_EQ(s.lottery_seed, 42U);
  EXPECT_EQ(s.selected_count(), 1U);
  EXPECT_THROW((void)parse_tie_policy("random"), spec_error);
  EXPECT_THROW((void)make_selection_input(
                   p, score, {}, {}, selection_policy{.order = {parse_order_key("full_name")}}),
               schema_error);
}

TEST(selection, every_row_accounted_for_and_shards_merge_exactly) {
  const auto p = generate_pool(20000, {.seed = 4});
  const auto gpa = p["gpa"].numbers();
  std::vector<double> score(gpa.begin(), gpa.end());  // includes missing values
  std::vector<std::uint8_t> eligible(p.size());
  std::vector<std::string> reasons(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) {
    eligible[r] = p["conduct"].category_at(r) == "Tốt";
    if (!eligible[r]) reasons[r] = "conduct";
  }
  selection_policy pol;
  pol.per = "district";
  pol.mode = quota_mode::apportion;
  pol.seats = 300;
  pol.min_score = 6.0;
  pol.order = {parse_order_key("exam_score desc"), parse_order_key("date_of_birth")};
  pol.ties = tie_policy::include;
  const auto whole = select(make_selection_input(p, score, eligible, reasons, pol), pol);
  ASSERT_EQ(whole.size(), p.size());
  const auto whole_csv = write_csv_text(to_pool(whole, "district"));

  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    // Shuffle rows and cut them into 1–4 shards; prepare each shard apart, then merge.
    std::vector<std::uint32_t> perm(p.size());
    std::iota(perm.begin(), perm.end(), 0U);
    std::shuffle(perm.begin(), perm.end(), rng);
    const int shards = 1 + trial % 4;
    std::vector<selection_input> parts;
    for (int k = 0; k < shards; ++k) {
      const auto b = perm.begin() + static_cast<std::ptrdiff_t>(perm.size() * k / shards);
      const auto e = perm.begin() + static_cast<std::ptrdiff_t>(perm.size() * (k + 1) / shards);
      std::vector<std::uint32_t> rows(b, e);
      const auto part = p.take(rows);
      std::vector<double> ps;
      std::vector<std::uint8_t> pe;
      std::vector<std::string> pr;
      for (auto r : rows) {
        ps.push_back(score[r]);
        pe.push_back(eligible[r]);
        pr.push_back(reasons[r]);
      }
      parts.push_back(make_selection_input(part, ps, pe, pr, pol));
    }
    const auto merged = select(concat(parts), pol);
    ASSERT_EQ(merged.size(), whole.size());
    const auto ix = by_id(merged);
    for (std::size_t r = 0; r < whole.size(); ++r) {
      const auto m = ix.at(whole.ids[r]);
      ASSERT_EQ(merged.rank[m], whole.rank[r]);
      ASSERT_EQ(merged.group_rank[m], whole.group_rank[r]);
      ASSERT_EQ(merged.selected[m], whole.selected[r]);
      ASSERT_EQ(merged.reason[m], whole.reason[r]);
    }
    ASSERT_EQ(merged.outcomes.size(), whole.outcomes.size());
    for (std::size_t g = 0; g < whole.outcomes.size(); ++g) {
      EXPECT_EQ(merged.outcomes[g].selected, whole.outcomes[g].selected);
      EXPECT_EQ(merged.outcomes[g].cutoff, whole.outcomes[g].cutoff);
    }
  }
  // Output rows = input rows, and each status is explained.
  std::size_t counted = 0;
  for (std::size_t r = 0; r < whole.size(); ++r) {
    counted += 1;
    EXPECT_FALSE(whole.reason[r].empty());
  }
  EXPECT_EQ(counted, p.size());
  EXPECT_GE(whole.selected_count(), 300U);  // ties included may overshoot
  EXPECT_FALSE(whole_csv.empty());
}

// Rows tied on the score and every key are ordered by id bytes. The ids here share their first
// 8 bytes in many ways (the sort radix-sorts on those and compares only the rest), differ in
// length and hold non-ASCII bytes; the lean input (ids read from the pool) and the full one agree.
TEST(selection, rows_tied_on_every_key_are_ordered_by_id_bytes) {
  std::mt19937 rng(5);
  const std::vector<std::string> stems = {"HS000000", "HS00000", "HS0000001", "Đỗ", "A", ""};
  std::vector<std::string> ids;
  for (int i = 0; i < 4000; ++i) {
    ids.push_back(stems[rng() % stems.size()] + std::to_string(rng() % 100000));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::shuffle(ids.begin(), ids.end(), rng);
  const auto p = tiny(ids, std::vector<std::string>(ids.size(), "Q1"));
  std::vector<double> score(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) score[r] = r % 3 == 0 ? 7.5 : 9.0;  // two big ties
  selection_policy pol;
  pol.seats = 50;
  run_spec spec;
  spec.policy = pol;
  const auto run = prepared_run::prepare(spec, p).execute(p, {.totals = score});
  for (const bool lean : {false, true}) {
    const auto s = lean ? run.outcome() : select(make_selection_input(p, score, {}, {}, pol), pol);
    std::vector<std::size_t> rows(p.size());
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = r;
    std::sort(rows.begin(), rows.end(),
              [&](std::size_t a, std::size_t b) { return s.rank[a] < s.rank[b]; });
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
      const auto a = rows[i], b = rows[i + 1];
      ASSERT_NE(s.rank[a], s.rank[b]);
      if (score[a] == score[b]) {
        ASSERT_LT(std::string(p.id(a)), std::string(p.id(b))) << "ranks " << s.rank[a];
      }
    }
  }
}

// Big runs tied on a coarse score, ordered on several encoded keys (collation keys of names
// that share long prefixes, a number, a lottery), as a comparison sort of the keys' bytes
// then the id orders them: the pipeline's radix passes over the keys and select() agree.
TEST(selection, big_tied_runs_follow_the_bytes_of_every_key_then_the_id) {
  const auto p = generate_pool(12000, {.seed = 3});
  std::vector<double> score(p.size());
  const auto& exam = p["exam_score"];
  for (std::size_t r = 0; r < p.size(); ++r) {
    score[r] = exam.is_valid(r) ? std::floor(exam.numbers()[r] / 4.0) : 1.0;  // few values
  }
  for (const auto& orders :
       std::vector<std::vector<std::string>>{{"name:full_name"},
                                             {"text:full_name", "exam_score desc"},
                                             {"district", "name:full_name"},
                                             {"lottery", "name:full_name"},
                                             {}}) {
    selection_policy pol;
    pol.seats = 200;
    pol.seed = 9;
    for (const auto& o : orders) pol.order.push_back(parse_order_key(o));
    if (!orders.empty() && orders[0] == "district") pol.order[0] = parse_order_key("text:district");
    const auto in = make_selection_input(p, score, {}, {}, pol);  // every key of every row
    std::vector<std::size_t> expected(p.size());
    for (std::size_t r = 0; r < p.size(); ++r) expected[r] = r;
    std::sort(expected.begin(), expected.end(), [&](std::size_t a, std::size_t b) {
      if (score[a] != score[b]) return score[a] > score[b];
      for (const auto& k : in.keys) {
        if (k[a] != k[b]) return k[a] < k[b];
      }
      return p.id(a) < p.id(b);
    });
    run_spec spec;
    spec.policy = pol;
    const auto run = prepared_run::prepare(spec, p).execute(p, {.totals = score});
    for (const bool lean : {false, true}) {
      const auto s = lean ? run.outcome() : select(in, pol);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        ASSERT_EQ(s.rank[expected[i]], i + 1) << "order " << orders.size() << " lean " << lean;
      }
    }
  }
}

// Keys made of arbitrary bytes (NUL and 0xFF included), of every length from 0 to 20, many
// of them prefixes of others and equal on their first 8 or 16 bytes: the order is the bytes'
// order, a prefix first, then the id.
TEST(selection, tie_breakers_ordered_as_bytes_with_prefixes_and_nul_bytes) {
  std::mt19937 rng(17);
  const std::size_t n = 6000;
  const std::string alphabet("\x00\x01a\xFF", 4);
  selection_input in;
  for (std::size_t r = 0; r < n; ++r) {
    in.ids.push_back("N" + std::to_string(rng() % 1000000) + "-" + std::to_string(r));
    in.groups.emplace_back();
    in.score.push_back(static_cast<double>(rng() % 3));
    in.eligible.push_back(1);
  }
  selection_policy pol;
  pol.seats = 100;
  for (int k = 0; k < 2; ++k) {
    pol.order.push_back(parse_order_key("text:k" + std::to_string(k)));
    std::vector<std::string> col(n);
    for (auto& key : col) {
      // Shared stems of 8 and 16 bytes, then a short random tail (often empty).
      const std::size_t stem = std::array<std::size_t, 4>{0, 7, 8, 16}[rng() % 4];
      key.assign(stem, 'x');
      const std::size_t tail = rng() % 4;
      for (std::size_t t = 0; t < tail; ++t) key += alphabet[rng() % alphabet.size()];
    }
    in.keys.push_back(std::move(col));
  }
  std::vector<std::size_t> expected(n);
  for (std::size_t r = 0; r < n; ++r) expected[r] = r;
  std::sort(expected.begin(), expected.end(), [&](std::size_t a, std::size_t b) {
    if (in.score[a] != in.score[b]) return in.score[a] > in.score[b];
    for (const auto& k : in.keys) {
      if (k[a] != k[b]) return k[a] < k[b];
    }
    return in.ids[a] < in.ids[b];
  });
  const auto s = select(in, pol);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(s.rank[expected[i]], i + 1) << i;
}

// Packed keys with a bit per row (only keyed rows have offsets) are read as the rows' keys,
// and bits or offsets that do not match the rows are refused.
TEST(selection, packed_keys_with_row_bits) {
  const std::size_t n = 130;  // three 64-row words, the last partial
  selection_input in;
  for (std::size_t r = 0; r < n; ++r) {
    in.ids.push_back("R" + std::to_string(1000 + r));
    in.groups.emplace_back();
    in.score.push_back(r % 2 == 0 ? 5.0 : static_cast<double>(r));  // even rows tie
    in.eligible.push_back(1);
  }
  selection_policy pol;
  pol.seats = 10;
  pol.order = {parse_order_key("text:k")};
  selection_input::packed_key packed;
  packed.present.assign(3, 0);
  packed.present_before.assign(3, 0);
  packed.offsets.push_back(0);
  for (std::size_t r = 0; r < n; ++r) {
    if (r % 64 == 0 && r != 0) {
      packed.present_before[r / 64] = static_cast<std::uint32_t>(packed.offsets.size() - 1);
    }
    if (r % 2 != 0) continue;
    packed.present[r / 64] |= std::uint64_t{1} << (r % 64);
    packed.bytes += static_cast<char>('z' - static_cast<char>(r % 26));  // reverses the ids' order
    packed.offsets.push_back(packed.bytes.size());
  }
  in.packed_keys.push_back(packed);
  const auto s = select(in, pol);
  // The tied (even) rows by key: 'z' - r % 26 ascending, i.e. r % 26 descending, then id.
  std::vector<std::size_t> even;
  for (std::size_t r = 0; r < n; r += 2) even.push_back(r);
  std::sort(even.begin(), even.end(), [](std::size_t a, std::size_t b) {
    return a % 26 != b % 26 ? a % 26 > b % 26 : a < b;
  });
  for (std::size_t i = 1; i < even.size(); ++i) EXPECT_LT(s.rank[even[i - 1]], s.rank[even[i]]);
  auto bad = in;
  bad.packed_keys[0].present[2] |= std::uint64_t{1} << 10;  // a row past the end
  EXPECT_THROW((void)select(bad, pol), spec_error);
  bad = in;
  bad.packed_keys[0].present_before[1] += 1;
  EXPECT_THROW((void)select(bad, pol), spec_error);
  bad = in;
  bad.packed_keys[0].offsets.pop_back();
  EXPECT_THROW((void)select(bad, pol), spec_error);
}

// With keys_where_tied, key k is encoded for exactly the ranked rows (eligible, with a total)
// that share the total and keys 0..k-1 with another ranked row; the others' keys stay empty.
// The pool spans several chunks of rows and enough tied rows to be split into many parts
// while classes are found; a map of every row's full keys is the oracle.
TEST(selection, keys_are_encoded_exactly_where_rows_tie) {
  auto p = generate_pool(140000, {.seed = 8});
  // The generated names are a text column; the same names as a category column too.
  p = khuyenhoc::testing::with_names_as_category(p);
  std::vector<double> score(p.size());
  std::vector<std::uint8_t> eligible(p.size());
  const auto& exam = p["exam_score"];
  for (std::size_t r = 0; r < p.size(); ++r) {
    score[r] = r % 97 == 0 ? missing : exam.is_valid(r) ? std::floor(exam.numbers()[r]) / 3 : 2.0;
    eligible[r] = r % 5 != 0 ? 1 : 0;
  }
  selection_policy pol;
  pol.seats = 100;
  pol.seed = 3;
  pol.order = {parse_order_key("gpa desc"), parse_order_key("name:full_name"),
               parse_order_key("text:name_category desc"), parse_order_key("lottery")};
  const auto full = make_selection_input(p, score, eligible, {}, pol);
  const auto lazy = make_selection_input(p, score, eligible, {}, pol, {}, true);
  ASSERT_EQ(lazy.keys.size(), pol.order.size());
  std::vector<std::string> prefix(p.size());
  std::size_t encoded = 0;
  for (std::size_t k = 0; k < pol.order.size(); ++k) {
    std::unordered_map<std::string, std::size_t> rows_with;
    for (std::size_t r = 0; r < p.size(); ++r) {
      if (k == 0) {
        const double s = lazy.score[r];
        prefix[r].assign(reinterpret_cast<const char*>(&s), sizeof s);
      } else {
        prefix[r] += std::to_string(full.keys[k - 1][r].size()) + ':' + full.keys[k - 1][r];
      }
      if (lazy.eligible[r] && !std::isnan(lazy.score[r])) ++rows_with[prefix[r]];
    }
    for (std::size_t r = 0; r < p.size(); ++r) {
      const bool tied = lazy.eligible[r] && !std::isnan(lazy.score[r]) && rows_with[prefix[r]] > 1;
      ASSERT_EQ(lazy.keys[k][r], tied ? full.keys[k][r] : std::string())
          << "key " << k << " row " << r;
      encoded += tied ? 1 : 0;
    }
  }
  EXPECT_GT(encoded, 10000U);
}
