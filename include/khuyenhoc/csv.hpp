#pragma once
/// \file csv.hpp
/// Reading and writing pools as CSV (RFC 4180), as Vietnamese offices export them: UTF-8 with or
/// without BOM, comma or semicolon separated (with semicolons, a decimal comma "9,1"), NFC or NFD
/// diacritics (normalised to NFC), dates as dd/mm/yyyy or yyyy-mm-dd, list cells split on '|'
/// (or ';'). Every row of the file becomes a row of the pool; nothing is dropped or coerced
/// silently: a value that does not fit its column's type is an error naming file, line, column
/// and value.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "khuyenhoc/pool.hpp"

namespace khuyenhoc {

/// Options for read_csv. Defaults read what Vietnamese spreadsheets export.
struct csv_options {
  /// Name of the id column (unique, non-empty values; read as text).
  std::string id_column = "id";
  /// Field separator; 0 detects ',' or ';' from the header line.
  char separator = 0;
  /// Decimal mark; 0 means ',' when the separator is ';', else '.'.
  char decimal = 0;
  /// The columns to read (by header name, NFC or NFD); empty: all. The id column is always
  /// read. The other columns are still split into fields, so every record's field count and
  /// the whole text (UTF-8, no NUL byte) are checked as usual, but their cells are neither
  /// converted nor kept (nor checked against their type): the pool has only these columns, in
  /// the file's order. A name the header lacks is a schema_error, unless
  /// `ignore_missing_columns`. Like pandas' `usecols` and polars' projection pushdown: the
  /// selection pipeline reads only what a run uses (run_spec::pool_columns).
  std::vector<std::string> columns{};
  /// With `columns`: names the header lacks are left out silently (whatever needs them reports
  /// it, e.g. prepared_run::prepare naming the missing column).
  bool ignore_missing_columns = false;
  /// Explicit types by column name; columns not named here are inferred.
  std::vector<std::pair<std::string, column_type>> schema{};
  /// Cells (after trimming nothing) that mean "missing".
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "null", "NULL"};
  /// Characters separating items in list cells (category_list columns).
  std::string list_separators = "|;";
  /// Inference: a text column with at most this share of distinct values becomes a category.
  double category_max_ratio = 0.5;
  /// Most lines one quoted field may span. A quote left open (or closed far later) swallows
  /// separators and line breaks and merges records; past this many lines it is a parse_error at
  /// the line where the quote opened. 0: no limit.
  std::size_t max_field_lines = 4;
  /// What to do with a column whose cells are numbers except some that only look like numbers
  /// ("1e999" out of range, " 8,5 " with blanks, "8.75" among "9,1" in a ';' file):
  /// `error` (default) raises data_error at the first such cell; `text` reads the column as
  /// text/category and calls `warning` with a message naming that cell.
  enum class mixed_policy : std::uint8_t { error, text };
  mixed_policy mixed_columns = mixed_policy::error;
  /// Receives warnings (located messages), from the calling thread. May be empty.
  std::function<void(const std::string&)> warning{};
  /// Refuse a file larger than this many bytes with limit_error before reading it (0: no
  /// limit). A guard for services reading files they did not write.
  std::uint64_t max_bytes = 0;
  /// Threads reading and converting (0: hardware concurrency). Results do not depend on it.
  unsigned threads = 0;
  /// Called with (bytes done, bytes total) while reading, for progress displays; may be empty.
  /// Called on the calling thread only, with `done` never decreasing; the last call has
  /// done == total.
  std::function<void(std::size_t, std::size_t)> progress{};
  /// Size in bytes of the chunks the rows are split into and read in parallel (0: 4 MB). For
  /// tests of chunk boundaries; results do not depend on it.
  std::size_t chunk_bytes = 0;
};

/// Column types as a user writes them for the CLI's `--schema`: `name: type` items separated by
/// commas or line breaks ("gpa:number,conduct:category", or a file of `gpa: number` lines;
/// blank lines and `#` comments are skipped). Types as parse_column_type reads them.
/// \throws spec_error naming `source` and the line of a malformed item or an unknown type.
[[nodiscard]] std::vector<std::pair<std::string, column_type>> parse_schema(
    std::string_view text, std::string_view source = "--schema");

/// Reads a CSV file into a pool.
/// \throws parse_error (malformed CSV, invalid UTF-8, a NUL byte, wrong field count, a quoted
///         field over max_field_lines lines, text after a closing quote: file:line[:column]),
///         data_error (a value not of its column's type; duplicate or empty ids),
///         schema_error (unknown id column, duplicate header names), io_error (file missing or
///         unreadable), limit_error (file larger than options.max_bytes).
/// Complexity: O(file size). A regular file is memory-mapped and read in chunks on
/// options.threads threads, its pages released as they are read, so the whole text is never
/// resident; the result and the error reported (the first in file order) do not depend on
/// the thread count or chunk size.
[[nodiscard]] pool read_csv(const std::string& path, const csv_options& options = {});

/// Reads CSV text already in memory; `name` is used in error locations.
[[nodiscard]] pool read_csv_text(std::string_view text, const csv_options& options = {},
                                 std::string_view name = "<string>");

/// Options for write_csv.
struct csv_write_options {
  char separator = ',';
  /// Decimal mark for numbers (use ',' with separator ';' for Vietnamese spreadsheets).
  char decimal = '.';
  /// Dates as "iso" (yyyy-mm-dd) or "vn" (dd/mm/yyyy).
  bool vietnamese_dates = false;
  /// Write a UTF-8 byte-order mark (Excel opens such files as UTF-8).
  bool bom = false;
};

/// Writes the pool as CSV text: a header, then one line per row, quoting as RFC 4180 needs.
[[nodiscard]] std::string write_csv_text(const pool& p, const csv_write_options& options = {});

/// Writes the pool to a CSV file atomically (io.hpp): the previous file is replaced only once
/// the new one is written whole. \throws io_error when the file cannot be written.
void write_csv(const pool& p, const std::string& path, const csv_write_options& options = {});

/// Quotes one CSV field if it needs it (separator, quote, CR or LF inside).
[[nodiscard]] std::string csv_quote(std::string_view field, char separator = ',');

}  // namespace khuyenhoc
