#include "khuyenhoc/csv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "khuyenhoc/generate.hpp"

using namespace khuyenhoc;

namespace {

std::string data(const std::string& name) {
  return std::string(KHUYENHOC_TEST_DATA) + "/" + name;
}

// Runs `f`, expects it to throw E, and returns what() for further checks.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return {};
}

}  // namespace

TEST(csv, reads_quotes_newlines_lists_dates_and_infers_types) {
  const auto p = read_csv(data("pool_basic.csv"));
  ASSERT_EQ(p.size(), 4U);
  EXPECT_EQ(p["họ_tên"].type(), column_type::category);  // few rows, few distinct: category
  EXPECT_EQ(p["ngày_sinh"].type(), column_type::date);
  EXPECT_EQ(p["gpa"].type(), column_type::number);
  EXPECT_EQ(p["prizes"].type(), column_type::category_list);
  EXPECT_EQ(p["orphan"].type(), column_type::boolean);
  EXPECT_EQ(p["grade"].type(), column_type::integer);
  EXPECT_EQ(p["ngày_sinh"].format(0), "2007-09-05");
  EXPECT_EQ(p["ngày_sinh"].format(1), "2008-01-31");
  EXPECT_FALSE(p["ngày_sinh"].is_valid(3));
  EXPECT_TRUE(std::isnan(p["gpa"].numbers()[2]));
  EXPECT_DOUBLE_EQ(p["gpa"].numbers()[3], 7.25);
  EXPECT_EQ(p["ghi chú"].format(0), "Học sinh giỏi, lớp 12A1");
  EXPECT_EQ(p["ghi chú"].format(1), "Ghi chú có \"ngoặc kép\"");
  EXPECT_EQ(p["ghi chú"].format(2), "Dòng một\ndòng hai");
  EXPECT_EQ(p["prizes"].list_at(0).size(), 2U);
  EXPECT_TRUE(p["prizes"].is_valid(1));  // empty cell: empty list
  EXPECT_TRUE(p["prizes"].list_at(1).empty());
  EXPECT_FALSE(p["prizes"].is_valid(3));  // NA: missing
  EXPECT_EQ(p["grade"].null_count(), 1U);
  EXPECT_EQ(p.id(3), "HS004");
}

TEST(csv, semicolon_bom_decimal_comma_nfd_crlf) {
  csv_options opt;
  opt.schema = {{"documents", column_type::category_list}};
  const auto p = read_csv(data("pool_semicolon_bom_nfd.csv"), opt);
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p.column_names().front(), "id");  // BOM stripped
  EXPECT_NE(p.find("họ_tên"), nullptr);       // NFD header normalised to NFC
  EXPECT_DOUBLE_EQ(p["gpa"].numbers()[0], 9.1);
  EXPECT_DOUBLE_EQ(p["gpa"].numbers()[1], 8.25);
  EXPECT_EQ(p["district"].format(0), "Hồng Bàng");  // NFC
  EXPECT_EQ(p["district"].code_of("Hồng Bàng"), 0);
  EXPECT_EQ(p["documents"].format(0), "Tờ trình|Biên bản họp bình xét");
  EXPECT_EQ(p["ngày_sinh"].format(1), "2008-01-31");
}

TEST(csv, explicit_schema_types_values_strictly) {
  csv_options opt;
  opt.schema = {{"grade", column_type::number}, {"district", column_type::text}};
  const auto p = read_csv(data("pool_basic.csv"), opt);
  EXPECT_EQ(p["grade"].type(), column_type::number);
  EXPECT_EQ(p["district"].type(), column_type::text);
  opt.schema = {{"district", column_type::date}};
  const auto what = error_of<data_error>([&] { (void)read_csv(data("pool_basic.csv"), opt); });
  EXPECT_NE(
      what.find("pool_basic.csv:2: row \"HS001\": column \"district\": \"Hồng Bàng\" is not a "
                "date"),
      std::string::npos)
      << what;
  opt.schema = {{"no_such", column_type::text}};
  EXPECT_THROW((void)read_csv(data("pool_basic.csv"), opt), schema_error);
}

TEST(csv, malformed_fixtures_give_located_errors) {
  auto what = error_of<data_error>([] { (void)read_csv(data("malformed/bad_date.csv")); });
  EXPECT_NE(
      what.find("bad_date.csv:4: row \"HS3\": column \"ngay_sinh\": \"31/02/2007\" is not a date"),
      std::string::npos)
      << what;
  what = error_of<parse_error>([] { (void)read_csv(data("malformed/unbalanced_quote.csv")); });
  EXPECT_NE(what.find("unbalanced_quote.csv:3:5: unterminated quoted field"), std::string::npos)
      << what;
  what = error_of<data_error>([] { (void)read_csv(data("malformed/duplicate_ids.csv")); });
  EXPECT_NE(what.find("2 duplicate id(s)"), std::string::npos) << what;
  EXPECT_NE(what.find("\"HS1\" ("), std::string::npos) << what;
  EXPECT_NE(what.find("duplicate_ids.csv:2 and "), std::string::npos) << what;
  EXPECT_NE(what.find("duplicate_ids.csv:4)"), std::string::npos) << what;
  what = error_of<parse_error>([] { (void)read_csv(data("malformed/wrong_column_count.csv")); });
  EXPECT_NE(what.find("wrong_column_count.csv:3: too few fields: expected 3"), std::string::npos)
      << what;
  what = error_of<parse_error>([] { (void)read_csv(data("malformed/invalid_utf8.csv")); });
  EXPECT_NE(what.find("invalid_utf8.csv:3:7: invalid UTF-8 (byte 0xE1)"), std::string::npos)
      << what;
  what = error_of<data_error>([] { (void)read_csv(data("malformed/empty_id.csv")); });
  EXPECT_NE(what.find("1 empty id(s): "), std::string::npos) << what;
  EXPECT_NE(what.find("empty_id.csv:3"), std::string::npos) << what;
  what = error_of<data_error>([] {
    (void)read_csv(data("malformed/bad_number.csv"), {.schema = {{"gpa", column_type::number}}});
  });
  EXPECT_NE(what.find("bad_number.csv:3: row \"HS2\": column \"gpa\": \"chín\" is not a number"),
            std::string::npos)
      << what;
  what = error_of<parse_error>([] { (void)read_csv(data("malformed/text_after_quote.csv")); });
  EXPECT_NE(what.find("text_after_quote.csv:2:9: unexpected character 'x'"), std::string::npos)
      << what;
  EXPECT_THROW((void)read_csv(data("no_such_file.csv")), error);
}

TEST(csv, too_many_fields_and_missing_id_column) {
  auto what = error_of<parse_error>([] { (void)read_csv_text("id,a\n1,2,3\n"); });
  EXPECT_NE(what.find("<string>:2:5: too many fields"), std::string::npos) << what;
  what = error_of<schema_error>([] { (void)read_csv_text("ma,a\n1,2\n"); });
  EXPECT_NE(what.find("no id column \"id\""), std::string::npos) << what;
  EXPECT_THROW((void)read_csv_text(""), parse_error);
  EXPECT_THROW((void)read_csv_text("id,a,a\n1,2,3\n"), schema_error);
}

TEST(csv, leading_zero_codes_stay_text_and_ids_are_text) {
  const auto p = read_csv_text("id,code,n\n007,0123,5\n008,0456,-3\n");
  EXPECT_EQ(p.id(0), "007");
  EXPECT_EQ(p["code"].type(), column_type::category);
  EXPECT_EQ(p["n"].type(), column_type::integer);
  EXPECT_EQ(p["n"].integers()[1], -3);
}

TEST(csv, every_row_is_kept_and_blank_lines_are_not_rows) {
  const auto p = read_csv_text("id,a\n\n1,x\n\n2,\n3,z\n");
  EXPECT_EQ(p.size(), 3U);
  EXPECT_FALSE(p["a"].is_valid(1));
}

TEST(csv, write_then_read_round_trips_the_generated_pool) {
  const auto p = generate_pool(3000, {.seed = 7});
  const auto text = write_csv_text(p);
  const auto q = read_csv_text(text);
  ASSERT_EQ(q.size(), p.size());
  ASSERT_EQ(q.column_names(), p.column_names());
  for (std::size_t k = 0; k < p.column_count(); ++k) {
    const auto& a = p.columns()[k];
    const auto& b = q[a.name()];
    // Inference may store free text as a category (few distinct values) or the reverse.
    const auto text_like = [](column_type t) {
      return t == column_type::text || t == column_type::category;
    };
    if (text_like(a.type())) {
      EXPECT_TRUE(text_like(b.type())) << a.name();
    } else {
      EXPECT_EQ(b.type(), a.type()) << a.name();
    }
    for (std::size_t r = 0; r < p.size(); ++r) ASSERT_EQ(a.format(r), b.format(r)) << a.name() << r;
  }
  EXPECT_EQ(write_csv_text(q), text);  // byte-identical second write
}

TEST(csv, vietnamese_spreadsheet_output) {
  const auto p = read_csv(data("pool_basic.csv"));
  const auto text =
      write_csv_text(p, {.separator = ';', .decimal = ',', .vietnamese_dates = true, .bom = true});
  EXPECT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(text.find("HS001;Nguyễn Văn An;05/09/2007;Hồng Bàng;9,1;"), std::string::npos) << text;
  const auto q = read_csv_text(text);
  EXPECT_DOUBLE_EQ(q["gpa"].numbers()[0], 9.1);
  EXPECT_EQ(q["ngày_sinh"].format(0), "2007-09-05");
}

TEST(csv, result_does_not_depend_on_thread_count) {
  const auto text = write_csv_text(generate_pool(5000, {.seed = 3}));
  csv_options one;
  one.threads = 1;
  csv_options many;
  many.threads = 8;
  EXPECT_EQ(write_csv_text(read_csv_text(text, one)), write_csv_text(read_csv_text(text, many)));
}

TEST(csv, quote_only_when_needed) {
  EXPECT_EQ(csv_quote("abc"), "abc");
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(csv_quote("a;b", ';'), "\"a;b\"");
  EXPECT_EQ(csv_quote("a;b", ','), "a;b");
}

TEST(csv, progress_reports_monotone_bytes_about_once_per_megabyte) {
  // About 3 MB of rows: a few reports, done never decreasing, the last one done == total.
  std::string text = "id,x\n";
  for (int i = 0; text.size() < (std::size_t{3} << 20); ++i)
    text += "HS" + std::to_string(i) + "," + std::to_string(i % 97) + ".5\n";
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  csv_options opt;
  opt.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  const auto p = read_csv_text(text, opt);
  ASSERT_GE(calls.size(), 3U);
  for (std::size_t k = 0; k < calls.size(); ++k) {
    EXPECT_EQ(calls[k].second, text.size());
    if (k > 0) {
      EXPECT_LE(calls[k - 1].first, calls[k].first);
    }
  }
  EXPECT_EQ(calls.back().first, text.size());
  EXPECT_GT(p.size(), 0U);
}

// ---------------------------------------------------------------- hostile and careless input

TEST(csv, nul_byte_is_a_located_error) {
  const std::string text = std::string("id,gpa\nA,8.5\nB,7") + '\0' + "5\n";
  const auto what = error_of<parse_error>([&] { (void)read_csv_text(text, {}, "nul.csv"); });
  EXPECT_NE(what.find("nul.csv:3:4: NUL byte"), std::string::npos) << what;
}

TEST(csv, stray_quote_swallowing_records_is_reported_where_it_opened) {
  // Row B's quote is closed only in row F's name: five records would become one.
  const std::string text =
      "id,name,gpa\nA,An,8\nB,\"Bình,7\nC,Chi,6\nD,Dũng,5\nE,Em,4\nF,Phúc\",3\n";
  const auto what = error_of<parse_error>([&] { (void)read_csv_text(text, {}, "q.csv"); });
  EXPECT_NE(what.find("q.csv:3:3: the quoted field opened here runs over more than 4 lines"),
            std::string::npos)
      << what;
  // Allowed when the user says a field may be that long.
  csv_options wide;
  wide.max_field_lines = 0;
  EXPECT_EQ(read_csv_text(text, wide).size(), 2U);
  // Legitimate multi-line cells (an address on two lines) still read.
  EXPECT_EQ(read_csv_text("id,addr\nA,\"Số 5, ngõ 3\nPhường 2\"\n").size(), 1U);
}

TEST(csv, text_after_closing_quote_names_the_whole_character) {
  const auto what = error_of<parse_error>(
      [] { (void)read_csv_text("id,name\nA,\"An\"ở\n", {}, "t.csv"); });
  EXPECT_NE(what.find("t.csv:2:7: unexpected character 'ở' after a closing quote"),
            std::string::npos)
      << what;
}

TEST(csv, cells_that_defeat_inference_are_reported_at_the_cell) {
  struct item {
    std::string text, expect;
  };
  const std::vector<item> cases = {
      {"id,gpa\nA,8.5\nB,1e999\nC,7\n", "x.csv:3: row \"B\": column \"gpa\": \"1e999\" is out of"},
      {"id;gpa\nA;8,5\nB; 8,5 \nC;7\n", "x.csv:3: row \"B\": column \"gpa\": \" 8,5 \" has blanks"},
      {"id;gpa\nA;9,1\nB;8,75\nC;8.75\n",
       "x.csv:4: row \"C\": column \"gpa\": \"8.75\" uses '.' as the decimal mark, but this "
       "file's is ','"},
  };
  for (const auto& c : cases) {
    const auto what = error_of<data_error>([&] { (void)read_csv_text(c.text, {}, "x.csv"); });
    EXPECT_NE(what.find(c.expect), std::string::npos) << what;
  }
  // Codes with leading zeros, and words, are not "almost numbers": the column is categorical.
  EXPECT_EQ(read_csv_text("id,c\nA,0123\nB,45\n")["c"].type(), column_type::category);
  EXPECT_EQ(read_csv_text("id,c\nA,vắng\nB,45\n")["c"].type(), column_type::category);
}

TEST(csv, mixed_columns_as_text_with_a_warning_naming_the_cell) {
  csv_options o;
  o.mixed_columns = csv_options::mixed_policy::text;
  std::vector<std::string> warnings;
  o.warning = [&](const std::string& w) { warnings.push_back(w); };
  const auto p = read_csv_text("id;gpa\nA;9,1\nB;8.75\n", o, "m.csv");
  EXPECT_NE(p["gpa"].type(), column_type::number);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("m.csv:3: column \"gpa\": \"8.75\" uses '.'"), std::string::npos)
      << warnings[0];
}

TEST(csv, types_do_not_depend_on_normal_form_separator_or_line_endings) {
  const std::string nfc = "id,ok,gpa\nA,Có,8.5\nB,Không,7\nC,Có,9\n";
  // "Có" and "Không" decomposed (o + combining acute, o + combining circumflex).
  const std::string nfd_some = "id,ok,gpa\nA,Co\xCC\x81,8.5\nB,Kho\xCC\x82ng,7\nC,Có,9\n";
  const std::string semi_crlf = "id;ok;gpa\r\nA;Có;8,5\r\nB;Không;7\r\nC;Có;9\r\n";
  const auto reference = write_csv_text(read_csv_text(nfc));
  EXPECT_EQ(read_csv_text(nfc)["ok"].type(), column_type::boolean);
  for (const auto& variant : {nfd_some, semi_crlf}) {
    const auto p = read_csv_text(variant);
    EXPECT_EQ(p["ok"].type(), column_type::boolean);
    EXPECT_EQ(p["gpa"].type(), column_type::number);
    EXPECT_EQ(write_csv_text(p), reference);
  }
}

TEST(csv, max_bytes_guards_the_reader) {
  const auto path = data("pool_basic.csv");
  csv_options o;
  o.max_bytes = 10;
  EXPECT_THROW((void)read_csv(path, o), limit_error);
  o.max_bytes = 1U << 20U;
  EXPECT_NO_THROW((void)read_csv(path, o));
}
