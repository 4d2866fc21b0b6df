/* The C ABI from C99: a real selection on examples/pool.csv with the honour-pupils criteria and
 * rules, the results read back, every text and file output, errors with their locations, time
 * expressions, the lunar calendar, holidays and a plan check; pools and results through Arrow
 * C streams, one of them produced here in C.
 * Usage: c_api_test SOURCE_DIR WORK_DIR */
#include <khuyenhoc/khuyenhoc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* A call that must succeed; on failure prints the library's error and stops. */
#define OK(call)                                                                               \
  do {                                                                                         \
    kh_status st_ = (call);                                                                    \
    if (st_ != KH_OK) {                                                                        \
      fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call, kh_status_name(st_), \
              kh_last_error());                                                                \
      exit(1);                                                                                 \
    }                                                                                          \
  } while (0)

static char* path_join(const char* dir, const char* rel) {
  size_t n = strlen(dir) + strlen(rel) + 2;
  char* p = (char*)malloc(n);
  if (p == NULL) exit(1);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

static char* slurp(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  char* buf;
  long n;
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (char*)malloc((size_t)n + 1);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(1);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void test_selection(const char* src, const char* work) {
  char* pool_path = path_join(src, "examples/pool.csv");
  char* criteria_path = path_join(src, "examples/criteria/honour_pupils.yaml");
  char* rules_path = path_join(src, "examples/rules/honour_pupils.yaml");
  char* csv_out = path_join(work, "c_api_result.csv");
  char* report_out = path_join(work, "c_api_report.html");
  kh_pool* pool = NULL;
  kh_criteria* criteria = NULL;
  kh_rules* rules = NULL;
  kh_spec* spec = NULL;
  kh_prepared* prepared = NULL;
  kh_result* result = NULL;
  size_t rows = 0, columns = 0, selected = 0, i, counted = 0, len = 0, file_len = 0;
  size_t per_group_selected = 0;
  char* csv;
  char* file_csv;
  char small[8];
  char* json;
  uint32_t last_rank = 0;

  OK(kh_pool_read_csv(pool_path, "id", &pool));
  OK(kh_pool_size(pool, &rows, &columns));
  CHECK(rows > 100);
  CHECK(columns == 18);
  OK(kh_criteria_load(criteria_path, &criteria));
  OK(kh_rules_load(rules_path, &rules));
  OK(kh_spec_new(&spec));
  OK(kh_spec_set_criteria(spec, criteria));
  OK(kh_spec_set_rules(spec, rules));
  kh_criteria_free(criteria); /* the spec keeps its own copy */
  kh_rules_free(rules);
  OK(kh_spec_set(spec, "seats", "30"));
  OK(kh_spec_set(spec, "per", "district"));
  OK(kh_spec_set(spec, "method", "largest_remainder"));
  OK(kh_spec_set(spec, "order", "gpa desc"));
  OK(kh_spec_set(spec, "name_column", "full_name")); /* '_' for '-' */
  OK(kh_spec_add_input(spec, "pool", pool_path));
  OK(kh_prepare(spec, pool, &prepared));
  OK(kh_execute(prepared, pool, &result));

  OK(kh_result_size(result, &rows, &selected));
  CHECK(rows == 0 || selected > 0);
  CHECK(selected >= 30 - 1 && selected <= 30 + 5); /* ties are broken: about the seats */
  for (i = 0; i < rows; ++i) {
    const char *id, *status, *reason, *level, *group;
    int sel = 0;
    uint32_t rank = 0, group_rank = 0;
    double score = 0, gap = 0;
    OK(kh_result_id(result, i, &id));
    OK(kh_result_status(result, i, &status));
    OK(kh_result_reason(result, i, &reason));
    OK(kh_result_level(result, i, &level));
    OK(kh_result_group(result, i, &group));
    OK(kh_result_selected(result, i, &sel));
    OK(kh_result_rank(result, i, &rank, &group_rank));
    OK(kh_result_score(result, i, &score, &gap));
    CHECK(strlen(id) > 0);
    CHECK(strlen(group) > 0); /* grouped by district */
    CHECK((sel == 1) == (strcmp(status, "selected") == 0));
    if (sel) {
      ++counted;
      CHECK(rank > 0 && group_rank > 0);
      CHECK(!isnan(score));
      CHECK(strlen(level) > 0);
      if (group_rank == 1) ++per_group_selected;
      if (rank > last_rank) last_rank = rank;
    } else {
      CHECK(strlen(reason) > 0); /* every nominee not selected is told why */
      CHECK(strlen(level) == 0);
    }
    if (strcmp(status, "ineligible") == 0) CHECK(rank == 0);
  }
  CHECK(counted == selected);
  CHECK(per_group_selected > 1); /* several districts got seats */

  /* Out of range and NULL arguments */
  {
    const char* id = NULL;
    CHECK(kh_result_id(result, rows, &id) == KH_ERR_ARGUMENT);
    CHECK(strstr(kh_last_error(), "out of range") != NULL);
    CHECK(kh_result_id(NULL, 0, &id) == KH_ERR_ARGUMENT);
    CHECK(kh_result_id(result, 0, NULL) == KH_ERR_ARGUMENT);
  }

  /* The CSV: size query, too small a buffer, the copy, then the same bytes in the file. */
  OK(kh_result_csv(result, NULL, 0, &len));
  CHECK(len > rows * 10);
  CHECK(kh_result_csv(result, small, sizeof small, &len) == KH_ERR_BUFFER_TOO_SMALL);
  csv = (char*)malloc(len + 1);
  OK(kh_result_csv(result, csv, len + 1, &len));
  CHECK(strlen(csv) == len);
  CHECK(strncmp(csv, "id,", 3) == 0);
  OK(kh_result_write(result, csv_out, report_out));
  file_csv = slurp(csv_out, &file_len);
  CHECK(file_csv != NULL && file_len == len && memcmp(file_csv, csv, len) == 0);
  free(file_csv);
  free(csv);
  /* Two outputs on one file are refused (outputs over inputs: test_c_api.py, on copies). */
  CHECK(kh_result_write(result, csv_out, csv_out) == KH_ERR_IO);

  OK(kh_result_summary_json(result, NULL, 0, &len));
  json = (char*)malloc(len + 1);
  OK(kh_result_summary_json(result, json, len + 1, &len));
  CHECK(strncmp(json, "{\"nominees\": ", 13) == 0);
  CHECK(strstr(json, "\"funnel\": [{\"rule\": ") != NULL);
  CHECK(strstr(json, "\"cutoff\": ") != NULL);
  free(json);
  OK(kh_result_report_html(result, NULL, 0, &len));
  CHECK(len > 1000);
  OK(kh_result_summary(result, NULL, 0, &len));
  CHECK(len > 10);

  /* Every problem of a specification at once, with their options named. */
  OK(kh_spec_set(spec, "per", "distric"));
  OK(kh_spec_set(spec, "order", "gpaa desc"));
  {
    kh_prepared* bad = NULL;
    CHECK(kh_prepare(spec, pool, &bad) == KH_ERR_SPEC);
    CHECK(bad == NULL);
    CHECK(strstr(kh_last_error(), "distric") != NULL);
    CHECK(strstr(kh_last_error(), "gpaa") != NULL);
  }
  CHECK(kh_spec_set(spec, "seats", "thirty") == KH_ERR_SPEC);
  CHECK(strstr(kh_last_error(), "thirty") != NULL);
  CHECK(kh_spec_set(spec, "seat", "30") == KH_ERR_ARGUMENT);
  CHECK(strstr(kh_last_error(), "seat") != NULL);
  CHECK(kh_spec_set(spec, "ties", "maybe") != KH_OK);

  kh_result_free(result);
  kh_prepared_free(prepared);
  kh_spec_free(spec);
  kh_pool_free(pool);
  free(pool_path);
  free(criteria_path);
  free(rules_path);
  free(csv_out);
  free(report_out);
}

static void test_errors(void) {
  static const char bad_yaml[] = "id: x\nindicators: [\n";
  static const char csv_text[] = "id,gpa\nA,9.1\nB,8\nA,7\n";
  kh_criteria* c = NULL;
  kh_pool* p = NULL;
  CHECK(kh_criteria_parse(bad_yaml, sizeof bad_yaml - 1, "bad.yaml", &c) == KH_ERR_PARSE);
  CHECK(c == NULL);
  CHECK(strcmp(kh_last_error_file(), "bad.yaml") == 0);
  CHECK(kh_last_error_line() >= 2);
  CHECK(strncmp(kh_last_error(), "bad.yaml:", 9) == 0);
  CHECK(kh_pool_read_csv_text(csv_text, sizeof csv_text - 1, NULL, "dup.csv", &p) == KH_ERR_DATA);
  CHECK(strstr(kh_last_error(), "\"A\"") != NULL); /* the duplicate id is named */
  /* A file that cannot be read: KH_ERR_IO (or KH_ERR_ERROR from readers without io_error). */
  {
    kh_status st = kh_pool_read_csv("/nonexistent/pool.csv", NULL, &p);
    CHECK(st == KH_ERR_IO || st == KH_ERR_ERROR);
    CHECK(strstr(kh_last_error(), "/nonexistent/pool.csv") != NULL);
  }
  CHECK(kh_criteria_load(NULL, &c) == KH_ERR_ARGUMENT);
  CHECK(strcmp(kh_status_name(KH_ERR_NO_MEMORY), "KH_ERR_NO_MEMORY") == 0);
  kh_pool_free(NULL); /* freeing NULL is a no-op */
}

static void test_dates(void) {
  kh_time_expr t;
  kh_lunar_date l;
  kh_date d = {2024, 2, 10};
  kh_holidays* h = NULL;
  size_t n = 0, i;
  int national_day = 0;
  OK(kh_parse_time("27/8 - 10/9", 2024, &t));
  CHECK(t.has_start && t.start.year == 2024 && t.start.month == 8 && t.start.day == 27);
  CHECK(t.has_end && t.end.month == 9 && t.end.day == 10);
  CHECK(t.granularity == KH_GRANULARITY_DAY);
  OK(kh_parse_time("Quý 1/2024", 0, &t));
  CHECK(t.granularity == KH_GRANULARITY_QUARTER && t.end.month == 3 && t.end.day == 31);
  OK(kh_parse_time("trước ngày 30/11", 2024, &t));
  CHECK(!t.has_start && t.deadline && t.end.day == 30);
  CHECK(kh_parse_time("31/9", 2024, &t) == KH_ERR_PARSE);
  CHECK(kh_last_error_column() >= 1);

  OK(kh_solar_to_lunar(d, &l)); /* Tết Giáp Thìn */
  CHECK(l.year == 2024 && l.month == 1 && l.day == 1 && l.leap == 0);
  l.day = 15;
  l.month = 8;
  OK(kh_lunar_to_solar(l, &d)); /* Tết Trung thu 2024 */
  CHECK(d.year == 2024 && d.month == 9 && d.day == 17);
  l.day = 30;
  l.month = 13;
  CHECK(kh_lunar_to_solar(l, &d) == KH_ERR_DATA);
  d.month = 2;
  d.day = 30;
  CHECK(kh_solar_to_lunar(d, &l) == KH_ERR_DATA);

  OK(kh_holidays_of_year(2024, &h));
  OK(kh_holidays_count(h, &n));
  CHECK(n >= 10);
  for (i = 0; i < n; ++i) {
    const char *vi, *en;
    int sub;
    OK(kh_holiday(h, i, &d, &vi, &en, &sub));
    if (d.month == 9 && d.day == 2) national_day = strlen(vi) > 0 && strlen(en) > 0;
  }
  CHECK(national_day);
  kh_holidays_free(h);
}

static void test_plan(const char* src) {
  char* path = path_join(src, "examples/plans/thang_khuyen_hoc_2024.yaml");
  kh_plan* plan = NULL;
  kh_findings* f = NULL;
  size_t tasks = 0, n = 0, errors = 0, i;
  OK(kh_plan_load(path, NULL, 0, &plan));
  OK(kh_plan_size(plan, &tasks));
  CHECK(tasks > 5);
  OK(kh_plan_check(plan, &f));
  OK(kh_findings_count(f, &n, &errors));
  CHECK(errors <= n);
  for (i = 0; i < n; ++i) {
    kh_finding x;
    OK(kh_finding_get(f, i, &x));
    CHECK(strlen(x.kind) > 0 && strlen(x.message_en) > 0 && strlen(x.message_vi) > 0);
    CHECK(strcmp(x.severity, "error") == 0 || strcmp(x.severity, "warning") == 0 ||
          strcmp(x.severity, "info") == 0);
  }
  CHECK(kh_finding_get(f, n, NULL) == KH_ERR_ARGUMENT);
  kh_findings_free(f);
  kh_plan_free(plan);
  CHECK(kh_plan_load(path, "docx", 2024, &plan) == KH_ERR_ARGUMENT);
  free(path);
}

/* ---- Arrow streams ----------------------------------------------------------------------- */

/* The index of the child named `name` of a struct schema, or -1. */
static int64_t child_index(const struct ArrowSchema* schema, const char* name) {
  int64_t i;
  for (i = 0; i < schema->n_children; ++i)
    if (strcmp(schema->children[i]->name, name) == 0) return i;
  return -1;
}

/* A stream produced here, in C, as a school system's own Arrow code would: one batch of two
 * rows with an id (utf8) and a column of `format` (int64 values). Counts its releases. */
static int released_streams = 0;
static const char* produced_format = "l";
static const int32_t id_offsets[] = {0, 2, 4};
static const char id_bytes[] = "HSHT";
static const int64_t values[] = {7, 9};

static void release_schema(struct ArrowSchema* s) {
  int64_t i;
  for (i = 0; i < s->n_children; ++i) s->children[i]->release = NULL;
  free(s->children);
  s->release = NULL;
}
static void release_array(struct ArrowArray* a) {
  int64_t i;
  for (i = 0; i < a->n_children; ++i) a->children[i]->release = NULL;
  free(a->children);
  a->release = NULL;
}
static void noop_schema(struct ArrowSchema* s) {
  s->release = NULL;
}
static void noop_array(struct ArrowArray* a) {
  a->release = NULL;
}

static struct ArrowSchema child_schemas[2];
static struct ArrowArray child_arrays[2];
static const void* id_buffers[3];
static const void* value_buffers[2];
static const void* struct_buffers[1];

static int produced_get_schema(struct ArrowArrayStream* st, struct ArrowSchema* out) {
  struct ArrowSchema id = {"u", "id", NULL, 0, 0, NULL, NULL, noop_schema, NULL};
  struct ArrowSchema v = {NULL, "grade",     NULL, ARROW_FLAG_NULLABLE, 0, NULL,
                          NULL, noop_schema, NULL};
  (void)st;
  v.format = produced_format;
  child_schemas[0] = id;
  child_schemas[1] = v;
  memset(out, 0, sizeof *out);
  out->format = "+s";
  out->name = "";
  out->n_children = 2;
  out->children = (struct ArrowSchema**)malloc(2 * sizeof(struct ArrowSchema*));
  if (out->children == NULL) return 12; /* ENOMEM */
  out->children[0] = &child_schemas[0];
  out->children[1] = &child_schemas[1];
  out->release = release_schema;
  return 0;
}

static int produced_get_next(struct ArrowArrayStream* st, struct ArrowArray* out) {
  int* sent = (int*)st->private_data;
  memset(out, 0, sizeof *out);
  if (*sent) return 0; /* end of stream: release stays NULL */
  *sent = 1;
  id_buffers[0] = NULL;
  id_buffers[1] = id_offsets;
  id_buffers[2] = id_bytes;
  value_buffers[0] = NULL;
  value_buffers[1] = values;
  struct_buffers[0] = NULL;
  memset(child_arrays, 0, sizeof child_arrays);
  child_arrays[0].length = child_arrays[1].length = 2;
  child_arrays[0].n_buffers = 3;
  child_arrays[0].buffers = id_buffers;
  child_arrays[1].n_buffers = 2;
  child_arrays[1].buffers = value_buffers;
  child_arrays[0].release = child_arrays[1].release = noop_array;
  out->length = 2;
  out->n_buffers = 1;
  out->buffers = struct_buffers;
  out->n_children = 2;
  out->children = (struct ArrowArray**)malloc(2 * sizeof(struct ArrowArray*));
  if (out->children == NULL) return 12;
  out->children[0] = &child_arrays[0];
  out->children[1] = &child_arrays[1];
  out->release = release_array;
  return 0;
}

static const char* produced_last_error(struct ArrowArrayStream* st) {
  (void)st;
  return NULL;
}

static void produced_release(struct ArrowArrayStream* st) {
  ++released_streams;
  st->release = NULL;
}

static void make_stream(struct ArrowArrayStream* st, int* sent) {
  *sent = 0;
  st->get_schema = produced_get_schema;
  st->get_next = produced_get_next;
  st->get_last_error = produced_last_error;
  st->release = produced_release;
  st->private_data = sent;
}

static void test_arrow(const char* src) {
  char* pool_path = path_join(src, "examples/pool.csv");
  char* criteria_path = path_join(src, "examples/criteria/honour_pupils.yaml");
  char* rules_path = path_join(src, "examples/rules/honour_pupils.yaml");
  kh_pool* pool = NULL;
  kh_pool* again = NULL;
  kh_criteria* criteria = NULL;
  kh_rules* rules = NULL;
  kh_spec* spec = NULL;
  kh_prepared* prepared = NULL;
  kh_result* result = NULL;
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  struct ArrowArray batch;
  size_t rows = 0, columns = 0, rows2 = 0, columns2 = 0, selected = 0, counted = 0;
  int64_t i, sel, status;
  int sent = 0;

  OK(kh_pool_read_csv(pool_path, "id", &pool));
  OK(kh_pool_size(pool, &rows, &columns));

  /* Pool -> stream -> pool: the same shape; the stream outlives the pool it came from. */
  OK(kh_pool_to_arrow_stream(pool, &stream));
  OK(kh_pool_from_arrow_stream(&stream, "id", 1, &again));
  CHECK(stream.release == NULL); /* consumed */
  OK(kh_pool_size(again, &rows2, &columns2));
  CHECK(rows2 == rows && columns2 == columns);

  /* A selection on the pool that came through Arrow, its result read as an Arrow stream. */
  OK(kh_criteria_load(criteria_path, &criteria));
  OK(kh_rules_load(rules_path, &rules));
  OK(kh_spec_new(&spec));
  OK(kh_spec_set_criteria(spec, criteria));
  OK(kh_spec_set_rules(spec, rules));
  OK(kh_spec_set(spec, "seats", "30"));
  OK(kh_spec_set(spec, "per", "district"));
  OK(kh_spec_set(spec, "order", "gpa desc"));
  OK(kh_prepare(spec, again, &prepared));
  OK(kh_execute(prepared, again, &result));
  OK(kh_result_size(result, &rows, &selected));

  OK(kh_result_to_arrow_stream(result, &stream));
  kh_result_free(result); /* the stream keeps what it needs */
  result = NULL;
  CHECK(stream.get_schema(&stream, &schema) == 0);
  CHECK(strcmp(schema.format, "+s") == 0);
  sel = child_index(&schema, "selected");
  status = child_index(&schema, "status");
  CHECK(child_index(&schema, "id") == 0);
  CHECK(sel >= 0 && strcmp(schema.children[sel]->format, "b") == 0);
  CHECK(status >= 0 && child_index(&schema, "reason") >= 0 && child_index(&schema, "rank") >= 0);
  CHECK(stream.get_next(&stream, &batch) == 0);
  CHECK(batch.release != NULL && (size_t)batch.length == rows);
  if (sel >= 0 && batch.release != NULL) {
    const struct ArrowArray* col = batch.children[sel];
    const uint8_t* bits = (const uint8_t*)col->buffers[1];
    for (i = 0; i < col->length; ++i)
      counted += (size_t)((bits[(i + col->offset) / 8] >> ((i + col->offset) % 8)) & 1);
    CHECK(counted == selected);
    batch.release(&batch);
  }
  CHECK(stream.get_next(&stream, &batch) == 0 && batch.release == NULL); /* the end */
  schema.release(&schema);
  stream.release(&stream);

  /* Scores and verdicts of a run, and their absence without criteria. */
  OK(kh_execute(prepared, again, &result));
  OK(kh_result_scores_to_arrow_stream(result, &stream));
  CHECK(stream.get_schema(&stream, &schema) == 0);
  CHECK(child_index(&schema, "total") >= 0);
  schema.release(&schema);
  stream.release(&stream);
  OK(kh_result_verdicts_to_arrow_stream(result, &stream));
  CHECK(stream.get_schema(&stream, &schema) == 0);
  CHECK(child_index(&schema, "eligible") >= 0 && child_index(&schema, "hanh_kiem") >= 0);
  schema.release(&schema);
  stream.release(&stream);
  CHECK(kh_result_to_arrow_stream(result, NULL) == KH_ERR_ARGUMENT);
  kh_result_free(result);

  /* A stream made in C: int64 values, read without copying; then a type with no pool column
   * (a duration), refused with the column named, and the stream released either way. */
  make_stream(&stream, &sent);
  kh_pool_free(again);
  again = NULL;
  OK(kh_pool_from_arrow_stream(&stream, NULL, 0, &again));
  CHECK(released_streams == 1);
  OK(kh_pool_size(again, &rows2, &columns2));
  CHECK(rows2 == 2 && columns2 == 2);
  kh_pool_free(again);
  again = NULL;
  produced_format = "tDs";
  make_stream(&stream, &sent);
  CHECK(kh_pool_from_arrow_stream(&stream, NULL, 0, &again) == KH_ERR_SCHEMA);
  CHECK(again == NULL);
  CHECK(released_streams == 2 && stream.release == NULL);
  CHECK(strstr(kh_last_error(), "grade") != NULL);
  CHECK(kh_pool_from_arrow_stream(&stream, NULL, 0, &again) == KH_ERR_ARGUMENT); /* consumed */
  CHECK(kh_pool_from_arrow_stream(NULL, NULL, 0, &again) == KH_ERR_ARGUMENT);

  kh_criteria_free(criteria);
  kh_rules_free(rules);
  kh_prepared_free(prepared);
  kh_spec_free(spec);
  kh_pool_free(pool);
  free(pool_path);
  free(criteria_path);
  free(rules_path);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_api_test SOURCE_DIR WORK_DIR\n");
    return 2;
  }
  CHECK(strcmp(kh_version(), KH_VERSION_STRING) == 0);
  CHECK(kh_abi_version() == KH_ABI_VERSION);
  test_selection(argv[1], argv[2]);
  test_errors();
  test_dates();
  test_plan(argv[1]);
  test_arrow(argv[1]);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
