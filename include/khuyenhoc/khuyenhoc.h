/* khuyenhoc.h: the stable C ABI of khuyenhoc (C99, no C++ types), for school-management
 * systems written in C, C#/.NET (P/Invoke), Java (JNA/FFM), PHP (FFI), Python (ctypes), Go
 * (cgo) ... It is a thin door on the C++ library's selection pipeline (run.hpp): the same inputs
 * give the same result bytes as the CLI and Python.
 *
 * Conventions (docs/c_api.md has the whole story and a complete example):
 *  - Every function returns a kh_status (KH_OK == 0), except the *_free functions, which take
 *    NULL and return nothing, and the getters of the version and of the last error.
 *  - On failure, kh_last_error() gives the message of this thread's last failed call, with its
 *    location ("file:line:column: message") where there is one; kh_last_error_file/line/column
 *    give the location's parts. A successful call does not clear it.
 *  - Objects are opaque handles created by kh_*_load/parse/new/... and released by kh_*_free.
 *    A handle may be read from several threads at once; kh_spec_set* modifies its spec and must
 *    not run concurrently with another use of that spec.
 *  - Strings are UTF-8 and NUL-terminated. Strings returned through `const char**` are owned by
 *    the handle they come from and valid until it is freed.
 *  - Texts (CSV, report, summary) are copied into caller buffers: pass buf = NULL (or cap = 0)
 *    to get the size in *len (bytes, without the terminating NUL); with cap > *len the text and a
 *    NUL are copied; otherwise KH_ERR_BUFFER_TOO_SMALL is returned with *len set.
 *  - Indexes are 0-based; an index out of range is KH_ERR_ARGUMENT.
 *
 * ABI: only the functions below are exported (libkhuyenhoc_c.so.KH_ABI_VERSION); structs here
 * are never changed once released (new needs get new functions), and KH_ABI_VERSION changes
 * when an existing function or struct changes incompatibly. Functions added after the first
 * release carry the symbol version of the release that added them (KHUYENHOC_C_1.1: the Arrow
 * streams); the library's minor version says which are present.
 *
 * Arrow: pools and results go in and out as Arrow C Stream Interface streams (the structs of
 * the Arrow specification, below, as every Arrow implementation defines them): pyarrow, Arrow
 * Java/C#/Go through their C bridges, nanoarrow, DuckDB, polars. Numeric buffers are shared, not
 * copied (docs/interop.md has the type mapping).
 */
#ifndef KHUYENHOC_H
#define KHUYENHOC_H

#include <stddef.h>
#include <stdint.h>

/* The library version this header belongs to (kh_version() gives the loaded library's). */
#define KH_VERSION_MAJOR 0
#define KH_VERSION_MINOR 1
#define KH_VERSION_PATCH 0
#define KH_VERSION_STRING "0.1.0"
/* The C ABI version: the SONAME is libkhuyenhoc_c.so.<KH_ABI_VERSION>. */
#define KH_ABI_VERSION 1

#if defined(_WIN32)
#if defined(KHUYENHOC_C_BUILDING)
#define KH_API __declspec(dllexport)
#else
#define KH_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define KH_API __attribute__((visibility("default")))
#else
#define KH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the Arrow C Data Interface and C Stream Interface, verbatim from the Arrow spec ------- */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  /* Array type description */
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  /* Release callback */
  void (*release)(struct ArrowSchema*);
  /* Opaque producer-specific data */
  void* private_data;
};

struct ArrowArray {
  /* Array data description */
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  /* Release callback */
  void (*release)(struct ArrowArray*);
  /* Opaque producer-specific data */
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  /* Callbacks providing stream functionality */
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  /* Release callback */
  void (*release)(struct ArrowArrayStream*);

  /* Opaque producer-specific data */
  void* private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---- status and errors ------------------------------------------------------------------- */

/** What a call returned. The values never change; new ones may be added. */
typedef enum kh_status {
  KH_OK = 0,
  KH_ERR_PARSE = 1,     /* malformed text: CSV, YAML, a rule, a time expression */
  KH_ERR_SCHEMA = 2,    /* unknown column, wrong type */
  KH_ERR_SPEC = 3,      /* invalid criteria, rules or selection options (all listed) */
  KH_ERR_DATA = 4,      /* invalid values: duplicate ids, a date that does not exist */
  KH_ERR_IO = 5,        /* a file could not be read or written */
  KH_ERR_LIMIT = 6,     /* a resource limit of the library was reached */
  KH_ERR_ERROR = 7,     /* another error of the library */
  KH_ERR_ARGUMENT = 8,  /* a NULL handle or pointer, an index out of range, an unknown key */
  KH_ERR_NO_MEMORY = 9, /* out of memory */
  KH_ERR_BUFFER_TOO_SMALL = 10, /* the text did not fit; *len has its size */
  KH_ERR_INTERNAL = 11          /* a bug: please report it with kh_last_error() */
} kh_status;

/** The name of a status ("KH_OK", "KH_ERR_PARSE", ...); never NULL. */
KH_API const char* kh_status_name(kh_status status);
/** This thread's last error message ("" when none); valid until this thread's next call. */
KH_API const char* kh_last_error(void);
/** The file of the last error's location ("" when none or not a file). */
KH_API const char* kh_last_error_file(void);
/** The 1-based line of the last error's location (0: unknown). */
KH_API size_t kh_last_error_line(void);
/** The 1-based column (in characters) of the last error's location (0: unknown). */
KH_API size_t kh_last_error_column(void);

/* ---- version ----------------------------------------------------------------------------- */

/** The loaded library's version, e.g. "0.1.0". */
KH_API const char* kh_version(void);
/** The loaded library's C ABI version (KH_ABI_VERSION it was built with). */
KH_API int kh_abi_version(void);

/* ---- handles ----------------------------------------------------------------------------- */

typedef struct kh_pool kh_pool;         /* nominees: one row per nominee, typed columns */
typedef struct kh_criteria kh_criteria; /* a criteria set scoring nominees */
typedef struct kh_rules kh_rules;       /* an eligibility rule set */
typedef struct kh_spec kh_spec;         /* a selection specification (run_spec) */
typedef struct kh_prepared kh_prepared; /* a spec checked against a pool schema */
typedef struct kh_result kh_result;     /* the outcome of one run */
typedef struct kh_plan kh_plan;         /* a dated plan (kế hoạch) */
typedef struct kh_findings kh_findings; /* the findings of a plan check */
typedef struct kh_holidays kh_holidays; /* the days off of a year */

/* ---- pools ------------------------------------------------------------------------------- */

/** Reads a pool from a CSV file (',' ';' or tab, UTF-8 with or without BOM); `id_column` NULL
 * means "id". */
KH_API kh_status kh_pool_read_csv(const char* path, const char* id_column, kh_pool** out);
/** Reads a pool from CSV text of `len` bytes; `source` names it in errors (NULL: "<string>"). */
KH_API kh_status kh_pool_read_csv_text(const char* text, size_t len, const char* id_column,
                                       const char* source, kh_pool** out);
/** Reads a pool from an Arrow stream of record batches (all batches, in order), e.g. from
 * pyarrow's RecordBatchReader._export_to_c or Arrow Java's Data.exportArrayStream. The stream
 * is consumed: it is released by this call whether it succeeds or not (its release callback is
 * NULL afterwards). `id_column` NULL means "id". `infer_categories` non-zero: plain string
 * columns with few distinct values become categories (as the CSV reader decides); 0 keeps them
 * text. Dictionary-encoded strings are categories (ordered dictionaries stay ordered); float64
 * and int64 buffers of a single batch are shared, not copied. A type with no pool column type
 * is KH_ERR_SCHEMA naming the column, a value out of range KH_ERR_DATA naming row and column.
 * Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_pool_from_arrow_stream(struct ArrowArrayStream* stream, const char* id_column,
                                           int infer_categories, kh_pool** out);
/** Exports the pool as an Arrow stream of one record batch into `*out` (which must not hold a
 * live stream). The caller owns the stream and calls its release; the stream keeps the pool's
 * storage alive, so the pool may be freed first. Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_pool_to_arrow_stream(const kh_pool* pool, struct ArrowArrayStream* out);
/** Number of rows (nominees) and of columns. */
KH_API kh_status kh_pool_size(const kh_pool* pool, size_t* rows, size_t* columns);
KH_API void kh_pool_free(kh_pool* pool);

/* ---- criteria and rules ------------------------------------------------------------------ */

/** Reads a criteria set from a YAML or JSON file. */
KH_API kh_status kh_criteria_load(const char* path, kh_criteria** out);
/** Parses a criteria set from YAML/JSON text of `len` bytes; `source` names it in errors. */
KH_API kh_status kh_criteria_parse(const char* text, size_t len, const char* source,
                                   kh_criteria** out);
KH_API void kh_criteria_free(kh_criteria* criteria);

/** Reads a rule set from a YAML or JSON file. */
KH_API kh_status kh_rules_load(const char* path, kh_rules** out);
/** Parses a rule set from YAML/JSON text of `len` bytes; `source` names it in errors. */
KH_API kh_status kh_rules_parse(const char* text, size_t len, const char* source, kh_rules** out);
KH_API void kh_rules_free(kh_rules* rules);

/* ---- selection specification -------------------------------------------------------------- */

/** A new specification: no criteria, no rules (everyone eligible), the default policy. */
KH_API kh_status kh_spec_new(kh_spec** out);
/** Sets the criteria set (copied: `criteria` may be freed afterwards). */
KH_API kh_status kh_spec_set_criteria(kh_spec* spec, const kh_criteria* criteria);
/** Sets the rule set (copied); NULL removes it. */
KH_API kh_status kh_spec_set_rules(kh_spec* spec, const kh_rules* rules);
/** Sets one option by the name of the CLI flag of `khuyenhoc select` (without "--"; '_' may be
 * written for '-', as selection_policy's fields are named), its value as text as on the command
 * line: seats, per, mode, method, weights, weigh-eligible, fixed, group-min, group-max,
 * cap-share, cap-base, min-score, ties, order (each call appends a tie-breaker; an empty value
 * clears them), levels, seed, threads, title, organisation, governing-body, place, date,
 * name-column, report-time. An unknown key is KH_ERR_ARGUMENT, a bad value KH_ERR_SPEC. */
KH_API kh_status kh_spec_set(kh_spec* spec, const char* key, const char* value);
/** Names an input file in the report, with its SHA-256 (role: "pool", "criteria", "rules"...);
 * result files are never written over these files. */
KH_API kh_status kh_spec_add_input(kh_spec* spec, const char* role, const char* path);
KH_API void kh_spec_free(kh_spec* spec);

/* ---- running ----------------------------------------------------------------------------- */

/** Checks `spec` against the columns of `schema` (its rows are not read). Every problem is
 * reported at once: the error text lists each with its location (KH_ERR_SPEC). */
KH_API kh_status kh_prepare(const kh_spec* spec, const kh_pool* schema, kh_prepared** out);
/** Number of warnings from compiling the rule set, and warning `i`. */
KH_API kh_status kh_prepared_warning_count(const kh_prepared* prepared, size_t* count);
KH_API kh_status kh_prepared_warning(const kh_prepared* prepared, size_t i, const char** message);
/** Scores, checks the rules, ranks and selects every row of `pool` (same columns as prepared). */
KH_API kh_status kh_execute(const kh_prepared* prepared, const kh_pool* pool, kh_result** out);
KH_API void kh_prepared_free(kh_prepared* prepared);

/* ---- results ----------------------------------------------------------------------------- */

/** Number of nominees (rows, in pool order) and of those selected. */
KH_API kh_status kh_result_size(const kh_result* result, size_t* rows, size_t* selected);
/** Row `i`: id, group ("" without groups), status ("selected", "ineligible", "no_score",
 * "below_minimum", "outside_quota", "tied_out", "capped"), level ("" when not selected) and reason
 * (Vietnamese). */
KH_API kh_status kh_result_id(const kh_result* result, size_t i, const char** id);
KH_API kh_status kh_result_group(const kh_result* result, size_t i, const char** group);
KH_API kh_status kh_result_status(const kh_result* result, size_t i, const char** status);
KH_API kh_status kh_result_level(const kh_result* result, size_t i, const char** level);
KH_API kh_status kh_result_reason(const kh_result* result, size_t i, const char** reason);
/** Row `i`: 1 when selected, else 0. */
KH_API kh_status kh_result_selected(const kh_result* result, size_t i, int* selected);
/** Row `i`: rank among ranked rows and within its group (1-based; 0 when not ranked). */
KH_API kh_status kh_result_rank(const kh_result* result, size_t i, uint32_t* rank,
                                uint32_t* group_rank);
/** Row `i`: total score and points missing to the cut-off (NaN: none / not applicable). */
KH_API kh_status kh_result_score(const kh_result* result, size_t i, double* score, double* gap);
/** Writes the result CSV and, when `report_path` is not NULL or "", the HTML report, together
 * and atomically (both or neither replace existing files); never over an input file. */
KH_API kh_status kh_result_write(const kh_result* result, const char* csv_path,
                                 const char* report_path);
/** The result CSV, the HTML report, the text summary and the JSON summary (counts, seats and
 * cut-offs per group and level, the funnel of the rules) into a caller buffer (see above). */
KH_API kh_status kh_result_csv(const kh_result* result, char* buf, size_t cap, size_t* len);
KH_API kh_status kh_result_report_html(const kh_result* result, char* buf, size_t cap, size_t* len);
KH_API kh_status kh_result_summary(const kh_result* result, char* buf, size_t cap, size_t* len);
KH_API kh_status kh_result_summary_json(const kh_result* result, char* buf, size_t cap,
                                        size_t* len);
/** The result table as an Arrow stream of one record batch, one row per nominee in pool order:
 * id, group, score, rank, group_rank, selected, level, status, gap, reason (and classification
 * when scored by a criteria set), as the result CSV. The caller owns `*out` and calls its
 * release; the stream keeps the result's storage alive. Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_result_to_arrow_stream(const kh_result* result, struct ArrowArrayStream* out);
/** The scores as an Arrow stream: id, total, level, level_name, unclassifiable, reason,
 * mandatory_met, subtotal.<criterion>, points.<indicator> (KH_ERR_ARGUMENT when the run had no
 * criteria set). Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_result_scores_to_arrow_stream(const kh_result* result,
                                                  struct ArrowArrayStream* out);
/** The rule verdicts as an Arrow stream: id, eligible, one status column per rule (pass, fail,
 * unknown, not_applicable), one per decision table, reasons (KH_ERR_ARGUMENT when the run had no
 * rule set). Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_result_verdicts_to_arrow_stream(const kh_result* result,
                                                    struct ArrowArrayStream* out);
KH_API void kh_result_free(kh_result* result);

/* ---- dates, time expressions, lunar calendar, holidays ------------------------------------ */

/** A solar (Gregorian) date. */
typedef struct kh_date {
  int year;
  int month; /* 1..12 */
  int day;   /* 1..31 */
} kh_date;

/** A lunar date of the Vietnamese calendar (UTC+7); leap = 1 in the intercalary month. */
typedef struct kh_lunar_date {
  int year;
  int month;
  int day;
  int leap;
} kh_lunar_date;

/** Granularity of a time expression. The values are fixed by the ABI: new ones are added at
 * the end (KH_GRANULARITY_WEEK, "Tuần 2 tháng 10", came after YEAR). */
typedef enum kh_granularity {
  KH_GRANULARITY_DAY = 0,
  KH_GRANULARITY_PART_OF_MONTH = 1,
  KH_GRANULARITY_MONTH = 2,
  KH_GRANULARITY_QUARTER = 3,
  KH_GRANULARITY_YEAR = 4,
  KH_GRANULARITY_WEEK = 5
} kh_granularity;

/** A parsed time expression: the inclusive days [start, end], either side possibly open. */
typedef struct kh_time_expr {
  int has_start; /* 0: open start ("trước ngày 30/11") */
  kh_date start;
  int has_end; /* 0: open end ("Từ 15/10") */
  kh_date end;
  int granularity; /* a kh_granularity */
  int tentative;   /* "(Dự kiến)" */
  int open_ended;
  int recurring; /* "hàng năm" */
  int approximate;
  int deadline;
} kh_time_expr;

/** Parses a Vietnamese time expression ("27/8 - 10/9", "Quý 1/2024", "cuối tháng 10"...);
 * `year` completes dates written without one (0: the text must give every year). Errors are
 * KH_ERR_PARSE with the column of the offending part. */
KH_API kh_status kh_parse_time(const char* text, int year, kh_time_expr* out);
/** Solar → lunar (years 1800..2199) and lunar → solar (KH_ERR_DATA if it does not exist). */
KH_API kh_status kh_solar_to_lunar(kh_date solar, kh_lunar_date* out);
KH_API kh_status kh_lunar_to_solar(kh_lunar_date lunar, kh_date* out);
/** Vietnam's public holidays of a solar year (days off by rule and substitute days, sorted). */
KH_API kh_status kh_holidays_of_year(int year, kh_holidays** out);
KH_API kh_status kh_holidays_count(const kh_holidays* holidays, size_t* count);
/** Day off `i`: its date, Vietnamese and English names, 1 when it is a substitute day. */
KH_API kh_status kh_holiday(const kh_holidays* holidays, size_t i, kh_date* date,
                            const char** name_vi, const char** name_en, int* substitute);
KH_API void kh_holidays_free(kh_holidays* holidays);

/* ---- plans ------------------------------------------------------------------------------- */

/** Reads a plan from a file. `format`: "yaml", "csv", "table" (the task table copied out of a
 * document) or NULL/"auto" (by extension: .yaml/.yml, .txt/.md/.tsv as a table, else CSV).
 * `year` completes dates without a year (required except for YAML, which may give it; 0: none).
 */
KH_API kh_status kh_plan_load(const char* path, const char* format, int year, kh_plan** out);
/** Number of tasks. */
KH_API kh_status kh_plan_size(const kh_plan* plan, size_t* tasks);
/** Checks the schedule with Vietnam's calendar and the default options (docs/plans.md). */
KH_API kh_status kh_plan_check(const kh_plan* plan, kh_findings** out);
KH_API void kh_plan_free(kh_plan* plan);

/** One finding; its strings belong to the kh_findings handle. */
typedef struct kh_finding {
  const char* severity; /* "error", "warning", "info" */
  const char* kind;     /* "overlap", "overload", "invalid_time", ... (docs/plans.md) */
  const char* tasks;    /* ids of the tasks involved, comma-separated, in plan order */
  const char* subject;  /* the unit or resource concerned, "" if none */
  const char* message_vi;
  const char* message_en;
  const char* file; /* location of the first task */
  size_t line;
  size_t column;
  int has_first;
  kh_date first; /* first day concerned */
  int has_last;
  kh_date last; /* last day concerned */
  double load;  /* peak load (overload and conflicts), else 0 */
} kh_finding;

/** Number of findings, and of those with severity "error". */
KH_API kh_status kh_findings_count(const kh_findings* findings, size_t* count, size_t* errors);
KH_API kh_status kh_finding_get(const kh_findings* findings, size_t i, kh_finding* out);
/** The findings as an Arrow stream, one row per finding in order: finding ("1", "2", ...),
 * severity, kind, first, last (dates), tasks (list), subject, load, message_vi, message_en,
 * file, line. Since KHUYENHOC_C_1.1. */
KH_API kh_status kh_findings_to_arrow_stream(const kh_findings* findings,
                                             struct ArrowArrayStream* out);
KH_API void kh_findings_free(kh_findings* findings);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KHUYENHOC_H */
