#pragma once
/// \file pool.hpp
/// The pool of nominees: an immutable columnar table. One contiguous buffer per column, a
/// validity mask per column, dictionary-encoded categories, and an id column with a hash index.
/// Rows are addressed by position (`std::uint32_t`). Copies of a pool or a column are cheap
/// (buffers are shared) and safe to read from many threads.

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "khuyenhoc/error.hpp"

namespace khuyenhoc {

/// The kinds of column a pool holds.
enum class column_type : std::uint8_t {
  number,         ///< double; NaN is missing
  integer,        ///< int64 with a validity mask
  boolean,        ///< uint8 0/1 with a validity mask
  date,           ///< days since 1970-01-01 (int32) with a validity mask, optionally with
                  ///< times of day (seconds since midnight, Vietnam's wall clock)
  category,       ///< dictionary-encoded UTF-8; code -1 is missing
  text,           ///< free UTF-8 text (names, notes)
  category_list,  ///< a list of dictionary-encoded UTF-8 items per row (prizes, documents)
};

/// "number", "integer", "boolean", "date", "category", "text", "list".
[[nodiscard]] std::string_view to_string(column_type type) noexcept;
/// Inverse of to_string (also accepts "float", "int", "bool", "string", "category_list").
/// \throws spec_error for an unknown name.
[[nodiscard]] column_type parse_column_type(std::string_view name);

/// Days since 1970-01-01, the unit of numpy's datetime64[D].
using day_number = std::int32_t;

/// Converts a (non-special) Boost date to a day number.
[[nodiscard]] inline day_number to_day_number(boost::gregorian::date d) {
  static const boost::gregorian::date epoch(1970, 1, 1);
  return static_cast<day_number>((d - epoch).days());
}
/// Converts a day number back to a Boost date.
[[nodiscard]] inline boost::gregorian::date from_day_number(day_number n) {
  static const boost::gregorian::date epoch(1970, 1, 1);
  return epoch + boost::gregorian::date_duration(n);
}

/// A read-only array of T that either owns its storage or borrows it from another owner
/// (e.g. a numpy array) kept alive by `owner`. Copying shares the storage.
template <class T>
class buffer {
 public:
  buffer() = default;
  /// Takes ownership of `values`.
  explicit buffer(std::vector<T> values) {
    auto holder = std::make_shared<std::vector<T>>(std::move(values));
    data_ = holder->data();
    size_ = holder->size();
    owner_ = std::move(holder);
  }
  /// Borrows `size` elements at `data`, kept valid for as long as `owner` lives.
  buffer(const T* data, std::size_t size, std::shared_ptr<const void> owner)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const T> span() const noexcept { return {data_, size_}; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] const T* begin() const noexcept { return data_; }
  [[nodiscard]] const T* end() const noexcept { return data_ + size_; }
  /// The object that keeps the storage alive (for exporting views, e.g. to numpy).
  [[nodiscard]] const std::shared_ptr<const void>& owner() const noexcept { return owner_; }

 private:
  std::shared_ptr<const void> owner_;
  const T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// One typed column of a pool. Immutable; build it with the static factories, which validate
/// their arguments (lengths, codes in range) and throw `data_error` naming the column.
class column {
 public:
  /// Values with NaN as missing (the validity mask is derived).
  static column number(std::string name, buffer<double> values);
  /// Integers; `valid` empty means all present.
  static column integer(std::string name, buffer<std::int64_t> values,
                        std::vector<std::uint8_t> valid = {});
  /// Booleans stored as 0/1; `valid` empty means all present.
  static column boolean(std::string name, std::vector<std::uint8_t> values,
                        std::vector<std::uint8_t> valid = {});
  /// Dates as day numbers; `valid` empty means all present. `seconds`, when not empty, gives
  /// each row's time of day (seconds since midnight, 0..86399, on Vietnam's wall clock: a
  /// datetime from pandas or Arrow); empty means dates only.
  /// \throws data_error for a time of day out of range or a length that differs.
  static column date(std::string name, std::vector<day_number> values,
                     std::vector<std::uint8_t> valid = {}, std::vector<std::int32_t> seconds = {});
  /// Categories: `codes[i]` indexes `dictionary`, -1 is missing. Dictionary entries must be
  /// distinct. `ordered`: the dictionary's order is the values' order, worst (lowest) first —
  /// as pandas' ordered Categorical and Arrow's ordered dictionary — so that rules may compare
  /// the values with <, <=, >, >= (`conduct >= "Khá"`).
  static column category(std::string name, std::vector<std::int32_t> codes,
                         std::vector<std::string> dictionary, bool ordered = false);
  /// Text values; `valid` empty means all present.
  static column text(std::string name, const std::vector<std::string>& values,
                     std::vector<std::uint8_t> valid = {});
  /// Text from a blob: row i is `blob[offsets[i], offsets[i+1])`; offsets has size()+1 items.
  static column text(std::string name, std::string blob, std::vector<std::uint64_t> offsets,
                     std::vector<std::uint8_t> valid = {});
  /// Lists of categories: row i holds `codes[offsets[i], offsets[i+1])`; offsets has size()+1
  /// items. A missing row (valid 0) is different from an empty list.
  static column category_list(std::string name, std::vector<std::uint32_t> offsets,
                              std::vector<std::int32_t> codes, std::vector<std::string> dictionary,
                              std::vector<std::uint8_t> valid = {});

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] column_type type() const noexcept { return type_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// 1 where the row has a value, 0 where it is missing; size() items.
  [[nodiscard]] std::span<const std::uint8_t> validity() const noexcept { return valid_.span(); }
  [[nodiscard]] bool is_valid(std::size_t row) const noexcept { return valid_[row] != 0; }
  /// Number of missing rows. O(1).
  [[nodiscard]] std::size_t null_count() const noexcept { return null_count_; }

  /// Typed access; each throws `schema_error` when the column is of another type.
  [[nodiscard]] std::span<const double> numbers() const;
  [[nodiscard]] std::span<const std::int64_t> integers() const;
  [[nodiscard]] std::span<const std::uint8_t> booleans() const;
  [[nodiscard]] std::span<const day_number> dates() const;
  /// True for a date column that holds times of day (a datetime column).
  [[nodiscard]] bool has_times() const noexcept { return !seconds_.empty(); }
  /// Times of day of a date column (seconds since midnight; empty when it has none).
  [[nodiscard]] std::span<const std::int32_t> seconds_of_day() const;
  /// Category codes (category columns) or list item codes (category_list columns).
  [[nodiscard]] std::span<const std::int32_t> codes() const;
  /// List offsets (category_list) or text offsets are separate: see list_offsets/text_offsets.
  [[nodiscard]] std::span<const std::uint32_t> list_offsets() const;
  [[nodiscard]] std::span<const std::uint64_t> text_offsets() const;
  [[nodiscard]] std::string_view text_blob() const;
  /// Dictionary of a category or category_list column.
  [[nodiscard]] const std::vector<std::string>& dictionary() const;
  /// Code of `value` in the dictionary, or -1. O(1) average.
  [[nodiscard]] std::int32_t code_of(std::string_view value) const;
  /// True for a category column whose dictionary order is the values' order (worst first).
  [[nodiscard]] bool ordered() const noexcept { return ordered_; }
  /// This category column ordered by `scale` (worst first): the dictionary becomes `scale`
  /// (codes re-mapped; values of the scale that no row holds are kept, so the order is whole).
  /// O(rows + dictionary).
  /// \throws schema_error for a column that is not a category, spec_error for an empty scale
  /// or a value written twice in it, data_error naming the values of the column (and the first
  /// row holding each, named by `describe_row`, default "row r+1") that the scale lacks.
  [[nodiscard]] column with_order(
      const std::vector<std::string>& scale,
      const std::function<std::string(std::size_t)>& describe_row = {}) const;

  /// Text of row `row` of a text column ("" when missing).
  [[nodiscard]] std::string_view text_at(std::size_t row) const;
  /// Item codes of row `row` of a category_list column.
  [[nodiscard]] std::span<const std::int32_t> list_at(std::size_t row) const;
  /// Category string of row `row` of a category column ("" when missing).
  [[nodiscard]] std::string_view category_at(std::size_t row) const;

  /// The value of `row` written as in a CSV cell: "" when missing, numbers in shortest
  /// round-trip form, dates as ISO yyyy-mm-dd (with a time of day: "yyyy-mm-dd HH:MM", or
  /// "yyyy-mm-dd HH:MM:SS" when the seconds are not 0), booleans true/false, lists joined by '|'.
  [[nodiscard]] std::string format(std::size_t row) const;

  /// Shared storage of the column's main values, for zero-copy export.
  [[nodiscard]] const std::shared_ptr<const void>& values_owner() const noexcept;

  /// A copy with another name (storage shared).
  [[nodiscard]] column renamed(std::string name) const;

 private:
  column() = default;
  void finish_validity(std::vector<std::uint8_t> valid);
  void require(column_type t) const;
  void build_dictionary_index();

  std::string name_;
  column_type type_ = column_type::number;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
  buffer<std::uint8_t> valid_;
  buffer<double> numbers_;
  buffer<std::int64_t> integers_;
  buffer<std::uint8_t> booleans_;
  buffer<day_number> dates_;
  buffer<std::int32_t> seconds_;
  buffer<std::int32_t> codes_;
  buffer<std::uint32_t> list_offsets_;
  buffer<std::uint64_t> text_offsets_;
  std::shared_ptr<const std::string> text_blob_;
  std::shared_ptr<const std::vector<std::string>> dictionary_;
  std::shared_ptr<const std::unordered_map<std::string_view, std::int32_t>> dictionary_index_;
  bool ordered_ = false;
};

/// The nominee pool: named columns of equal length, one of them the id column (text) whose
/// values are unique and non-empty. Immutable and cheap to copy.
class pool {
 public:
  pool() = default;
  /// Builds a pool.
  /// \throws schema_error if column names repeat, lengths differ, or `id_column` is absent.
  /// \throws data_error listing the duplicate or empty ids (up to 20 of each, with row numbers).
  /// An integer or category id column is converted to text. `describe_row(r)` names row r in
  /// messages (default "row r+1"; readers pass e.g. "line 1834").
  pool(std::vector<column> columns, std::string_view id_column,
       const std::function<std::string(std::size_t)>& describe_row = {});

  /// Number of rows (nominees).
  [[nodiscard]] std::size_t size() const noexcept { return rows_; }
  [[nodiscard]] std::size_t column_count() const noexcept { return columns_.size(); }
  [[nodiscard]] const std::vector<column>& columns() const noexcept { return columns_; }
  [[nodiscard]] std::vector<std::string> column_names() const;
  /// The column named `name`.
  /// \throws schema_error naming the closest existing columns.
  [[nodiscard]] const column& operator[](std::string_view name) const;
  /// The column named `name`, or nullptr.
  [[nodiscard]] const column* find(std::string_view name) const noexcept;
  /// Up to `n` existing column names closest to `name` (edit distance), best first; names of
  /// unread_columns() count too (a misspelt column is suggested whether it was read or not).
  [[nodiscard]] std::vector<std::string> closest_columns(std::string_view name,
                                                         std::size_t n = 3) const;
  /// The source's columns that were not read (csv_options::columns), in file order; empty for
  /// a pool read whole or built in memory.
  [[nodiscard]] const std::vector<std::string>& unread_columns() const noexcept;
  /// This pool, recording `names` as its source's columns that were not read.
  [[nodiscard]] pool with_unread_columns(std::vector<std::string> names) const;

  [[nodiscard]] const std::string& id_name() const noexcept { return id_name_; }
  [[nodiscard]] const column& id_column() const { return columns_[id_index_]; }
  /// Id of row `row`.
  [[nodiscard]] std::string_view id(std::size_t row) const { return id_column().text_at(row); }
  /// Row holding `id`, if any. O(log n).
  [[nodiscard]] std::optional<std::uint32_t> row_of(std::string_view id) const;

  /// A pool with `c` added, or replacing the column of the same name (not the id column).
  [[nodiscard]] pool with_column(column c) const;
  /// A pool whose category column `name` is ordered by `scale`, worst first (see
  /// column::with_order). \throws schema_error for an unknown column (with "did you mean"),
  /// and column::with_order's errors.
  [[nodiscard]] pool with_order(std::string_view name, const std::vector<std::string>& scale) const;
  /// The rows at `rows`, in that order (e.g. a shard). Ids must stay unique.
  [[nodiscard]] pool take(std::span<const std::uint32_t> rows) const;

 private:
  std::vector<column> columns_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::size_t rows_ = 0;
  std::size_t id_index_ = 0;
  std::string id_name_;
  // Open-addressing hash table of the ids, at most 3/4 full (id_mask_ + 1 slots, a power of
  // two): per slot the id hash's high 32 bits << 32 | row + 1 (0: empty). 8 bytes a slot,
  // 11-21 bytes a nominee; shared by copies of the pool.
  std::shared_ptr<const std::uint64_t> id_slots_;
  std::size_t id_mask_ = 0;
  std::shared_ptr<const std::vector<std::string>> unread_;  // see unread_columns (null: none)
};

/// Levenshtein distance over Unicode code points (for "did you mean" suggestions).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace khuyenhoc
