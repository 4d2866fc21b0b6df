#include "khuyenhoc/pool.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace khuyenhoc;

namespace {

pool small_pool() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<column> cols;
  cols.push_back(column::text("id", {"A", "B", "C"}));
  cols.push_back(column::number("điểm", buffer<double>(std::vector<double>{9.0, nan, 7.5})));
  cols.push_back(column::integer(
      "grade", buffer<std::int64_t>(std::vector<std::int64_t>{12, 11, 0}), {1, 1, 0}));
  cols.push_back(column::category("district", {0, 1, -1}, {"Hồng Bàng", "Lê Chân"}));
  cols.push_back(
      column::category_list("prizes", {0, 2, 2, 3}, {0, 1, 0}, {"Quốc gia", "Tỉnh"}, {1, 1, 1}));
  cols.push_back(column::boolean("orphan", {0, 1, 0}));
  cols.push_back(column::date("dob", {0, 365, 0}, {1, 1, 0}));
  return pool(std::move(cols), "id");
}

}  // namespace

TEST(pool, basic_access) {
  const auto p = small_pool();
  EXPECT_EQ(p.size(), 3U);
  EXPECT_EQ(p.column_count(), 7U);
  EXPECT_EQ(p.id(1), "B");
  EXPECT_EQ(p.row_of("C"), 2U);
  EXPECT_FALSE(p.row_of("Z").has_value());
  EXPECT_EQ(p["điểm"].null_count(), 1U);
  EXPECT_FALSE(p["điểm"].is_valid(1));
  EXPECT_EQ(p["grade"].null_count(), 1U);
  EXPECT_EQ(p["district"].category_at(1), "Lê Chân");
  EXPECT_FALSE(p["district"].is_valid(2));
  EXPECT_EQ(p["prizes"].list_at(0).size(), 2U);
  EXPECT_TRUE(p["prizes"].list_at(1).empty());
  EXPECT_EQ(p["prizes"].format(0), "Quốc gia|Tỉnh");
  EXPECT_EQ(p["dob"].format(1), "1971-01-01");
  EXPECT_EQ(p["orphan"].format(1), "true");
  EXPECT_EQ(p["điểm"].format(0), "9");
  EXPECT_EQ(p["district"].code_of("Lê Chân"), 1);
  EXPECT_EQ(p["district"].code_of("Kiến An"), -1);
}

TEST(pool, unknown_column_suggests_closest) {
  const auto p = small_pool();
  try {
    (void)p["diem"];
    FAIL();
  } catch (const schema_error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"điểm\""), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)p["grade"].numbers(), schema_error);
}

TEST(pool, duplicate_and_empty_ids_are_listed) {
  std::vector<column> cols{column::text("id", {"A", "B", "A", "", "B"})};
  try {
    pool p(std::move(cols), "id");
    FAIL();
  } catch (const data_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("2 duplicate id(s)"), std::string::npos) << what;
    EXPECT_NE(what.find("\"A\" (row 1 and row 3)"), std::string::npos) << what;
    EXPECT_NE(what.find("\"B\" (row 2 and row 5)"), std::string::npos) << what;
    EXPECT_NE(what.find("1 empty id(s): row 4"), std::string::npos) << what;
  }
}

TEST(pool, id_index_finds_every_row_of_a_large_pool) {
  // Enough ids to fill many slots of the hash index, sharing long prefixes and differing in
  // their last bytes; looked up in reverse order, absent ids (and the empty id) not found.
  constexpr std::size_t n = 300000;  // above the size whose index is built on all cores
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = "HS-2024-HAIPHONG-" + std::to_string(i * 7919 % n);
  const pool p({column::text("id", ids)}, "id");
  for (std::size_t i = n; i-- > 0;) ASSERT_EQ(p.row_of(ids[i]), i) << ids[i];
  EXPECT_FALSE(p.row_of("HS-2024-HAIPHONG-300000").has_value());
  EXPECT_FALSE(p.row_of("HS-2024-HAIPHONG-").has_value());
  EXPECT_FALSE(p.row_of("").has_value());
}

TEST(pool, repeated_ids_are_listed_by_repeated_row_with_their_first_row) {
  // Thousands of rows so that the repeats are far apart in the index; an id three times.
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back("X" + std::to_string(i));
  ids.push_back("X42");    // row 5001
  ids.push_back("X7");     // row 5002
  ids.push_back("X42");    // row 5003
  ids.push_back("X4999");  // row 5004
  try {
    pool p({column::text("id", ids)}, "id");
    FAIL();
  } catch (const data_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("4 duplicate id(s): \"X42\" (row 43 and row 5001), \"X7\" (row 8 and row "
                        "5002), \"X42\" (row 43 and row 5003), \"X4999\" (row 5000 and row 5004)"),
              std::string::npos)
        << what;
  }
}

TEST(pool, repeated_ids_of_a_large_pool_are_listed_as_by_the_sequential_pass) {
  // The index of a large pool is built on all cores; a repeat stops that and the rows are
  // named in order, whatever the timing: first row, repeated row, by repeated row.
  std::vector<std::string> ids;
  for (int i = 0; i < 300000; ++i) ids.push_back("X" + std::to_string(i));
  ids[250000] = "X7";
  ids[200000] = "X299999";
  ids[150001] = "";
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      pool p({column::text("id", ids)}, "id");
      FAIL();
    } catch (const data_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("2 duplicate id(s): \"X7\" (row 8 and row 250001), \"X299999\" (row "
                          "200001 and row 300000); 1 empty id(s): row 150002"),
                std::string::npos)
          << what;
    }
  }
}

TEST(pool, schema_errors) {
  EXPECT_THROW(pool({column::text("id", {"A"}), column::text("x", {"1", "2"})}, "id"),
               schema_error);
  EXPECT_THROW(pool({column::text("id", {"A"}), column::text("id", {"B"})}, "id"), schema_error);
  EXPECT_THROW(pool({column::text("ma", {"A"})}, "id"), schema_error);
  EXPECT_THROW(column::category("c", {0, 2}, {"x", "y"}), data_error);
  EXPECT_THROW(column::category("c", {0}, {"x", "x"}), data_error);
  EXPECT_THROW(column::category_list("c", {0, 3}, {0, 0}, {"x"}), data_error);
}

TEST(pool, integer_ids_become_text) {
  pool p({column::integer("id", buffer<std::int64_t>(std::vector<std::int64_t>{10, 20}))}, "id");
  EXPECT_EQ(p.id_column().type(), column_type::text);
  EXPECT_EQ(p.row_of("20"), 1U);
}

TEST(pool, take_and_with_column) {
  const auto p = small_pool();
  const std::vector<std::uint32_t> rows{2, 0};
  const auto q = p.take(rows);
  EXPECT_EQ(q.size(), 2U);
  EXPECT_EQ(q.id(0), "C");
  EXPECT_EQ(q["prizes"].format(0), "Quốc gia");
  EXPECT_EQ(q["district"].format(1), "Hồng Bàng");
  EXPECT_DOUBLE_EQ(q["điểm"].numbers()[0], 7.5);
  EXPECT_FALSE(q["grade"].is_valid(0));
  const auto r = p.with_column(column::boolean("selected", {1, 0, 1}));
  EXPECT_EQ(r.column_count(), 8U);
  EXPECT_EQ(p.column_count(), 7U);  // immutable
  EXPECT_THROW((void)p.with_column(column::text("id", {"x", "y", "z"})), schema_error);
  const std::vector<std::uint32_t> bad{5};
  EXPECT_THROW((void)p.take(bad), data_error);
}

TEST(pool, borrowed_buffer_keeps_owner_alive) {
  auto storage = std::make_shared<std::vector<double>>(std::vector<double>{1.5, 2.5});
  std::weak_ptr<std::vector<double>> weak = storage;
  {
    auto c = column::number("x", buffer<double>(storage->data(), storage->size(), storage));
    storage.reset();
    EXPECT_FALSE(weak.expired());
    EXPECT_DOUBLE_EQ(c.numbers()[1], 2.5);
  }
  EXPECT_TRUE(weak.expired());
}

TEST(pool, column_type_names_round_trip) {
  for (auto t : {column_type::number, column_type::integer, column_type::boolean, column_type::date,
                 column_type::category, column_type::text, column_type::category_list}) {
    EXPECT_EQ(parse_column_type(to_string(t)), t);
  }
  EXPECT_THROW((void)parse_column_type("decimal"), spec_error);
}

TEST(pool, edit_distance_counts_code_points) {
  EXPECT_EQ(edit_distance("điểm", "diem"), 2U);
  EXPECT_EQ(edit_distance("", "abc"), 3U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
}

TEST(pool, ordered_categories_keep_and_change_their_order) {
  const auto plain = column::category("conduct", {0, 1, -1, 2}, {"Tốt", "Khá", "Đạt"});
  EXPECT_FALSE(plain.ordered());
  EXPECT_TRUE(column::category("c", {0}, {"a"}, true).ordered());
  // with_order re-codes to the scale (worst first); unused scale values are kept.
  const auto ordered = plain.with_order({"Chưa đạt", "Đạt", "Khá", "Tốt"});
  EXPECT_TRUE(ordered.ordered());
  EXPECT_EQ(ordered.dictionary(), (std::vector<std::string>{"Chưa đạt", "Đạt", "Khá", "Tốt"}));
  EXPECT_EQ(std::vector<std::int32_t>(ordered.codes().begin(), ordered.codes().end()),
            (std::vector<std::int32_t>{3, 2, -1, 1}));
  EXPECT_EQ(ordered.category_at(0), "Tốt");
  EXPECT_FALSE(ordered.is_valid(2));
  // A value the scale lacks is named with the first row holding it.
  try {
    (void)plain.with_order({"Đạt", "Tốt"});
    ADD_FAILURE() << "no error";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"Khá\" (row 2)"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)plain.with_order({"Đạt", "Đạt", "Khá", "Tốt"}), spec_error);
  EXPECT_THROW((void)plain.with_order({}), spec_error);
  EXPECT_THROW((void)column::text("t", {"x"}).with_order({"x"}), schema_error);

  // At the pool level rows are named by their ids, and take() keeps the order.
  pool p({column::text("id", {"A", "B", "C", "D"}), plain}, "id");
  const auto q = p.with_order("conduct", {"Chưa đạt", "Đạt", "Khá", "Tốt"});
  EXPECT_TRUE(q["conduct"].ordered());
  const std::vector<std::uint32_t> rows{3, 0};
  EXPECT_TRUE(q.take(rows)["conduct"].ordered());
  try {
    (void)p.with_order("conduct", {"Khá", "Tốt"});
    ADD_FAILURE() << "no error";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"Đạt\" (row \"D\")"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)p.with_order("conduc", {"a", "b"}), schema_error);
}

TEST(pool, dates_with_times_of_day) {
  const auto c = column::date("submitted_at", {19'996, 19'996, 0}, {1, 1, 0}, {61'200, 61'201, 0});
  ASSERT_TRUE(c.has_times());
  EXPECT_EQ(c.format(0), "2024-09-30 17:00");
  EXPECT_EQ(c.format(1), "2024-09-30 17:00:01");
  EXPECT_EQ(c.format(2), "");
  EXPECT_FALSE(column::date("d", {1}).has_times());
  EXPECT_EQ(column::date("d", {1}).format(0), "1970-01-02");
  EXPECT_THROW((void)column::date("d", {1}, {}, {86'400}), data_error);
  EXPECT_THROW((void)column::date("d", {1, 2}, {}, {0}), data_error);
  pool p({column::text("id", {"A", "B", "C"}), c}, "id");
  const std::vector<std::uint32_t> rows{1, 0};
  const auto t = p.take(rows);
  ASSERT_TRUE(t["submitted_at"].has_times());
  EXPECT_EQ(t["submitted_at"].format(0), "2024-09-30 17:00:01");
}
