#include "khuyenhoc/csv.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "khuyenhoc/detail/unicode.hpp"
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

TEST(csv, columns_reads_only_those_and_still_checks_every_record) {
  // A column not read may hold anything its type would refuse; the records' field counts and
  // the text are still checked, in every chunk and at any thread count.
  const std::string csv =
      "id,gpa,note,h\xE1\xBB\x8D\n"  // "họ" (NFC)
      "a1,8.5,1e999,x\n"
      "a2,9,7,\"y, quoted\"\n"
      "a3,,8.75,z\n";
  csv_options opt;
  opt.columns = {"gpa", "ho\xCC\xA3"};  // "họ" in NFD: names are matched in NFC
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
    for (const unsigned threads : {1U, 3U}) {
      opt.chunk_bytes = chunk;
      opt.threads = threads;
      const pool p = read_csv_text(csv, opt);
      ASSERT_EQ(p.columns().size(), 3U);
      EXPECT_EQ(p.columns()[0].name(), "id");
      EXPECT_EQ(p.columns()[1].name(), "gpa");
      EXPECT_EQ(p.columns()[2].name(), "h\xE1\xBB\x8D");
      EXPECT_EQ(p.size(), 3U);
      EXPECT_DOUBLE_EQ(p["gpa"].numbers()[1], 9.0);
      EXPECT_FALSE(p["gpa"].is_valid(2));
      EXPECT_EQ(p.find("note"), nullptr);
      EXPECT_EQ(p.unread_columns(), std::vector<std::string>{"note"});
      EXPECT_EQ(p.closest_columns("notes"), std::vector<std::string>{"note"});  // did you mean
      // Without the projection the unread column's "1e999" is an error.
      csv_options all = opt;
      all.columns.clear();
      EXPECT_THROW((void)read_csv_text(csv, all), data_error);
    }
  }
  opt.chunk_bytes = 0;
  opt.threads = 0;
  auto what = error_of<parse_error>([&] { (void)read_csv_text("id,a,b\n1,2\n", opt); });
  EXPECT_NE(what.find("too few fields"), std::string::npos) << what;
  what = error_of<parse_error>([&] { (void)read_csv_text("id,a,b\n1,2,3,4\n", opt); });
  EXPECT_NE(what.find("too many fields"), std::string::npos) << what;
  EXPECT_THROW((void)read_csv_text("id,gpa,b\n1,2,\xFF\n", opt), error);  // bad UTF-8
  // A name the header lacks: an error naming it, or left out when asked.
  opt.columns = {"gpa", "conduct"};
  what = error_of<schema_error>([&] { (void)read_csv_text("id,gpa,conduc\n1,2,3\n", opt); });
  EXPECT_NE(what.find("column \"conduct\""), std::string::npos) << what;
  EXPECT_NE(what.find("did you mean \"conduc\""), std::string::npos) << what;
  opt.ignore_missing_columns = true;
  const pool q = read_csv_text("id,gpa,conduc\n1,2,3\n", opt);
  EXPECT_EQ(q.columns().size(), 2U);
  // The id column is read even when not named; duplicate header names are still refused.
  opt.columns = {"gpa"};
  EXPECT_EQ(read_csv_text("x,id,gpa\n1,a,2\n", opt).columns().size(), 2U);
  EXPECT_THROW((void)read_csv_text("id,gpa,b,b\n1,2,3,4\n", opt), schema_error);
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

TEST(csv, nul_byte_found_at_every_offset_of_a_chunk) {
  // The NUL check shares the UTF-8 check's pass over each chunk (16-byte blocks and a shorter
  // tail): a NUL at any offset, in chunks of any size, is the same located error.
  std::string clean = "id,name\n";
  for (int i = 0; i < 12; ++i) clean += "R" + std::to_string(i) + ",Nguyễn Văn An\n";
  const std::size_t header = std::string("id,name\n").size();
  for (std::size_t at = header; at < clean.size(); ++at) {
    if (clean[at] == '\n' || (static_cast<unsigned char>(clean[at]) & 0xC0U) == 0x80U) continue;
    std::string text = clean;
    text[at] = '\0';
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    if ((static_cast<unsigned char>(clean[at]) & 0xE0U) == 0xC0U ||
        (static_cast<unsigned char>(clean[at]) & 0xF0U) == 0xE0U)
      continue;  // a NUL instead of a lead byte: the text is first of all invalid UTF-8
    const auto column = detail::count_code_points(text.substr(line_start, at - line_start)) + 1;
    for (const std::size_t chunk :
         {std::size_t{0}, std::size_t{1}, std::size_t{17}, std::size_t{40}}) {
      csv_options opt;
      opt.chunk_bytes = chunk;
      const auto what = error_of<parse_error>([&] { (void)read_csv_text(text, opt, "nul.csv"); });
      EXPECT_NE(what.find("nul.csv:" + std::to_string(line) + ":" + std::to_string(column) +
                          ": NUL byte"),
                std::string::npos)
          << what << " (NUL at byte " << at << ", chunks of " << chunk << ")";
    }
  }
  EXPECT_NO_THROW((void)read_csv_text(clean));
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
  const auto what =
      error_of<parse_error>([] { (void)read_csv_text("id,name\nA,\"An\"ở\n", {}, "t.csv"); });
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

TEST(csv, field_ends_found_at_every_offset_of_a_16_byte_block) {
  // Fields of 0 to 40 bytes, so that separators and line breaks (LF, CRLF, lone CR) fall at
  // every position of the tokenizer's 16-byte blocks, the last field of the text included
  // (no final line break, fewer than 16 bytes left).
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    for (const char sep : {',', ';', '\t'}) {
      std::string text = std::string("id") + sep + "a" + sep + "b" + eol;
      std::vector<std::string> as, bs;
      for (std::size_t i = 0; i <= 40; ++i) {
        as.push_back(std::string(i, 'x') + (i % 3 == 0 ? "ữ" : ""));
        bs.push_back(std::string((i * 7) % 23, 'y'));
        text += "R" + std::to_string(i) + sep + as.back() + sep + bs.back();
        if (i != 40) text += eol;
      }
      csv_options opt;
      opt.schema = {{"a", column_type::text}, {"b", column_type::text}};
      opt.separator = sep;
      const auto p = read_csv_text(text, opt);
      ASSERT_EQ(p.size(), 41U);
      for (std::size_t i = 0; i <= 40; ++i) {
        EXPECT_EQ(p.id(i), "R" + std::to_string(i));
        EXPECT_EQ(p["a"].text_at(i), as[i]) << i;
        EXPECT_EQ(p["b"].text_at(i), bs[i]) << i;
      }
    }
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

// ---------------------------------------------------------------- chunked, parallel reading

namespace {

// What reading `text` gives: the pool written back as CSV, or the error's what().
std::string outcome(const std::string& text, csv_options opt) {
  try {
    return write_csv_text(read_csv_text(text, opt, "c.csv"));
  } catch (const error& e) {
    return std::string("error: ") + e.what();
  }
}

// Reads `text` with every thread count and many chunk sizes (cuts at every byte included) and
// expects the same outcome as one thread reading one chunk; returns that outcome.
std::string same_for_any_chunking(const std::string& text, const csv_options& base = {}) {
  csv_options one = base;
  one.threads = 1;
  one.chunk_bytes = text.size() + 1;
  const auto reference = outcome(text, one);
  for (unsigned threads : {1U, 2U, 3U, 8U}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                              std::size_t{7}, std::size_t{13}, std::size_t{64}, std::size_t{0}}) {
      csv_options o = base;
      o.threads = threads;
      o.chunk_bytes = chunk;
      EXPECT_EQ(outcome(text, o), reference) << "threads " << threads << ", chunk " << chunk;
    }
  }
  return reference;
}

}  // namespace

TEST(csv_chunks, text_columns_of_ascii_chunks_and_of_chunks_with_missing_or_nfd_cells) {
  // A declared text column: chunks of ASCII cells are copied whole, the others cell by cell
  // (missing markers left out, NFD normalised); the pool is the same at any chunking. Also
  // for the columns kept by `columns`.
  std::string text = "id,note,x\n";
  for (int i = 0; i < 60; ++i) {
    std::string note = "n" + std::to_string(i);
    if (i % 17 == 5) note = "";
    if (i % 23 == 7) note = "NA";
    if (i % 19 == 3) note = "Ho\xCC\x80ng";  // "Hòng" in NFD
    text += "A" + std::to_string(i) + "," + note + "," + std::to_string(i % 4) + "\n";
  }
  csv_options opt;
  opt.schema = {{"note", column_type::text}};
  const auto out = same_for_any_chunking(text, opt);
  EXPECT_NE(out.find("A5,,"), std::string::npos) << out;
  EXPECT_NE(out.find("A3,H\xC3\xB2ng,"), std::string::npos) << out;  // NFC
  opt.columns = {"note"};
  const auto kept = same_for_any_chunking(text, opt);
  EXPECT_EQ(kept.substr(0, 8), "id,note\n");
}

TEST(csv_chunks, cuts_inside_quoted_fields_with_line_breaks_separators_and_quotes) {
  std::string text = "id,note,gpa\n";
  for (int i = 0; i < 40; ++i) {
    text += "HS" + std::to_string(i) + ",\"dòng một, \"\"trích\"\"\nhai\n\nba,\",";
    text += std::to_string(i % 10) + ".5\n";
  }
  const auto got = same_for_any_chunking(text);
  ASSERT_EQ(got.rfind("error", 0), std::string::npos) << got;
  const auto p = read_csv_text(text, {.chunk_bytes = 3});
  ASSERT_EQ(p.size(), 40U);
  EXPECT_EQ(p["note"].format(39), "dòng một, \"trích\"\nhai\n\nba,");
  EXPECT_DOUBLE_EQ(p["gpa"].numbers()[39], 9.5);
}

TEST(csv_chunks, crlf_and_lone_cr_records_split_anywhere_keep_their_lines) {
  std::string crlf = "id,gpa\r\n";
  for (int i = 0; i < 30; ++i) crlf += "A" + std::to_string(i) + "," + std::to_string(i) + "\r\n";
  crlf += "\r\nZ,abc\r\n";  // a blank line, then a word: the column becomes text (all distinct)
  EXPECT_EQ(read_csv_text(crlf, {.chunk_bytes = 4})["gpa"].type(), column_type::text);
  same_for_any_chunking(crlf);
  // Declared a number, the last cell is the error, at its line (33: header, 30 rows, a blank).
  csv_options strict;
  strict.schema = {{"gpa", column_type::number}};
  strict.chunk_bytes = 5;
  const auto what = error_of<data_error>([&] { (void)read_csv_text(crlf, strict, "c.csv"); });
  EXPECT_NE(what.find("c.csv:33: row \"Z\": column \"gpa\": \"abc\" is not a number"),
            std::string::npos)
      << what;
  same_for_any_chunking(crlf, strict);
  // Records ended by a lone CR (old Mac files) count as lines too.
  same_for_any_chunking("id,x\rA,1\rB,2\n");
}

TEST(csv_chunks, a_type_that_changes_in_the_last_chunk) {
  std::string text = "id,score,gpa\n";
  for (int i = 0; i < 50; ++i)
    text += "S" + std::to_string(i) + "," + std::to_string(i) + "," + std::to_string(i) + ".25\n";
  EXPECT_EQ(read_csv_text(text, {.chunk_bytes = 8})["score"].type(), column_type::integer);
  // One non-number on the last line: the whole column is categorical, from every chunk.
  const std::string words = text + "S50,vắng,7.5\n";
  const auto p = read_csv_text(words, {.chunk_bytes = 8});
  EXPECT_EQ(p["score"].type(), column_type::text);  // 51 distinct values: text
  EXPECT_EQ(p["score"].format(0), "0");
  EXPECT_EQ(p["score"].format(50), "vắng");
  same_for_any_chunking(words);
  // A cell that only looks like a number, on the last line: the error names its line.
  const std::string almost = text + "S50,7,1e999\n";
  const auto what = error_of<data_error>(
      [&] { (void)read_csv_text(almost, {.threads = 3, .chunk_bytes = 16}, "c.csv"); });
  EXPECT_NE(what.find("c.csv:52: row \"S50\": column \"gpa\": \"1e999\" is out of"),
            std::string::npos)
      << what;
  same_for_any_chunking(almost);
  // Integers, then a decimal in a later chunk: numbers, exactly as read in one piece.
  const std::string decimals = text + "S50,7.5,1\n";
  EXPECT_EQ(read_csv_text(decimals, {.chunk_bytes = 8})["score"].type(), column_type::number);
  EXPECT_DOUBLE_EQ(read_csv_text(decimals, {.chunk_bytes = 8})["score"].numbers()[50], 7.5);
  same_for_any_chunking(decimals);
  // "-0" read as a number keeps its sign.
  same_for_any_chunking(text + "S50,-0,1.5\nS51,0.5,2\n");
}

TEST(csv_chunks, a_list_column_whose_first_chunks_are_empty_or_missing) {
  std::string text = "id,prizes\n";
  for (int i = 0; i < 30; ++i) text += "P" + std::to_string(i) + (i % 3 == 0 ? ",NA\n" : ",\n");
  text += "P30,Nhất|Nhì\nP31,Ba\n";
  const auto p = read_csv_text(text, {.chunk_bytes = 6});
  ASSERT_EQ(p["prizes"].type(), column_type::category_list);
  EXPECT_FALSE(p["prizes"].is_valid(0));  // NA: missing
  EXPECT_TRUE(p["prizes"].is_valid(1));   // empty: an empty list
  EXPECT_TRUE(p["prizes"].list_at(1).empty());
  EXPECT_EQ(p["prizes"].format(30), "Nhất|Nhì");
  same_for_any_chunking(text);
}

TEST(csv_chunks, categories_and_nfd_spellings_merge_into_one_dictionary) {
  std::string text = "id,district,ok\n";
  const char* names[] = {"Hồng Bàng", "Ho\xCC\x82\xCC\x80ng Ba\xCC\x80ng", "Lê Chân", "Kiến An"};
  for (int i = 0; i < 60; ++i) {
    text += "D" + std::to_string(i) + "," + names[i % 4] + "," + (i % 2 ? "Co\xCC\x81" : "không") +
            "\n";
  }
  const auto p = read_csv_text(text, {.chunk_bytes = 10});
  EXPECT_EQ(p["district"].type(), column_type::category);
  EXPECT_EQ(p["district"].dictionary().size(), 3U);  // NFC and NFD "Hồng Bàng" are one value
  EXPECT_EQ(p["ok"].type(), column_type::boolean);
  same_for_any_chunking(text);
}

TEST(csv_chunks, the_first_error_in_file_order_wins_for_any_chunking) {
  std::string rows;
  for (int i = 0; i < 20; ++i) rows += "R" + std::to_string(i) + ",An," + std::to_string(i) + "\n";
  const std::string header = "id,name,n\n";
  struct item {
    std::string text, expect;
  };
  const std::vector<item> cases = {
      {header + rows + "B,\"Bình,7\nC,Chi,6\nD,Dũng,5\nE,Em,4\nF,Phúc\",3\n" + rows,
       "c.csv:22:3: the quoted field opened here runs over more than 4 lines"},
      {header + rows + "X,An\n" + rows + "Y,An,1,2\n", "c.csv:22: too few fields"},
      {header + rows + "X,An,1,2\n" + rows + "Y,An\n", "c.csv:22:8: too many fields"},
      {header + rows + "X,\"An\"b,1\n" + rows, "c.csv:22:7: unexpected character 'b'"},
      {header + rows + "X,An,1\n" + rows + "Y,A" + std::string(1, '\0') + ",1\n",
       "c.csv:43:4: NUL byte"},
      {header + rows + "X,A\xFF,1\n" + rows + "Y,A" + std::string(1, '\0') + ",1\n",
       "c.csv:22:4: invalid UTF-8 (byte 0xFF)"},
      {header + rows + "X,\"An\n", "c.csv:22:3: unterminated quoted field"},
  };
  for (const auto& c : cases) {
    const auto got = same_for_any_chunking(c.text);
    EXPECT_NE(got.find(c.expect), std::string::npos) << got;
  }
  // A data error before a later one, in another column, of another chunk.
  csv_options typed;
  typed.schema = {{"n", column_type::integer}, {"name", column_type::date}};
  const auto got = same_for_any_chunking(
      header + "A,01/02/2010,1\nB,01/02/2010,x\n" + rows + "C,31/02/2010,1\n", typed);
  EXPECT_NE(got.find("c.csv:3: row \"B\": column \"n\": \"x\" is not an integer"),
            std::string::npos)
      << got;
}

TEST(csv_chunks, a_mapped_file_reads_as_the_same_text_and_reports_progress) {
  const auto dir = std::filesystem::temp_directory_path() / "khuyenhoc_csv_chunks";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "pool.csv").string();
  const auto text = "\xEF\xBB\xBF" + write_csv_text(generate_pool(3000, {.seed = 9}));
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  csv_options o;
  o.threads = 3;
  o.chunk_bytes = 4096;
  o.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  const auto from_file = read_csv(path, o);
  EXPECT_EQ(write_csv_text(from_file), write_csv_text(read_csv_text(text)));
  ASSERT_FALSE(calls.empty());
  for (std::size_t k = 1; k < calls.size(); ++k) EXPECT_LT(calls[k - 1].first, calls[k].first);
  EXPECT_EQ(calls.back().first, calls.back().second);
  EXPECT_EQ(calls.back().second, text.size() - 3);  // the BOM is not counted
  std::filesystem::remove_all(dir);
}

TEST(csv_chunks, utf8_check_of_chunks_agrees_with_the_reference_decoder) {
  // Random cells from the bytes that matter (lead bytes, continuations, the edges of overlong,
  // surrogate and too-large forms, ASCII): a file is refused as invalid UTF-8 exactly when the
  // reference decoder finds a bad byte, wherever it falls in the 16- or 32-byte blocks of the
  // check (SSSE3, AVX2 then SSSE3 for the rest).
  const std::uint8_t alphabet[] = {'a',  ',',  0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                   0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                   0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF};
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33U);
  };
  csv_options o;
  o.threads = 1;
  std::size_t invalid = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    // Mostly well-formed characters (the edges of each length), now and then a stray byte.
    static const std::vector<std::string> characters = {"a",
                                                        "\x7F",
                                                        "\xC2\x80",
                                                        "\xDF\xBF",
                                                        "\xE0\xA0\x80",
                                                        "\xED\x9F\xBF",
                                                        "\xEE\x80\x80",
                                                        "\xEF\xBF\xBF",
                                                        "\xF0\x90\x80\x80",
                                                        "\xF4\x8F\xBF\xBF",
                                                        "ệ",
                                                        "ữ"};
    std::string cell;
    const std::size_t len = 1 + next() % 48;  // across 16- and 32-byte blocks of the check
    for (std::size_t i = 0; i < len; ++i) {
      if (next() % 40 == 0) {
        cell += static_cast<char>(alphabet[next() % 26]);
      } else {
        cell += characters[next() % characters.size()];
      }
    }
    const std::string text = "id\n" + std::string(next() % 33, 'x') + cell + "\n";
    const bool bad = khuyenhoc::detail::find_invalid_utf8(text).has_value();
    invalid += bad ? 1 : 0;
    std::string what;
    try {
      (void)read_csv_text(text, o);
    } catch (const error& e) {
      what = e.what();
    }
    ASSERT_EQ(bad, what.find("invalid UTF-8") != std::string::npos) << what;
  }
  EXPECT_GT(invalid, 1000U);
  EXPECT_LT(invalid, 19000U);
}

TEST(csv_chunks, a_large_pool_finds_every_id_and_names_duplicates_by_line) {
  // More ids than the id index's radix buckets (65536): lookups, and duplicates at their lines.
  std::string text = "id,x\n";
  for (int i = 0; i < 70000; ++i) text += "HS" + std::to_string(i) + "," + std::to_string(i) + "\n";
  const auto p = read_csv_text(text, {.threads = 2, .chunk_bytes = 1 << 16});
  ASSERT_EQ(p.size(), 70000U);
  for (int i = 0; i < 70000; i += 997) EXPECT_EQ(p.row_of("HS" + std::to_string(i)), i);
  EXPECT_FALSE(p.row_of("HS70000").has_value());
  const auto what = error_of<data_error>(
      [&] { (void)read_csv_text(text + "HS12345,1\nHS0,2\n", {.chunk_bytes = 1 << 16}, "d.csv"); });
  EXPECT_NE(what.find("2 duplicate id(s): \"HS12345\" (d.csv:12347 and d.csv:70002), \"HS0\" "
                      "(d.csv:2 and d.csv:70003)"),
            std::string::npos)
      << what;
}

// Short decimals are read without from_chars (an exact quotient of integers): the values are
// bit for bit what from_chars gives, for every number of digits around the fast path's limit
// of 15, signs, leading or trailing decimal marks and exponents, with '.' and with ','.
TEST(csv, decimals_read_as_from_chars_reads_them) {
  std::uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 17U;
  };
  std::vector<std::string> cells = {
      "0",   "-0",     "0.0", "-0.0", "5.",  ".5",   "-.5",
      "1e5", "2.5E-3", "8.7", "8.45", "0.1", "9.95", "123456789012345.6"};
  for (int i = 0; i < 20'000; ++i) {
    const int int_digits = static_cast<int>(next() % 10);
    const int frac_digits = static_cast<int>(next() % 10);
    std::string c = next() % 4 == 0 ? "-" : "";
    for (int d = 0; d < int_digits; ++d)
      c += static_cast<char>('0' + (d == 0 ? 1 + next() % 9 : next() % 10));
    if (frac_digits > 0 || int_digits == 0) {
      c += '.';
      for (int d = 0; d < std::max(frac_digits, 1); ++d) c += static_cast<char>('0' + next() % 10);
    }
    cells.push_back(c);
  }
  for (const char mark : {'.', ','}) {
    std::string text = mark == '.' ? "id,x\n" : "id;x\n";
    for (std::size_t r = 0; r < cells.size(); ++r) {
      std::string cell = cells[r];
      if (mark == ',') std::replace(cell.begin(), cell.end(), '.', ',');
      text += "r" + std::to_string(r) + (mark == '.' ? "," : ";") + cell + "\n";
    }
    const pool p = read_csv_text(text);
    ASSERT_EQ(p["x"].type(), column_type::number);
    for (std::size_t r = 0; r < cells.size(); ++r) {
      double want = 0;
      const std::string& c = cells[r];
      std::from_chars(c.data(), c.data() + c.size(), want);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(p["x"].numbers()[r]),
                std::bit_cast<std::uint64_t>(want))
          << c << " with '" << mark << "'";
    }
  }
}
