#pragma once
/// \file arrow.hpp
/// Pools in and out through the Arrow C Data Interface (the C structs of the Arrow
/// specification; no Arrow C++ library needed). Any Arrow implementation — pyarrow, polars,
/// DuckDB, nanoarrow, arrow-rs, Arrow Java through its C bridge — can take a pool from
/// `export_arrow_stream` and hand one back through `import_arrow_stream`.
///
/// Type mapping (export → Arrow, import ← Arrow):
/// | pool column     | exported as                         | also imported from                 |
/// |-----------------|-------------------------------------|------------------------------------|
/// | number          | float64 (nulls where NaN)           | float32, float16 is refused        |
/// | integer         | int64                               | int8…int32, uint8…uint64 (range)   |
/// | boolean         | bool (bit-packed)                   |                                    |
/// | date            | date32                              | date64, timestamp (see below)      |
/// | category        | dictionary<int32, utf8>             | dictionary<any int, utf8/large/int>|
/// | text            | large_utf8                          | utf8, string_view                  |
/// | category_list   | list<dictionary<int32, utf8>>       | list/large_list of utf8/dictionary |
///
/// Buffers are shared without copies where the layouts agree: float64 and int64 values, date32
/// days, dictionary indices, text offsets and bytes, list offsets. Validity masks are packed
/// into Arrow's bitmaps (a copy of N/8 bytes) and booleans are bit-packed (N/8 bytes). The
/// exported arrays keep the pool's storage alive until their release callback runs, so the
/// pool may be destroyed first.
///
/// Timestamps: a timestamp with a time zone is an instant and becomes its calendar date in
/// Vietnam (Asia/Ho_Chi_Minh, with its historical offsets); a timestamp without a time zone is
/// a wall-clock time and keeps its date. Durations, intervals, decimals, binary and nested
/// types other than lists are refused with a `schema_error` naming the column and the format.

#include <cstdint>
#include <string>
#include <vector>

#include "khuyenhoc/pool.hpp"

// ---- The C Data Interface and C Stream Interface, verbatim from the Arrow specification ----
#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callbacks providing stream functionality
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE

#ifdef __cplusplus
}
#endif

namespace khuyenhoc {

/// The dates the library supports (Boost.Date_Time's range, 1400-01-01 to 9999-12-31) as day
/// numbers; importers refuse dates outside it with a located data_error.
inline constexpr day_number min_supported_day = -208'188;
inline constexpr day_number max_supported_day = 2'932'896;

/// Options of the Arrow importers.
struct arrow_import_options {
  /// Name of the id column (required; converted to text).
  std::string id_column = "id";
  /// Plain (not dictionary-encoded) string columns other than the id become categories when
  /// at most 16 values, or at most half the present values, are distinct (as `from_pandas` and
  /// the CSV reader do); false keeps them text. Dictionary-encoded columns are always
  /// categories, text stays text for the id column.
  bool infer_categories = true;
};

/// Exports the pool's schema as a struct ("+s") whose children are the columns, in order.
/// `out` must not hold a live schema; the caller owns the result and calls its `release`.
/// \throws std::bad_alloc only.
void export_arrow_schema(const pool& p, ArrowSchema* out);

/// Exports the whole pool as one struct array (a record batch) of `p.size()` rows. Shares the
/// pool's buffers (see the file comment); `out->release` drops the references. O(N) only for
/// the validity bitmaps and booleans, O(dictionary) for dictionaries.
void export_arrow_array(const pool& p, ArrowArray* out);

/// Exports the pool as a stream of one record batch (`get_next` then signals the end). The
/// stream holds a copy of the pool (shared storage); it may be consumed from any one thread.
void export_arrow_stream(const pool& p, ArrowArrayStream* out);

/// Builds a pool from a record batch: `schema` must be a struct ("+s") whose children name
/// the columns. Takes ownership of `array` (its release is called, now or when the last
/// column sharing its buffers goes) but not of `schema` (the caller releases it).
/// \throws schema_error for a type that has no pool counterpart (naming column and format),
///         data_error for a value out of range (naming row and column), and the pool
///         constructor's errors (duplicate or empty ids).
[[nodiscard]] pool import_arrow_array(const ArrowSchema* schema, ArrowArray* array,
                                      const arrow_import_options& options = {});

/// Reads a whole stream (all batches, concatenated in order) into a pool, then releases the
/// stream. With a single batch, float64 values (when null slots hold NaN, as in the pool's own
/// exports) and int64 values are shared, not copied.
/// \throws as import_arrow_array, and data_error with the producer's message when the stream
///         reports an error.
[[nodiscard]] pool import_arrow_stream(ArrowArrayStream* stream,
                                       const arrow_import_options& options = {});

/// Reads one column (not a table) from a stream whose schema is the column's own type, e.g. a
/// pyarrow ChunkedArray; all batches are concatenated. Types map as for tables; a plain string
/// column becomes a category under `options.infer_categories` (`id_column` is not used).
/// Releases the stream. \throws as import_arrow_stream.
[[nodiscard]] column import_arrow_column(ArrowArrayStream* stream, std::string name,
                                         const arrow_import_options& options = {});

/// Convenience: `import_arrow_stream(stream, {.id_column = id_column})`.
[[nodiscard]] pool import_arrow_stream(ArrowArrayStream* stream, std::string_view id_column);

// ---- Result tables as pools, so that every result leaves through the same Arrow door ----
class score_table;
class verdicts;
struct finding;

/// A score table as a pool, one row per nominee in pool order: the id column (shared), `total`,
/// `level` (category of level codes, missing when unclassifiable), `level_name`,
/// `unclassifiable`, `reason` (text, "" when classified), `mandatory_met`, then
/// `subtotal.<criterion id>` and `points.<indicator id>` (number columns sharing the table's
/// storage, no copy). O(N·(K + C)) only for the reasons.
/// 	hrows schema_error when two output names collide (an id column named like an output).
[[nodiscard]] pool to_pool(const score_table& table);

/// Verdicts as a pool, one row per nominee of `nominees` (the pool they were evaluated on):
/// the id column (shared), `eligible`, one category column per rule named by its id (pass,
/// fail, unknown, not_applicable), one column per decision-table output (number, or category
/// of labels), and `reasons` (the reasons of the rules the nominee did not pass, in rule
/// order, joined by "; ").
/// 	hrows schema_error when a rule id collides with another column name.
[[nodiscard]] pool to_pool(const verdicts& v, const pool& nominees);

/// Plan findings as a pool, one row per finding in their order, id column `finding` ("1",
/// "2", …): severity and kind (categories), first and last (dates), tasks (list), subject,
/// load, message_vi, message_en, file (text) and line (integer, missing when unknown).
[[nodiscard]] pool to_pool(const std::vector<finding>& findings);

}  // namespace khuyenhoc
