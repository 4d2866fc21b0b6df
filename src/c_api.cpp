// The C ABI (include/khuyenhoc/khuyenhoc.h): a thin door on the C++ library. Every function
// converts its arguments, calls the C++ API and catches every exception into a status and this
// thread's last error; no domain rule lives here.
#include "khuyenhoc/khuyenhoc.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "khuyenhoc/arrow.hpp"
#include "khuyenhoc/calendar.hpp"
#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/plan.hpp"
#include "khuyenhoc/rules.hpp"
#include "khuyenhoc/run.hpp"
#include "khuyenhoc/time_expr.hpp"
#include "khuyenhoc/version.hpp"

static_assert(KH_VERSION_MAJOR == KHUYENHOC_VERSION_MAJOR &&
                  KH_VERSION_MINOR == KHUYENHOC_VERSION_MINOR &&
                  KH_VERSION_PATCH == KHUYENHOC_VERSION_PATCH,
              "khuyenhoc.h's version macros must follow CMakeLists.txt's project(VERSION)");

// Each handle read from a file remembers it: results are never written over their inputs.
struct kh_pool {
  khuyenhoc::pool value;
  std::string path{};
};
struct kh_criteria {
  khuyenhoc::criteria_set value;
  std::string path{};
};
struct kh_rules {
  khuyenhoc::rule_set_spec value;
  std::string path{};
};
struct kh_spec {
  khuyenhoc::run_spec value;
  bool mode_set = false;  // without "mode", the CLI's default (fixed, apportion or global)
  std::string criteria_path{}, rules_path{};
};
struct kh_prepared {
  khuyenhoc::prepared_run value;
  std::vector<std::string> inputs{};
};
struct kh_result {
  khuyenhoc::run_result value;
  std::vector<std::string> inputs;  // files read for this result (besides the spec's inputs)
  std::vector<std::string> levels;  // level name per row ("" when not selected)
  // Texts rendered once, so that a size query followed by the copy renders them once.
  mutable std::mutex mutex;
  mutable std::map<int, std::string> texts;
};
struct kh_plan {
  khuyenhoc::plan value;
};
struct kh_findings {
  struct item {
    std::string severity, kind, tasks, subject, message_vi, message_en, file;
    kh_finding view{};
  };
  std::vector<item> items;
  std::size_t errors = 0;
  std::vector<khuyenhoc::finding> source;  // as found, for the Arrow export
};
struct kh_holidays {
  std::vector<khuyenhoc::holiday> days;
};

namespace {

// The C enum's values are fixed by the ABI, whatever the C++ enum's order.
int to_c(khuyenhoc::time_granularity g) {
  switch (g) {
    case khuyenhoc::time_granularity::day:
      return KH_GRANULARITY_DAY;
    case khuyenhoc::time_granularity::week:
      return KH_GRANULARITY_WEEK;
    case khuyenhoc::time_granularity::part_of_month:
      return KH_GRANULARITY_PART_OF_MONTH;
    case khuyenhoc::time_granularity::month:
      return KH_GRANULARITY_MONTH;
    case khuyenhoc::time_granularity::quarter:
      return KH_GRANULARITY_QUARTER;
    case khuyenhoc::time_granularity::year:
      return KH_GRANULARITY_YEAR;
  }
  return KH_GRANULARITY_DAY;
}

}  // namespace

namespace {

struct last_error_t {
  std::string message;
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

last_error_t& last_error() {
  thread_local last_error_t e;
  return e;
}

kh_status fail(kh_status status, const std::string& message,
               const khuyenhoc::location& where = {}) {
  auto& e = last_error();
  e.message = message;
  e.file = where.file;
  e.line = where.line;
  e.column = where.column;
  return status;
}

// An argument error: the caller's mistake, named.
struct argument_error {
  std::string message;
};

template <class T>
T* need(T* p, const char* what) {
  if (p == nullptr) throw argument_error{std::string(what) + " is NULL"};
  return p;
}

void check_index(std::size_t i, std::size_t n) {
  if (i >= n) {
    throw argument_error{"index " + std::to_string(i) + " is out of range (size " +
                         std::to_string(n) + ")"};
  }
}

std::string str(const char* s, const char* what) {
  return need(s, what);
}

// Runs `fn`, turning every exception into a status and the thread's last error.
template <class F>
kh_status guard(F&& fn) noexcept {
  try {
    fn();
    return KH_OK;
  } catch (const argument_error& e) {
    return fail(KH_ERR_ARGUMENT, e.message);
  } catch (const khuyenhoc::parse_error& e) {
    return fail(KH_ERR_PARSE, e.what(), e.where());
  } catch (const khuyenhoc::schema_error& e) {
    return fail(KH_ERR_SCHEMA, e.what(), e.where());
  } catch (const khuyenhoc::spec_error& e) {
    return fail(KH_ERR_SPEC, e.what(), e.where());
  } catch (const khuyenhoc::data_error& e) {
    return fail(KH_ERR_DATA, e.what(), e.where());
  } catch (const khuyenhoc::io_error& e) {
    return fail(KH_ERR_IO, e.what(), e.where());
  } catch (const khuyenhoc::limit_error& e) {
    return fail(KH_ERR_LIMIT, e.what(), e.where());
  } catch (const khuyenhoc::error& e) {
    return fail(KH_ERR_ERROR, e.what(), e.where());
  } catch (const std::bad_alloc&) {
    return fail(KH_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(KH_ERR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(KH_ERR_INTERNAL, "internal error: unknown exception");
  }
}

// Copies `text` to the caller's buffer as the header describes.
kh_status copy_out(const std::string& text, char* buf, std::size_t cap, std::size_t* len) {
  *need(len, "len") = text.size();
  if (buf == nullptr || cap == 0) return KH_OK;
  if (cap <= text.size()) {
    return fail(KH_ERR_BUFFER_TOO_SMALL,
                "the buffer has " + std::to_string(cap) + " bytes; the text needs " +
                    std::to_string(text.size() + 1) + " with its terminating NUL");
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return KH_OK;
}

template <class T>
void set_out(T** out, T* value) {
  *out = value;
}

// ---- kh_spec_set: the CLI's flags, as text --------------------------------------------------

std::int64_t to_int(const std::string& key, const std::string& v) {
  std::size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used == 0 || used != v.size()) {
    throw khuyenhoc::spec_error("\"" + v + "\" is not an integer",
                                khuyenhoc::location{.field = key});
  }
  return x;
}

double to_double(const std::string& key, const std::string& v) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used == 0 || used != v.size()) {
    throw khuyenhoc::spec_error("\"" + v + "\" is not a number", khuyenhoc::location{.field = key});
  }
  return x;
}

bool to_bool(const std::string& key, const std::string& v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  throw khuyenhoc::spec_error("\"" + v + "\" is not a boolean (1/0, true/false, yes/no, on/off)",
                              khuyenhoc::location{.field = key});
}

template <class T>
std::map<std::string, T> as_map(const std::vector<std::pair<std::string, T>>& pairs) {
  return {pairs.begin(), pairs.end()};
}

void spec_set(kh_spec& s, std::string key, const std::string& v) {
  std::replace(key.begin(), key.end(), '_', '-');
  auto& pol = s.value.policy;
  auto& rep = s.value.report;
  if (key == "seats" || key == "quota") {
    pol.seats = to_int(key, v);
  } else if (key == "per") {
    pol.per = v;
  } else if (key == "mode") {
    s.mode_set = !v.empty();
    if (s.mode_set) pol.mode = khuyenhoc::parse_quota_mode(v);
  } else if (key == "method" || key == "apportion") {
    pol.method = khuyenhoc::parse_apportion_method(v);
  } else if (key == "weights") {
    pol.weights = as_map(khuyenhoc::parse_named_numbers(v, key));
  } else if (key == "weigh-eligible" || key == "eligible-weights") {
    pol.weigh_eligible = to_bool(key, v);
  } else if (key == "fixed") {
    pol.fixed = as_map(khuyenhoc::parse_named_counts(v, key));
  } else if (key == "group-min") {
    pol.group_min = to_int(key, v);
  } else if (key == "group-max") {
    const auto m = to_int(key, v);
    pol.group_max = m < 0 ? decltype(pol.group_max){} : decltype(pol.group_max){m};
  } else if (key == "cap-share") {
    pol.cap_share = v.empty() ? std::nullopt : std::optional<double>(to_double(key, v));
  } else if (key == "cap-base") {
    pol.cap_base = as_map(khuyenhoc::parse_named_numbers(v, key));
  } else if (key == "min-score") {
    pol.min_score = v.empty() ? -std::numeric_limits<double>::infinity() : to_double(key, v);
  } else if (key == "ties") {
    pol.ties = khuyenhoc::parse_tie_policy(v);
  } else if (key == "order") {
    if (v.empty()) {
      pol.order.clear();
    } else {
      pol.order.push_back(khuyenhoc::parse_order_key(v));
    }
  } else if (key == "levels") {
    pol.levels.clear();
    for (const auto& [name, seats] : khuyenhoc::parse_named_counts(v, key)) {
      pol.levels.push_back({.name = name, .seats = seats});
    }
  } else if (key == "seed") {
    pol.seed = static_cast<std::uint64_t>(to_int(key, v));
  } else if (key == "threads") {
    const auto t = to_int(key, v);
    if (t < 0)
      throw khuyenhoc::spec_error("must not be negative", khuyenhoc::location{.field = key});
    s.value.threads = static_cast<unsigned>(t);
  } else if (key == "title" || key == "report-title") {
    rep.title = v;
  } else if (key == "organisation" || key == "report-org") {
    rep.organisation = v;
  } else if (key == "governing-body") {
    rep.governing_body = v;
  } else if (key == "place") {
    rep.place = v;
  } else if (key == "date") {
    rep.date = v;
  } else if (key == "name-column") {
    rep.name_column = v;
  } else if (key == "report-time") {
    rep.generated_at = to_bool(key, v) ? khuyenhoc::utc_timestamp() : std::string();
  } else {
    throw argument_error{
        "unknown option \"" + key +
        "\" (the options are the flags of `khuyenhoc select`: seats, per, mode, method, "
        "weights, weigh-eligible, fixed, group-min, group-max, cap-share, cap-base, min-score, "
        "ties, order, levels, seed, threads, title, organisation, governing-body, place, date, "
        "name-column, report-time)"};
  }
}

boost::gregorian::date to_boost(const kh_date& d) {
  return boost::gregorian::date(static_cast<unsigned short>(d.year),
                                static_cast<unsigned short>(d.month),
                                static_cast<unsigned short>(d.day));
}

kh_date to_c(const boost::gregorian::date& d) {
  const auto ymd = d.year_month_day();
  return kh_date{.year = static_cast<int>(ymd.year),
                 .month = static_cast<int>(ymd.month),
                 .day = static_cast<int>(ymd.day)};
}

// A date from C: checked, as a data_error naming it (Boost throws std::out_of_range).
boost::gregorian::date checked_date(const kh_date& d) {
  try {
    return to_boost(d);
  } catch (const std::out_of_range&) {
    throw khuyenhoc::data_error("the date " + std::to_string(d.year) + "-" +
                                std::to_string(d.month) + "-" + std::to_string(d.day) +
                                " does not exist");
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

enum text_kind : int { text_csv, text_report, text_summary, text_summary_json };

kh_status result_text(const kh_result* r, int kind, char* buf, std::size_t cap, std::size_t* len) {
  std::string text;
  const kh_status st = guard([&] {
    need(r, "result");
    need(len, "len");
    const std::lock_guard lock(r->mutex);
    auto it = r->texts.find(kind);
    if (it == r->texts.end()) {
      std::string t;
      switch (kind) {
        case text_csv:
          t = r->value.csv();
          break;
        case text_report:
          t = r->value.report_html();
          break;
        case text_summary:
          t = r->value.summary();
          break;
        default:
          t = r->value.summary_json();
          break;
      }
      it = r->texts.emplace(kind, std::move(t)).first;
    }
    text = it->second;
  });
  if (st != KH_OK) return st;
  return copy_out(text, buf, cap, len);
}

template <class F>
kh_status row_get(const kh_result* result, size_t i, F&& fn) {
  return guard([&] {
    const auto& s = need(result, "result")->value.outcome();
    check_index(i, s.size());
    fn(s);
  });
}

}  // namespace

extern "C" {

const char* kh_status_name(kh_status status) {
  switch (status) {
    case KH_OK:
      return "KH_OK";
    case KH_ERR_PARSE:
      return "KH_ERR_PARSE";
    case KH_ERR_SCHEMA:
      return "KH_ERR_SCHEMA";
    case KH_ERR_SPEC:
      return "KH_ERR_SPEC";
    case KH_ERR_DATA:
      return "KH_ERR_DATA";
    case KH_ERR_IO:
      return "KH_ERR_IO";
    case KH_ERR_LIMIT:
      return "KH_ERR_LIMIT";
    case KH_ERR_ERROR:
      return "KH_ERR_ERROR";
    case KH_ERR_ARGUMENT:
      return "KH_ERR_ARGUMENT";
    case KH_ERR_NO_MEMORY:
      return "KH_ERR_NO_MEMORY";
    case KH_ERR_BUFFER_TOO_SMALL:
      return "KH_ERR_BUFFER_TOO_SMALL";
    case KH_ERR_INTERNAL:
      return "KH_ERR_INTERNAL";
  }
  return "KH_ERR_UNKNOWN_STATUS";
}

const char* kh_last_error(void) {
  return last_error().message.c_str();
}
const char* kh_last_error_file(void) {
  return last_error().file.c_str();
}
size_t kh_last_error_line(void) {
  return last_error().line;
}
size_t kh_last_error_column(void) {
  return last_error().column;
}

const char* kh_version(void) {
  return khuyenhoc::version_string;
}
int kh_abi_version(void) {
  return KH_ABI_VERSION;
}

// ---- pools ----------------------------------------------------------------------------------

kh_status kh_pool_read_csv(const char* path, const char* id_column, kh_pool** out) {
  return guard([&] {
    need(out, "out");
    khuyenhoc::csv_options opt;
    if (id_column != nullptr) opt.id_column = id_column;
    auto p = std::make_unique<kh_pool>(
        kh_pool{khuyenhoc::read_csv(str(path, "path"), opt), str(path, "path")});
    set_out(out, p.release());
  });
}

kh_status kh_pool_read_csv_text(const char* text, size_t len, const char* id_column,
                                const char* source, kh_pool** out) {
  return guard([&] {
    need(out, "out");
    if (text == nullptr && len != 0) need(text, "text");
    khuyenhoc::csv_options opt;
    if (id_column != nullptr) opt.id_column = id_column;
    auto p = std::make_unique<kh_pool>(
        kh_pool{khuyenhoc::read_csv_text(std::string_view(text == nullptr ? "" : text, len), opt,
                                         source == nullptr ? "<string>" : source)});
    set_out(out, p.release());
  });
}

kh_status kh_pool_from_arrow_stream(ArrowArrayStream* stream, const char* id_column,
                                    int infer_categories, kh_pool** out) {
  return guard([&] {
    need(stream, "stream");
    if (out == nullptr) {
      // Consumed on every path, as documented.
      if (stream->release != nullptr) stream->release(stream);
      need(out, "out");
    }
    *out = nullptr;
    if (stream->release == nullptr) throw argument_error{"stream is released (already consumed)"};
    const khuyenhoc::arrow_import_options options{
        .id_column = id_column == nullptr ? "id" : id_column,
        .infer_categories = infer_categories != 0};
    // Moved into our own struct: whatever happens, the caller's is marked released.
    ArrowArrayStream own = *stream;
    stream->release = nullptr;
    set_out(out, new kh_pool{khuyenhoc::import_arrow_stream(&own, options), {}});
  });
}

kh_status kh_pool_to_arrow_stream(const kh_pool* pool, ArrowArrayStream* out) {
  return guard([&] {
    need(out, "out");
    khuyenhoc::export_arrow_stream(need(pool, "pool")->value, out);
  });
}

kh_status kh_pool_size(const kh_pool* pool, size_t* rows, size_t* columns) {
  return guard([&] {
    need(pool, "pool");
    if (rows != nullptr) *rows = pool->value.size();
    if (columns != nullptr) *columns = pool->value.column_count();
  });
}

void kh_pool_free(kh_pool* pool) {
  delete pool;
}

// ---- criteria and rules ---------------------------------------------------------------------

kh_status kh_criteria_load(const char* path, kh_criteria** out) {
  return guard([&] {
    need(out, "out");
    auto c = std::make_unique<kh_criteria>(
        kh_criteria{khuyenhoc::criteria_set::from_file(str(path, "path")), str(path, "path")});
    set_out(out, c.release());
  });
}

kh_status kh_criteria_parse(const char* text, size_t len, const char* source, kh_criteria** out) {
  return guard([&] {
    need(out, "out");
    if (len != 0) need(text, "text");
    auto c = std::make_unique<kh_criteria>(kh_criteria{
        khuyenhoc::criteria_set::from_yaml(std::string_view(text == nullptr ? "" : text, len),
                                           source == nullptr ? "<string>" : source)});
    set_out(out, c.release());
  });
}

void kh_criteria_free(kh_criteria* criteria) {
  delete criteria;
}

kh_status kh_rules_load(const char* path, kh_rules** out) {
  return guard([&] {
    need(out, "out");
    auto r = std::make_unique<kh_rules>(
        kh_rules{khuyenhoc::load_rule_set(str(path, "path")), str(path, "path")});
    set_out(out, r.release());
  });
}

kh_status kh_rules_parse(const char* text, size_t len, const char* source, kh_rules** out) {
  return guard([&] {
    need(out, "out");
    if (len != 0) need(text, "text");
    auto r = std::make_unique<kh_rules>(
        kh_rules{khuyenhoc::parse_rule_set(std::string_view(text == nullptr ? "" : text, len),
                                           source == nullptr ? "<string>" : source)});
    set_out(out, r.release());
  });
}

void kh_rules_free(kh_rules* rules) {
  delete rules;
}

// ---- specification --------------------------------------------------------------------------

kh_status kh_spec_new(kh_spec** out) {
  return guard([&] {
    need(out, "out");
    set_out(out, new kh_spec{});
  });
}

kh_status kh_spec_set_criteria(kh_spec* spec, const kh_criteria* criteria) {
  return guard([&] {
    need(spec, "spec");
    need(criteria, "criteria");
    spec->value.criteria = criteria->value;
    spec->criteria_path = criteria->path;
  });
}

kh_status kh_spec_set_rules(kh_spec* spec, const kh_rules* rules) {
  return guard([&] {
    need(spec, "spec");
    if (rules == nullptr) {
      spec->value.rules.reset();
      spec->rules_path.clear();
    } else {
      spec->value.rules = rules->value;
      spec->rules_path = rules->path;
    }
  });
}

kh_status kh_spec_set(kh_spec* spec, const char* key, const char* value) {
  return guard([&] {
    need(spec, "spec");
    // On a bad value the spec keeps its previous state.
    kh_spec copy = *spec;
    spec_set(copy, str(key, "key"), str(value, "value"));
    *spec = std::move(copy);
  });
}

kh_status kh_spec_add_input(kh_spec* spec, const char* role, const char* path) {
  return guard([&] {
    need(spec, "spec");
    spec->value.inputs.push_back({.role = str(role, "role"), .path = str(path, "path")});
  });
}

void kh_spec_free(kh_spec* spec) {
  delete spec;
}

// ---- running --------------------------------------------------------------------------------

kh_status kh_prepare(const kh_spec* spec, const kh_pool* schema, kh_prepared** out) {
  return guard([&] {
    need(out, "out");
    need(spec, "spec");
    need(schema, "schema");
    khuyenhoc::run_spec s = spec->value;
    if (!spec->mode_set) s.policy.mode = khuyenhoc::default_quota_mode(s.policy);
    auto p = std::make_unique<kh_prepared>(
        kh_prepared{khuyenhoc::prepared_run::prepare(std::move(s), schema->value), {}});
    for (const auto* in : {&spec->criteria_path, &spec->rules_path, &schema->path}) {
      if (!in->empty()) p->inputs.push_back(*in);
    }
    set_out(out, p.release());
  });
}

kh_status kh_prepared_warning_count(const kh_prepared* prepared, size_t* count) {
  return guard(
      [&] { *need(count, "count") = need(prepared, "prepared")->value.warnings().size(); });
}

kh_status kh_prepared_warning(const kh_prepared* prepared, size_t i, const char** message) {
  return guard([&] {
    const auto& w = need(prepared, "prepared")->value.warnings();
    need(message, "message");
    check_index(i, w.size());
    *message = w[i].message.c_str();
  });
}

kh_status kh_execute(const kh_prepared* prepared, const kh_pool* pool, kh_result** out) {
  return guard([&] {
    need(out, "out");
    need(prepared, "prepared");
    need(pool, "pool");
    auto r = std::make_unique<kh_result>();
    r->value = prepared->value.execute(pool->value);
    r->inputs = prepared->inputs;
    if (!pool->path.empty()) r->inputs.push_back(pool->path);
    const auto& s = r->value.outcome();
    r->levels.resize(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s.level[i] >= 0 && static_cast<std::size_t>(s.level[i]) < s.levels.size()) {
        r->levels[i] = s.levels[static_cast<std::size_t>(s.level[i])];
      }
    }
    set_out(out, r.release());
  });
}

void kh_prepared_free(kh_prepared* prepared) {
  delete prepared;
}

// ---- results --------------------------------------------------------------------------------

kh_status kh_result_size(const kh_result* result, size_t* rows, size_t* selected) {
  return guard([&] {
    const auto& s = need(result, "result")->value.outcome();
    if (rows != nullptr) *rows = s.size();
    if (selected != nullptr) *selected = s.selected_count();
  });
}

kh_status kh_result_id(const kh_result* result, size_t i, const char** id) {
  return row_get(result, i,
                 [&](const khuyenhoc::selection& s) { *need(id, "id") = s.ids[i].c_str(); });
}

kh_status kh_result_group(const kh_result* result, size_t i, const char** group) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    *need(group, "group") = s.groups.empty() ? "" : s.groups[i].c_str();
  });
}

kh_status kh_result_status(const kh_result* result, size_t i, const char** status) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    *need(status, "status") = khuyenhoc::to_string(s.status[i]).data();  // a NUL-ended literal
  });
}

kh_status kh_result_level(const kh_result* result, size_t i, const char** level) {
  return row_get(result, i, [&](const khuyenhoc::selection&) {
    *need(level, "level") = result->levels[i].c_str();
  });
}

kh_status kh_result_reason(const kh_result* result, size_t i, const char** reason) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    *need(reason, "reason") = s.reason[i].c_str();
  });
}

kh_status kh_result_selected(const kh_result* result, size_t i, int* selected) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    *need(selected, "selected") = s.selected[i] != 0 ? 1 : 0;
  });
}

kh_status kh_result_rank(const kh_result* result, size_t i, uint32_t* rank, uint32_t* group_rank) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    if (rank != nullptr) *rank = s.rank[i];
    if (group_rank != nullptr) *group_rank = s.group_rank[i];
  });
}

kh_status kh_result_score(const kh_result* result, size_t i, double* score, double* gap) {
  return row_get(result, i, [&](const khuyenhoc::selection& s) {
    if (score != nullptr) *score = s.score[i];
    if (gap != nullptr) *gap = s.gap[i];
  });
}

kh_status kh_result_write(const kh_result* result, const char* csv_path, const char* report_path) {
  return guard([&] {
    need(result, "result")
        ->value.write(str(csv_path, "csv_path"), report_path == nullptr ? "" : report_path,
                      result->inputs);
  });
}

kh_status kh_result_csv(const kh_result* result, char* buf, size_t cap, size_t* len) {
  return result_text(result, text_csv, buf, cap, len);
}
kh_status kh_result_report_html(const kh_result* result, char* buf, size_t cap, size_t* len) {
  return result_text(result, text_report, buf, cap, len);
}
kh_status kh_result_summary(const kh_result* result, char* buf, size_t cap, size_t* len) {
  return result_text(result, text_summary, buf, cap, len);
}
kh_status kh_result_summary_json(const kh_result* result, char* buf, size_t cap, size_t* len) {
  return result_text(result, text_summary_json, buf, cap, len);
}

kh_status kh_result_to_arrow_stream(const kh_result* result, ArrowArrayStream* out) {
  return guard([&] {
    need(out, "out");
    khuyenhoc::export_arrow_stream(need(result, "result")->value.table(), out);
  });
}

kh_status kh_result_scores_to_arrow_stream(const kh_result* result, ArrowArrayStream* out) {
  return guard([&] {
    need(out, "out");
    const auto& r = need(result, "result")->value;
    if (!r.spec().criteria || r.scores().size() != r.input().size())
      throw argument_error{"the run had no criteria set: its scores were given as totals"};
    khuyenhoc::export_arrow_stream(khuyenhoc::to_pool(r.scores()), out);
  });
}

kh_status kh_result_verdicts_to_arrow_stream(const kh_result* result, ArrowArrayStream* out) {
  return guard([&] {
    need(out, "out");
    const auto& r = need(result, "result")->value;
    const auto* v = r.rule_verdicts();
    if (v == nullptr) throw argument_error{"the run had no rule set"};
    khuyenhoc::export_arrow_stream(khuyenhoc::to_pool(*v, r.input()), out);
  });
}

void kh_result_free(kh_result* result) {
  delete result;
}

// ---- dates ----------------------------------------------------------------------------------

kh_status kh_parse_time(const char* text, int year, kh_time_expr* out) {
  return guard([&] {
    need(out, "out");
    const std::string t = str(text, "text");
    const auto e = year == 0 ? khuyenhoc::parse_time(t) : khuyenhoc::parse_time(t, year);
    kh_time_expr r{};
    r.has_start = e.start.has_value() ? 1 : 0;
    if (e.start) r.start = to_c(*e.start);
    r.has_end = e.end.has_value() ? 1 : 0;
    if (e.end) r.end = to_c(*e.end);
    r.granularity = to_c(e.granularity);
    r.tentative = e.tentative ? 1 : 0;
    r.open_ended = e.open_ended ? 1 : 0;
    r.recurring = e.recurring ? 1 : 0;
    r.approximate = e.approximate ? 1 : 0;
    r.deadline = e.deadline ? 1 : 0;
    *out = r;
  });
}

kh_status kh_solar_to_lunar(kh_date solar, kh_lunar_date* out) {
  return guard([&] {
    need(out, "out");
    const auto l = khuyenhoc::solar_to_lunar(checked_date(solar));
    *out = kh_lunar_date{.year = l.year, .month = l.month, .day = l.day, .leap = l.leap ? 1 : 0};
  });
}

kh_status kh_lunar_to_solar(kh_lunar_date lunar, kh_date* out) {
  return guard([&] {
    need(out, "out");
    *out = to_c(khuyenhoc::lunar_to_solar(lunar.day, lunar.month, lunar.year, lunar.leap != 0));
  });
}

kh_status kh_holidays_of_year(int year, kh_holidays** out) {
  return guard([&] {
    need(out, "out");
    auto h = std::make_unique<kh_holidays>(kh_holidays{khuyenhoc::holidays(year)});
    set_out(out, h.release());
  });
}

kh_status kh_holidays_count(const kh_holidays* holidays, size_t* count) {
  return guard([&] { *need(count, "count") = need(holidays, "holidays")->days.size(); });
}

kh_status kh_holiday(const kh_holidays* holidays, size_t i, kh_date* date, const char** name_vi,
                     const char** name_en, int* substitute) {
  return guard([&] {
    const auto& days = need(holidays, "holidays")->days;
    check_index(i, days.size());
    const auto& h = days[i];
    if (date != nullptr) *date = to_c(h.date);
    if (name_vi != nullptr) *name_vi = h.name_vi.c_str();
    if (name_en != nullptr) *name_en = h.name_en.c_str();
    if (substitute != nullptr) *substitute = h.substitute ? 1 : 0;
  });
}

void kh_holidays_free(kh_holidays* holidays) {
  delete holidays;
}

// ---- plans ----------------------------------------------------------------------------------

kh_status kh_plan_load(const char* path, const char* format, int year, kh_plan** out) {
  return guard([&] {
    need(out, "out");
    const std::string p = str(path, "path");
    std::string f = format == nullptr ? "auto" : format;
    if (f == "auto") {
      if (ends_with(p, ".yaml") || ends_with(p, ".yml")) {
        f = "yaml";
      } else if (ends_with(p, ".txt") || ends_with(p, ".md") || ends_with(p, ".tsv")) {
        f = "table";
      } else {
        f = "csv";
      }
    }
    auto h = std::make_unique<kh_plan>();
    if (f == "yaml") {
      h->value =
          khuyenhoc::plan::from_yaml_file(p, year == 0 ? std::nullopt : std::optional<int>(year));
    } else if (f == "csv" || f == "table") {
      if (year == 0) {
        throw argument_error{"a year is required for CSV and table plans (dates without one)"};
      }
      if (f == "csv") {
        h->value = khuyenhoc::plan::from_csv_file(p, year);
      } else {
        std::ifstream in(p, std::ios::binary);
        if (!in) throw khuyenhoc::io_error("cannot read the plan", khuyenhoc::location{.file = p});
        std::ostringstream text;
        text << in.rdbuf();
        h->value = khuyenhoc::plan::from_table(text.str(), year, p);
      }
    } else {
      throw argument_error{"unknown plan format \"" + f + "\" (yaml, csv, table or auto)"};
    }
    set_out(out, h.release());
  });
}

kh_status kh_plan_size(const kh_plan* plan, size_t* tasks) {
  return guard([&] { *need(tasks, "tasks") = need(plan, "plan")->value.size(); });
}

kh_status kh_plan_check(const kh_plan* plan, kh_findings** out) {
  return guard([&] {
    need(out, "out");
    const auto found = need(plan, "plan")->value.check();
    auto f = std::make_unique<kh_findings>();
    f->source = found;
    f->items.resize(found.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
      const auto& src = found[i];
      auto& it = f->items[i];
      it.severity = std::string(khuyenhoc::to_string(src.level));
      it.kind = std::string(khuyenhoc::to_string(src.kind));
      for (const auto& t : src.tasks) it.tasks += (it.tasks.empty() ? "" : ",") + t;
      it.subject = src.subject;
      it.message_vi = src.message_vi;
      it.message_en = src.message_en;
      it.file = src.where.file;
      if (src.level == khuyenhoc::severity::error) ++f->errors;
      kh_finding& v = it.view;
      v.severity = it.severity.c_str();
      v.kind = it.kind.c_str();
      v.tasks = it.tasks.c_str();
      v.subject = it.subject.c_str();
      v.message_vi = it.message_vi.c_str();
      v.message_en = it.message_en.c_str();
      v.file = it.file.c_str();
      v.line = src.where.line;
      v.column = src.where.column;
      v.has_first = src.first ? 1 : 0;
      if (src.first) v.first = to_c(*src.first);
      v.has_last = src.last ? 1 : 0;
      if (src.last) v.last = to_c(*src.last);
      v.load = src.load;
    }
    set_out(out, f.release());
  });
}

void kh_plan_free(kh_plan* plan) {
  delete plan;
}

kh_status kh_findings_count(const kh_findings* findings, size_t* count, size_t* errors) {
  return guard([&] {
    need(findings, "findings");
    if (count != nullptr) *count = findings->items.size();
    if (errors != nullptr) *errors = findings->errors;
  });
}

kh_status kh_finding_get(const kh_findings* findings, size_t i, kh_finding* out) {
  return guard([&] {
    need(out, "out");
    const auto& items = need(findings, "findings")->items;
    check_index(i, items.size());
    *out = items[i].view;
  });
}

kh_status kh_findings_to_arrow_stream(const kh_findings* findings, ArrowArrayStream* out) {
  return guard([&] {
    need(out, "out");
    khuyenhoc::export_arrow_stream(khuyenhoc::to_pool(need(findings, "findings")->source), out);
  });
}

void kh_findings_free(kh_findings* findings) {
  delete findings;
}

}  // extern "C"
