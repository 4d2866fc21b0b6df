#include "khuyenhoc/error.hpp"

#include <gtest/gtest.h>

using namespace khuyenhoc;

TEST(error, message_carries_location) {
  const data_error e("\"31/02/2007\" is not a date",
                     location{.file = "pool.csv", .line = 1834, .field = "ngay_sinh"});
  EXPECT_STREQ(e.what(), "pool.csv:1834: column \"ngay_sinh\": \"31/02/2007\" is not a date");
  EXPECT_EQ(e.message(), "\"31/02/2007\" is not a date");
  EXPECT_EQ(e.where().line, 1834U);
}

TEST(error, line_and_column) {
  const parse_error e("unexpected token", location{.file = "rules.yaml", .line = 3, .column = 7});
  EXPECT_STREQ(e.what(), "rules.yaml:3:7: unexpected token");
}

TEST(error, row_id_and_no_location) {
  EXPECT_STREQ(error("plain").what(), "plain");
  const data_error e("missing", location{.row_id = "HS1", .field = "gpa"});
  EXPECT_STREQ(e.what(), "row \"HS1\": column \"gpa\": missing");
}

TEST(error, hierarchy) {
  try {
    throw schema_error("x");
  } catch (const error& e) {
    SUCCEED();
    return;
  }
  FAIL() << "schema_error is not a khuyenhoc::error";
}
