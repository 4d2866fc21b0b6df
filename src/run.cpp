// The selection pipeline (run.hpp): spec → prepared run → result. Every door goes through here.
#include "khuyenhoc/run.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/detail/format_vi.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/io.hpp"
#include "selection_explain.hpp"

namespace khuyenhoc {

// ---------------------------------------------------------------------------------------------
// Internal state

struct prepared_run::impl {
  run_spec spec;
  std::optional<compiled_criteria> criteria;
  std::optional<rule_set> rules;
};

// What a result builds only when asked: the selection with its per-row strings (ids, groups,
// reasons) and the per-nominee table. The CLI asks for neither: it streams the CSV straight
// from the run's arrays.
struct materialised {
  std::once_flag outcome_once, table_once;
  selection outcome;
  pool table;
};

namespace {

// The hex SHA-256 and the size of a file's bytes, read 1 MB at a time straight into one
// buffer (no stream buffer in between). Returns nothing if `cancel` is set before the end.
// \throws io_error if the file cannot be opened or read; error if OpenSSL has no SHA-256.
std::optional<std::pair<std::string, std::uint64_t>> sha256_of_file(
    const std::string& path, const std::atomic<bool>* cancel = nullptr) {
  struct file {
    int fd;
    ~file() {
      if (fd >= 0) ::close(fd);
    }
  } f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    throw io_error("cannot open the file to compute its checksum", location{.file = path}, errno);
  }
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw error("SHA-256 is not available from OpenSSL", location{.file = path});
  }
  const std::unique_ptr<char[]> buf(new char[std::size_t{1} << 20U]);
  std::uint64_t bytes = 0;
  for (;;) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return std::nullopt;
    const ::ssize_t got = ::read(f.fd, buf.get(), std::size_t{1} << 20U);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      throw io_error("cannot read the file to compute its checksum", location{.file = path}, errno);
    }
    if (got == 0) break;
    bytes += static_cast<std::uint64_t>(got);
    if (EVP_DigestUpdate(ctx.get(), buf.get(), static_cast<std::size_t>(got)) != 1) {
      throw error("SHA-256 update failed", location{.file = path});
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1) {
    throw error("SHA-256 final failed", location{.file = path});
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string digest;
  digest.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    digest += hex[md[i] >> 4U];
    digest += hex[md[i] & 0xFU];
  }
  return std::pair{std::move(digest), bytes};
}

// What tells that a file still holds the bytes that were read: the same file (device, inode),
// size, modification and status-change times. Writing to a file changes its status-change
// time, which no one can set back.
struct file_stamp {
  ::dev_t device = 0;
  ::ino_t inode = 0;
  ::off_t size = 0;
  std::int64_t modified_ns = 0, changed_ns = 0;
  bool operator==(const file_stamp&) const = default;
};

std::optional<file_stamp> stamp_of(const std::string& path) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto ns = [](const ::timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 +
           static_cast<std::int64_t>(t.tv_nsec);
  };
  return file_stamp{.device = st.st_dev,
                    .inode = st.st_ino,
                    .size = st.st_size,
                    .modified_ns = ns(st.st_mtim),
                    .changed_ns = ns(st.st_ctim)};
}

std::int64_t wall_clock_ns() {
  ::timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(t.tv_nsec);
}

}  // namespace

// The checksums of a run's input files (run_spec::inputs), computed on a thread of their own
// from the start of `execute`, so that the report (made after the run, while the result is
// written on every core) does not read gigabytes of pool on its critical path. The report uses
// a checksum computed early only if the file is provably the one that was read: the same
// device, inode, size, modification and status-change times before reading, after reading and
// when the report is made, and not changed in the two seconds before it was read (timestamps
// are coarser than a write: a file written just then might be written again within the same
// tick). Otherwise the report reads the file again, as `describe_input` does. The thread stops
// within one 1 MB read when the result is dropped (the destructor joins it), so a run whose
// report is never made does not keep a core busy after its result is gone.
class input_checksums {
 public:
  explicit input_checksums(std::vector<run_input_file> files)
      : files_(std::move(files)), early_(files_.size()) {
    try {
      worker_ = std::thread([this] { compute(); });
    } catch (const std::system_error&) {
      // No thread: the report reads the files when it is made.
    }
  }
  input_checksums(const input_checksums&) = delete;
  input_checksums& operator=(const input_checksums&) = delete;
  ~input_checksums() {
    cancel_.store(true, std::memory_order_relaxed);
    std::call_once(joined_, [this] { finish(); });
  }

  /// Input `i` as the report lists it. \throws io_error if it must be read again and cannot.
  [[nodiscard]] report_input describe(std::size_t i) {
    std::call_once(joined_, [this] { finish(); });
    const auto& f = files_[i];
    const auto& e = early_[i];
    if (!forked_ && e.stamp && stamp_of(f.path) == e.stamp) {
      return report_input{.role = f.role, .name = f.path, .sha256 = e.sha256, .bytes = e.bytes};
    }
    return describe_input(f.role, f.path);
  }

 private:
  struct early {
    std::optional<file_stamp> stamp{};  ///< set only when the checksum below can be trusted
    std::string sha256{};
    std::uint64_t bytes = 0;
  };

  // Waits for the thread. In a child process forked while it ran, the thread is not there
  // (waiting would never end): it is let go, and what it found is not used.
  void finish() {
    if (!worker_.joinable()) return;
    if (::getpid() == owner_) {
      worker_.join();
    } else {
      forked_ = true;
      worker_.detach();
    }
  }

  void compute() noexcept {
    constexpr std::int64_t settled_ns = 2'000'000'000;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      try {
        const std::int64_t started = wall_clock_ns();
        const auto before = stamp_of(files_[i].path);
        if (!before || before->changed_ns > started - settled_ns ||
            before->modified_ns > started - settled_ns) {
          continue;
        }
        auto sum = sha256_of_file(files_[i].path, &cancel_);
        if (!sum) return;  // cancelled
        if (stamp_of(files_[i].path) != before ||
            static_cast<std::uint64_t>(before->size) != sum->second) {
          continue;
        }
        early_[i] = {.stamp = before, .sha256 = std::move(sum->first), .bytes = sum->second};
      } catch (...) {
        // Unreadable now: the report reads it again and reports the error there.
      }
    }
  }

  std::vector<run_input_file> files_;
  std::vector<early> early_;
  std::atomic<bool> cancel_{false};
  std::once_flag joined_;
  ::pid_t owner_ = ::getpid();
  bool forked_ = false;
  std::thread worker_;
};

struct run_result::impl {
  std::shared_ptr<const prepared_run::impl> run;
  pool input;
  score_table scores;
  bool scored = false;  ///< scores come from a criteria set (classification column present)
  std::optional<verdicts> rule_verdicts;
  /// Whether a rule that could not be decided makes a nominee ineligible (reasons cite it).
  bool unknown_rejects = true;
  /// Reasons of the ineligible given to execute() (overrides), else empty: rendered from the
  /// verdicts when written.
  std::shared_ptr<const std::vector<std::string>> given_reasons;
  /// Why a nominee could not be scored (the criteria's reason), for the few that could not.
  std::unordered_map<std::uint32_t, std::string> score_notes;
  /// Row-local selection data (scores, eligibility, encoded tie-breakers; ids and groups are
  /// read from the pool): shared by `reselect` when the order keys and the group column do not
  /// change.
  std::shared_ptr<const selection_input> input_rows;
  selection_policy policy;
  /// The selection without per-row strings, and what explains each row.
  selection lean;
  detail::selection_explainer explain;
  std::shared_ptr<materialised> lazy = std::make_shared<materialised>();
  /// The input files' checksums, computed from the start of `execute` (null: no inputs).
  std::shared_ptr<input_checksums> checksums;
};

namespace {

void collect(std::vector<error_info>& out, std::string_view what, auto&& fn) {
  try {
    fn();
  } catch (const spec_error& e) {
    for (auto p : e.problems()) {
      p.message = std::string(what) + ": " + p.message;
      out.push_back(std::move(p));
    }
  } catch (const parse_error& e) {
    out.push_back(
        {.kind = "parse", .message = std::string(what) + ": " + e.message(), .where = e.where()});
  } catch (const schema_error& e) {
    out.push_back(
        {.kind = "schema", .message = std::string(what) + ": " + e.message(), .where = e.where()});
  } catch (const error& e) {
    out.push_back(
        {.kind = "data", .message = std::string(what) + ": " + e.message(), .where = e.where()});
  }
}

// Whether a field holds a quote, a comma or a line break: sixteen bytes at a time with SSE2
// (eight with SWAR elsewhere: a byte equal to c makes (x ^ c·0x01…01) have a zero byte), then
// the tail byte by byte.
bool needs_quotes(std::string_view field) {
  const char* p = field.data();
  const std::size_t n = field.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'),
                cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, comma)),
                     _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
    if (_mm_movemask_epi8(hit) != 0) return true;
  }
#else
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, p + i, 8);
    if (has_zero(x ^ (ones * '"')) || has_zero(x ^ (ones * ',')) || has_zero(x ^ (ones * '\n')) ||
        has_zero(x ^ (ones * '\r'))) {
      return true;
    }
  }
#endif
  for (; i < n; ++i) {
    const char c = p[i];
    if (c == '"' || c == ',' || c == '\n' || c == '\r') return true;
  }
  return false;
}

// Appends `field` to `out` quoted, its quotes doubled: spans between quotes copied whole.
void append_quoted(std::string& out, std::string_view field) {
  out += '"';
  for (;;) {
    const auto q = field.find('"');
    if (q == std::string_view::npos) break;
    out.append(field.data(), q + 1);
    out += '"';
    field.remove_prefix(q + 1);
  }
  out.append(field);
  out += '"';
}

// Appends `field` to `out` as RFC 4180 wants it (quoted when it holds a quote, a comma or a line
// break): exactly write_csv_text's quoting.
void append_csv_field(std::string& out, std::string_view field) {
  if (!needs_quotes(field)) {
    out.append(field);
    return;
  }
  append_quoted(out, field);
}

// What a CSV field holds: a byte that makes it need quotes (a quote, a comma or a line break),
// and a quote (to be doubled).
struct field_scan {
  bool special = false;
  bool quote = false;
};

field_scan scan_field(std::string_view field) {
  const char* p = field.data();
  const std::size_t n = field.size();
  field_scan out;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'),
                cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i q = _mm_cmpeq_epi8(x, quote);
    const __m128i hit = _mm_or_si128(_mm_or_si128(q, _mm_cmpeq_epi8(x, comma)),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
    out.special = out.special || _mm_movemask_epi8(hit) != 0;
    if (_mm_movemask_epi8(q) != 0) {
      out.quote = true;
      return out;
    }
  }
#endif
  for (; i < n; ++i) {
    const char c = p[i];
    if (c == '"') {
      out.special = out.quote = true;
      return out;
    }
    if (c == ',' || c == '\n' || c == '\r') out.special = true;
  }
  return out;
}

// Ends the field that was appended to `out` after an opening quote at `quote_at`: most reasons
// need quotes (a decimal comma), so the quote is written before the text is rendered into the
// block. Closes it when the field needs quotes and holds none; drops it when it needs none; and
// rewrites the field with its quotes doubled when it holds some.
void close_quoted_tail(std::string& out, std::size_t quote_at, std::string& spare) {
  const std::size_t start = quote_at + 1;
  const std::string_view field(out.data() + start, out.size() - start);
  const field_scan scan = scan_field(field);
  if (scan.quote) {
    spare.assign(field);
    out.resize(quote_at);
    append_quoted(out, spare);
  } else if (scan.special) {
    out += '"';
  } else {
    out.erase(quote_at, 1);  // no quotes needed: the text moves back by one byte
  }
}

// A number cell as write_csv_text writes a number column, at `p` (room for 32 bytes); returns
// its end: empty for NaN, else the shortest round-trip form, with ".0" on whole numbers so a
// re-read infers a number.
constexpr std::size_t csv_number_room = 32;
char* write_csv_number(char* p, double v) {
  if (std::isnan(v)) return p;
  // Whole numbers below 10^5 (most scores): their shortest form is their digits (from 10^5 on,
  // the exponent form can be shorter: "1e+05").
  if (v > -1e5 && v < 1e5 && v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
    p = std::to_chars(p, p + 16, static_cast<int>(v)).ptr;
    *p++ = '.';
    *p++ = '0';
    return p;
  }
  char* const start = p;
  p = std::to_chars(p, p + 30, v).ptr;  // at most 24 bytes ("-2.2250738585072014e-308")
  if (std::string_view(start, static_cast<std::size_t>(p - start)).find_first_of(".eEin") ==
      std::string_view::npos) {
    *p++ = '.';
    *p++ = '0';
  }
  return p;
}

// A count cell at `p` (room for 10 bytes): empty for 0 (not ranked: a missing cell).
constexpr std::size_t csv_count_room = 10;
char* write_csv_count(char* p, std::uint32_t v) {
  return v == 0 ? p : std::to_chars(p, p + csv_count_room, v).ptr;
}

// A JSON string: quotes, backslashes and control bytes escaped (\n, \r, \t or \u00XX), UTF-8
// passed through; spans without any copied whole.
void append_json_text(std::string& out, std::string_view s) {
  out += '"';
  std::size_t from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + from, i - from);
    from = i + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[u >> 4];
        out += hex[u & 0xF];
      }
    }
  }
  out.append(s.data() + from, s.size() - from);
  out += '"';
}

// A JSON number: the shortest form that reads back the same; null when not finite.
void append_json_value(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

void append_json_count(std::string& out, std::uint32_t v) {
  if (v == 0) {
    out += "null";  // not ranked
    return;
  }
  std::array<char, 16> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), res.ptr);
}

// Whether two policies rank on the same encoded keys (so selection input can be shared).
bool same_keys(const selection_policy& a, const selection_policy& b) {
  if (a.per != b.per || a.order.size() != b.order.size()) {
    return false;
  }
  bool lottery = false;
  for (std::size_t k = 0; k < a.order.size(); ++k) {
    const auto &x = a.order[k], &y = b.order[k];
    if (x.column != y.column || x.direction != y.direction || x.how != y.how) return false;
    lottery = lottery || x.how == order_key::kind::lottery;
  }
  return !lottery || a.seed == b.seed;
}

// Gives each parameter value of the spec to the sets that declare it (replacing the set's
// value); a name neither set declares is a problem, with the names that are declared.
void apply_parameters(run_spec& spec, std::vector<error_info>& problems) {
  auto declares = [](const std::vector<parameter>& declared, const std::string& name) {
    return std::any_of(declared.begin(), declared.end(),
                       [&](const parameter& p) { return p.name == name; });
  };
  std::vector<parameter> for_rules, for_criteria;
  std::vector<std::string> known;
  if (spec.rules) {
    for (const auto& p : spec.rules->params) known.push_back(p.name);
  }
  if (spec.criteria) {
    for (const auto& p : spec.criteria->spec().params) known.push_back(p.name);
  }
  for (const auto& p : spec.params) {
    bool used = false;
    if (spec.rules && declares(spec.rules->params, p.name)) {
      for_rules.push_back(p);
      used = true;
    }
    if (spec.criteria && declares(spec.criteria->spec().params, p.name)) {
      for_criteria.push_back(p);
      used = true;
    }
    if (!used) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      problems.push_back({.kind = "spec",
                          .message = "no criteria or rule set declares this parameter" +
                                     (names.empty() ? std::string(" (they declare none)")
                                                    : " (declared: " + names + ")"),
                          .where = location{.field = "param " + p.name}});
    }
  }
  if (!for_rules.empty()) {
    collect(problems, "rules", [&] { override_parameters(spec.rules->params, for_rules); });
  }
  if (!for_criteria.empty()) {
    collect(problems, "criteria", [&] {
      criteria_spec cs = spec.criteria->spec();
      override_parameters(cs.params, for_criteria);
      spec.criteria = criteria_set(std::move(cs));
    });
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// prepared_run

prepared_run prepared_run::prepare(run_spec spec, const pool& schema) {
  auto state = std::make_shared<impl>();
  std::vector<error_info> problems;
  if (!spec.params.empty()) apply_parameters(spec, problems);
  if (spec.criteria) {
    collect(problems, "criteria", [&] { state->criteria = spec.criteria->compile(schema); });
  }
  if (spec.rules) {
    std::vector<error_info> rule_problems;
    collect(rule_problems, "rules", [&] { state->rules = rule_set::compile(*spec.rules, schema); });
    if (!rule_problems.empty()) {
      // The compiler stops at the first bad rule: compile each rule and table alone to report
      // every one of them (a problem between rules, e.g. duplicate ids, stays as reported).
      std::vector<error_info> each;
      auto alone = [&](auto&& fill) {
        rule_set_spec one = *spec.rules;
        one.rules.clear();
        one.tables.clear();
        fill(one);
        collect(each, "rules", [&] { (void)rule_set::compile(one, schema); });
      };
      for (const auto& r : spec.rules->rules) alone([&](rule_set_spec& one) { one.rules = {r}; });
      for (const auto& t : spec.rules->tables) alone([&](rule_set_spec& one) { one.tables = {t}; });
      if (each.size() > rule_problems.size()) rule_problems = std::move(each);
    }
    problems.insert(problems.end(), rule_problems.begin(), rule_problems.end());
  }
  for (auto p : check_policy(spec.policy, &schema)) {
    p.message = "selection: " + p.message;
    problems.push_back(std::move(p));
  }
  if (const column* names = schema.find(spec.report.name_column);
      names != nullptr && names->type() != column_type::text &&
      names->type() != column_type::category) {
    problems.push_back({.kind = "schema",
                        .message = "report: the name column must be a text or category column",
                        .where = location{.field = spec.report.name_column}});
  }
  // Text that reaches the report must be UTF-8 (it is escaped there, not repaired).
  for (const auto& [option, value] :
       {std::pair<const char*, const std::string*>{"title", &spec.report.title},
        {"governing_body", &spec.report.governing_body},
        {"organisation", &spec.report.organisation},
        {"place", &spec.report.place},
        {"date", &spec.report.date},
        {"generated_at", &spec.report.generated_at}}) {
    if (detail::find_invalid_utf8(*value)) {
      problems.push_back(
          {.kind = "spec", .message = "report: not valid UTF-8", .where = {.field = option}});
    }
  }
  for (const auto& role : spec.report.signatures) {
    if (detail::find_invalid_utf8(role)) {
      problems.push_back(
          {.kind = "spec", .message = "report: not valid UTF-8", .where = {.field = "signatures"}});
    }
  }
  for (const auto& in : spec.inputs) {
    std::ifstream f(in.path, std::ios::binary);
    if (!f) {
      problems.push_back({.kind = "spec",
                          .message = "report: cannot read the " + in.role + " file",
                          .where = location{.file = in.path}});
    }
  }
  if (!problems.empty()) throw spec_error(std::move(problems));
  state->spec = std::move(spec);
  prepared_run out;
  out.impl_ = std::move(state);
  return out;
}

const run_spec& prepared_run::spec() const noexcept {
  return impl_->spec;
}

const std::vector<diagnostic>& prepared_run::warnings() const noexcept {
  static const std::vector<diagnostic> none;
  return impl_ && impl_->rules ? impl_->rules->warnings() : none;
}

run_result prepared_run::execute(const pool& p, const run_overrides& overrides) const {
  if (!impl_) throw spec_error("execute() on a prepared_run that was not prepared");
  const auto& spec = impl_->spec;
  const std::size_t n = p.size();
  auto length_check = [n](std::size_t got, const char* what) {
    if (got != n) {
      throw spec_error(std::string(what) + " has " + std::to_string(got) + " rows, the pool has " +
                       std::to_string(n));
    }
  };
  auto res = std::make_shared<run_result::impl>();
  res->run = impl_;
  res->input = p;
  res->policy = spec.policy;
  // The report's checksums of the input files are read while the run goes on (the run has
  // idle core time; the report comes after it, while the result is written on every core).
  if (!spec.inputs.empty()) res->checksums = std::make_shared<input_checksums>(spec.inputs);

  // Scores: the criteria set's, given ones, or plain totals.
  std::vector<double> total;
  if (overrides.scores != nullptr || (overrides.totals.empty() && impl_->criteria)) {
    if (overrides.scores != nullptr) {
      length_check(overrides.scores->size(), "the score table");
      res->scores = *overrides.scores;
    } else {
      // Totals, levels and flags only: the breakdown (never written by the pipeline) is
      // computed from the same pool if asked for (scores().points(), explain).
      res->scores =
          impl_->criteria->score(p, score_options{.threads = spec.threads, .breakdown = false});
    }
    res->scored = true;
    const auto t = res->scores.total();
    const auto unclassifiable = res->scores.unclassifiable();
    // The totals, NaN where unclassifiable, in chunks of rows on every worker; the few
    // unclassifiable rows' reasons are kept in chunk order.
    constexpr std::size_t chunk_rows = std::size_t{1} << 16U;
    const std::size_t chunks = (n + chunk_rows - 1) / chunk_rows;
    total.resize(n);
    std::vector<std::vector<std::uint32_t>> unscored(chunks);
    detail::parallel_for(chunks, spec.threads, [&](std::size_t c) {
      for (std::size_t r = c * chunk_rows, e = std::min(n, (c + 1) * chunk_rows); r < e; ++r) {
        total[r] = t.data()[r];
        if (!unclassifiable[r]) continue;
        total[r] = std::numeric_limits<double>::quiet_NaN();
        unscored[c].push_back(static_cast<std::uint32_t>(r));
      }
    });
    for (const auto& rows : unscored) {
      for (const auto r : rows) res->score_notes.emplace(r, res->scores.reason(r));
    }
  } else if (!overrides.totals.empty()) {
    length_check(overrides.totals.size(), "the totals");
    total.assign(overrides.totals.begin(), overrides.totals.end());
  } else {
    throw spec_error("the run has no criteria set, and no scores were given to execute()");
  }

  // Eligibility: the rule set's verdicts, given verdicts, or a given 0/1 array.
  std::vector<std::uint8_t> eligible;
  if (overrides.rule_verdicts != nullptr) {
    length_check(overrides.rule_verdicts->rows(), "the verdicts");
    res->rule_verdicts = *overrides.rule_verdicts;
  } else if (!overrides.eligible.empty()) {
    length_check(overrides.eligible.size(), "the eligibility");
    for (std::size_t r = 0; r < n; ++r) {
      if (overrides.eligible[r] > 1) {
        throw spec_error("eligibility must be 0 or 1 (row " + std::to_string(r) + " has " +
                             std::to_string(overrides.eligible[r]) + ")",
                         location{.row_id = std::string(p.id(r))});
      }
    }
    eligible.assign(overrides.eligible.begin(), overrides.eligible.end());
    if (overrides.ineligible_reasons != nullptr) {
      length_check(overrides.ineligible_reasons->size(), "the ineligibility reasons");
      res->given_reasons =
          std::make_shared<const std::vector<std::string>>(*overrides.ineligible_reasons);
    }
  } else if (impl_->rules) {
    res->rule_verdicts = impl_->rules->evaluate(p, spec.threads);
  }
  std::span<const std::uint8_t> eligible_rows = eligible;
  if (res->rule_verdicts) {
    eligible_rows = res->rule_verdicts->eligible();  // read in place, not copied
    const rule_set_spec* rules = spec.rules ? &*spec.rules : res->rule_verdicts->set_spec();
    res->unknown_rejects = rules == nullptr || rules->on_unknown == unknown_policy::not_eligible;
  }

  // The reasons of the ineligible are not stored: they are rendered from the verdicts (or the
  // given texts) when the result is written or asked for.
  res->input_rows = std::make_shared<const selection_input>(
      detail::make_lean_selection_input(p, total, eligible_rows, spec.policy, {}, spec.threads));
  // The input has its own copies: the run's peak memory is reached while selecting.
  std::vector<double>().swap(total);
  std::vector<std::uint8_t>().swap(eligible);
  res->lean = detail::select_lean(*res->input_rows, spec.policy, res->explain, spec.threads);
  run_result out;
  out.impl_ = std::move(res);
  return out;
}

// ---------------------------------------------------------------------------------------------
// run_result

// The result as CSV or JSON, formatted straight from the run's arrays: blocks of rows in
// parallel, handed to the sink in row order. The CSV bytes are those of write_csv_text(table()),
// the JSON those of one object per row of table() (see json()), at any thread count. Reasons
// are rendered straight into the block's text: nothing per row is allocated.
struct run_result::formatter {
  enum class kind { csv, json };

  const run_result::impl& res;
  kind format = kind::csv;
  /// The dictionaries' names as cells (CSV fields, quoted once; JSON strings or null).
  std::vector<std::string> groups, levels, level_names;
  /// The rules whose failure makes a nominee ineligible, in order.
  std::vector<std::size_t> reject_rules;
  std::string group_key;  ///< JSON: `"district": ` (the group column's key)

  /// What one worker reuses from block to block.
  struct worker {
    std::optional<verdicts::reason_writer> rules;
    std::string ineligible, why, spare;
  };

  explicit formatter(const run_result::impl& r, kind f = kind::csv) : res(r), format(f) {
    const auto cells = [&](const std::vector<std::string>& names) {
      std::vector<std::string> out(names.size());
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (format == kind::csv) {
          append_csv_field(out[i], names[i]);
        } else if (names[i].empty() && &names == &res.explain.group_names) {
          out[i] = "null";  // no group: a missing category
        } else {
          append_json_text(out[i], names[i]);
        }
      }
      return out;
    };
    groups = cells(res.explain.group_names);
    levels = cells(res.lean.levels);
    if (res.scored) level_names = cells(res.scores.criteria().level_names());
    if (res.rule_verdicts) {
      const auto& funnel = res.rule_verdicts->funnel();
      for (std::size_t k = 0; k < res.rule_verdicts->rule_count(); ++k) {
        if (k < funnel.size() && funnel[k].level != rule_severity::reject) continue;
        reject_rules.push_back(k);
      }
    }
    append_json_text(group_key, group_column());
    group_key += ": ";
  }

  static constexpr std::size_t block_rows = 8192;

  [[nodiscard]] std::string group_column() const {
    return res.policy.per.empty() ? "group" : res.policy.per;
  }

  [[nodiscard]] std::string header() const {
    if (format == kind::json) return "[\n";
    std::string out;
    const std::string group = group_column();
    for (const std::string_view name :
         {std::string_view("id"), std::string_view(group), std::string_view("score"),
          std::string_view("rank"), std::string_view("group_rank"), std::string_view("selected"),
          std::string_view("level"), std::string_view("status"), std::string_view("gap"),
          std::string_view("reason")}) {
      if (!out.empty()) out += ',';
      append_csv_field(out, name);
    }
    if (res.scored) out += ",classification";
    out += '\n';
    return out;
  }

  [[nodiscard]] std::string footer() const {
    return format == kind::json ? "\n]\n" : std::string();
  }

  void start(worker& w) const {
    if (res.rule_verdicts && !w.rules) w.rules.emplace(*res.rule_verdicts);
  }

  // Appends the reason of row r to `out`: for the ineligible, the reasons of every reject rule
  // that failed (or could not be decided, when that makes ineligible) joined with "; ".
  void append_reason(std::string& out, std::size_t r, worker& w) const {
    std::string_view ineligible, note;
    const auto status = res.lean.status[r];
    if (status == selection_status::ineligible) {
      if (res.rule_verdicts) {
        auto& text = w.ineligible;
        text.clear();
        for (const std::size_t k : reject_rules) {
          const auto st = res.rule_verdicts->status(r, k);
          if (st != rule_status::fail && !(res.unknown_rejects && st == rule_status::unknown)) {
            continue;
          }
          const std::size_t mark = text.size();
          if (mark != 0) text += "; ";
          const std::size_t from = text.size();
          w.rules->append(text, k, r);
          if (text.size() == from) text.resize(mark);  // a rule without a message
        }
        ineligible = text;
      } else if (res.given_reasons) {
        ineligible = (*res.given_reasons)[r];
      }
    } else if (status == selection_status::no_score && !res.score_notes.empty()) {
      const auto it = res.score_notes.find(static_cast<std::uint32_t>(r));
      if (it != res.score_notes.end()) note = it->second;
    }
    detail::append_reason(out, *res.input_rows, res.lean, res.policy, res.explain, r, ineligible,
                          note);
  }

  void format_csv(std::size_t b, std::size_t e, std::string& out, worker& w) const {
    const selection& s = res.lean;
    const auto& x = res.explain;
    std::span<const std::int16_t> classification;
    if (res.scored) classification = res.scores.level();
    const auto put = [](char* p, std::string_view t) {
      if (!t.empty()) std::memcpy(p, t.data(), t.size());  // an empty view may have no data
      return p + t.size();
    };
    for (std::size_t r = b; r < e; ++r) {
      // The fields before the reason are written in place, `out` grown once for all of them
      // (by at most their longest form, then cut to what was written): one call per row rather
      // than one per field. An id that needs quotes (a comma or a quote in it) is appended first.
      const std::string_view id = res.input.id(r);
      const bool quote_id = needs_quotes(id);
      if (quote_id) append_csv_field(out, id);
      const std::string_view group = groups[static_cast<std::size_t>(x.gcode[r])];
      const std::string_view level =
          s.level[r] >= 0 ? std::string_view(levels[static_cast<std::size_t>(s.level[r])])
                          : std::string_view();
      const std::string_view status = to_string(s.status[r]);
      const std::size_t at = out.size();
      out.resize(at + (quote_id ? 0 : id.size()) + group.size() + level.size() + status.size() +
                 2 * csv_number_room + 2 * csv_count_room + 16);
      char* p = out.data() + at;
      if (!quote_id) p = put(p, id);
      *p++ = ',';
      p = put(p, group);
      *p++ = ',';
      p = write_csv_number(p, s.score[r]);
      *p++ = ',';
      p = write_csv_count(p, s.rank[r]);
      *p++ = ',';
      p = write_csv_count(p, s.group_rank[r]);
      p = put(p, s.selected[r] != 0 ? ",true," : ",false,");
      p = put(p, level);
      *p++ = ',';
      p = put(p, status);
      *p++ = ',';
      p = write_csv_number(p, s.gap[r]);
      *p++ = ',';
      const std::size_t quote_at = static_cast<std::size_t>(p - out.data());
      *p++ = '"';
      out.resize(static_cast<std::size_t>(p - out.data()));
      append_reason(out, r, w);
      close_quoted_tail(out, quote_at, w.spare);
      if (res.scored) {
        out += ',';
        const auto code = classification[r];
        if (code >= 0 && static_cast<std::size_t>(code) < level_names.size()) {
          out += level_names[static_cast<std::size_t>(code)];
        }
      }
      out += '\n';
    }
  }

  // One object per row, one row per line, keys the CSV's columns: a missing value is null, a
  // number the shortest text that reads back the same (the bytes the CLI wrote from table()).
  void format_json(std::size_t b, std::size_t e, std::string& out, worker& w) const {
    const selection& s = res.lean;
    const auto& x = res.explain;
    std::span<const std::int16_t> classification;
    if (res.scored) classification = res.scores.level();
    for (std::size_t r = b; r < e; ++r) {
      out += r == 0 ? "{\"id\": " : ",\n{\"id\": ";
      append_json_text(out, res.input.id(r));
      out += ", ";
      out += group_key;
      out += groups[static_cast<std::size_t>(x.gcode[r])];
      out += ", \"score\": ";
      append_json_value(out, s.score[r]);
      out += ", \"rank\": ";
      append_json_count(out, s.rank[r]);
      out += ", \"group_rank\": ";
      append_json_count(out, s.group_rank[r]);
      out += s.selected[r] != 0 ? ", \"selected\": true, \"level\": "
                                : ", \"selected\": false, \"level\": ";
      out += s.level[r] >= 0 ? std::string_view(levels[static_cast<std::size_t>(s.level[r])])
                             : std::string_view("null");
      out += ", \"status\": ";
      append_json_text(out, to_string(s.status[r]));
      out += ", \"gap\": ";
      append_json_value(out, s.gap[r]);
      out += ", \"reason\": ";
      w.why.clear();
      append_reason(w.why, r, w);
      append_json_text(out, w.why);
      if (res.scored) {
        out += ", \"classification\": ";
        const auto code = classification[r];
        out += code >= 0 && static_cast<std::size_t>(code) < level_names.size()
                   ? std::string_view(level_names[static_cast<std::size_t>(code)])
                   : std::string_view("null");
      }
      out += '}';
    }
  }

  void format_block(std::size_t b, std::size_t e, std::string& out, worker& w) const {
    start(w);
    out.clear();
    if (format == kind::csv) {
      format_csv(b, e, out, w);
    } else {
      format_json(b, e, out, w);
    }
  }

  // Calls fn(r, reason) for every row of [b, e) in order.
  template <class Fn>
  void each_reason(std::size_t b, std::size_t e, Fn&& fn) const {
    worker w;
    start(w);
    for (std::size_t r = b; r < e; ++r) {
      w.why.clear();
      append_reason(w.why, r, w);
      fn(r, std::string_view(w.why));
    }
  }

  // Formats every row, a block at a time on the workers, and hands the blocks to sink(text) in
  // row order from the calling thread, while the workers format the blocks after it (at most
  // `ahead` blocks formatted and not yet handed over: a few MB). Writing (an O_DIRECT write, or
  // the kernel's copy into the page cache) overlaps formatting, and a slow write or block
  // delays the other side only once the lookahead is used up. Stops early when sink returns
  // false; sink is called from one thread, in row order; the first error (a block's, in block
  // order, or sink's) is rethrown.
  template <class Sink>
  void run(unsigned threads, Sink&& sink) const {
    const std::size_t n = res.lean.size();
    if (!sink(std::string_view(header()))) return;
    const std::size_t blocks = (n + block_rows - 1) / block_rows;
    if (blocks == 0) {
      (void)sink(std::string_view(footer()));
      return;
    }
    const unsigned nworkers = detail::worker_count(blocks, threads);
    const std::size_t ahead = std::min<std::size_t>(blocks, 4 * std::size_t{nworkers} + 4);
    std::vector<std::string> text(ahead);
    std::vector<worker> workers(nworkers);
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::uint8_t> ready(ahead, 0);  // slot holds its block, formatted
    std::size_t written = 0;                    // blocks handed to sink
    bool stop = false;                          // sink refused, or something failed
    std::exception_ptr format_failed;
    auto format_all = [&] {
      try {
        detail::parallel_for(blocks, threads, [&](std::size_t i, unsigned k) {
          {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return stop || i < written + ahead; });
            if (stop) return;
          }
          const std::size_t b = i * block_rows;
          try {
            format_block(b, std::min(n, b + block_rows), text[i % ahead], workers[k]);
          } catch (...) {
            {
              const std::lock_guard lock(m);
              stop = true;  // the writer stops at this block; the other workers return
            }
            cv.notify_all();
            throw;
          }
          {
            const std::lock_guard lock(m);
            ready[i % ahead] = 1;
          }
          cv.notify_all();
        });
      } catch (...) {
        const std::lock_guard lock(m);
        format_failed = std::current_exception();
        stop = true;
      }
      cv.notify_all();
    };
    std::thread formatters;
    try {
      formatters = std::thread(format_all);
    } catch (...) {
      // No thread to be had: this one formats each block and hands it over; same bytes.
      for (std::size_t i = 0; i < blocks; ++i) {
        const std::size_t b = i * block_rows;
        format_block(b, std::min(n, b + block_rows), text[0], workers[0]);
        if (!sink(std::string_view(text[0]))) return;
      }
      (void)sink(std::string_view(footer()));
      return;
    }
    std::exception_ptr write_failed;
    bool ok = true;
    for (std::size_t i = 0; i < blocks && ok; ++i) {
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return stop || ready[i % ahead] != 0; });
        if (stop && ready[i % ahead] == 0) break;
      }
      try {
        ok = sink(std::string_view(text[i % ahead]));
      } catch (...) {
        write_failed = std::current_exception();
        ok = false;
      }
      {
        const std::lock_guard lock(m);
        ready[i % ahead] = 0;
        written = i + 1;
        if (!ok) stop = true;
      }
      cv.notify_all();
    }
    {
      const std::lock_guard lock(m);
      if (written < blocks) stop = true;
    }
    cv.notify_all();
    if (formatters.joinable()) formatters.join();
    if (write_failed) std::rethrow_exception(write_failed);
    if (format_failed) std::rethrow_exception(format_failed);
    if (!ok || written < blocks) return;
    (void)sink(std::string_view(footer()));
  }
};

const pool& run_result::input() const noexcept {
  return impl_->input;
}
const score_table& run_result::scores() const noexcept {
  return impl_->scores;
}
const verdicts* run_result::rule_verdicts() const noexcept {
  return impl_->rule_verdicts ? &*impl_->rule_verdicts : nullptr;
}
const selection& run_result::outcome() const noexcept {
  // Built once, on first use: the ids, groups and reasons of every row.
  auto& lazy = *impl_->lazy;
  std::call_once(lazy.outcome_once, [&] {
    const auto& res = *impl_;
    selection full = res.lean;
    const std::size_t n = full.size();
    full.ids.reserve(n);
    full.groups.reserve(n);
    full.reason.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
      full.ids.emplace_back(res.input.id(r));
      full.groups.emplace_back(
          res.explain.group_names[static_cast<std::size_t>(res.explain.gcode[r])]);
    }
    const formatter f(res);
    for (std::size_t b = 0; b < n; b += formatter::block_rows) {
      f.each_reason(b, std::min(n, b + formatter::block_rows),
                    [&](std::size_t, std::string_view why) { full.reason.emplace_back(why); });
    }
    lazy.outcome = std::move(full);
  });
  return lazy.outcome;
}
const selection_policy& run_result::policy() const noexcept {
  return impl_->policy;
}
std::size_t run_result::size() const noexcept {
  return impl_->lean.size();
}
std::size_t run_result::selected_count() const noexcept {
  return impl_->lean.selected_count();
}
const std::vector<group_outcome>& run_result::outcomes() const noexcept {
  return impl_->lean.outcomes;
}
const pool& run_result::table() const noexcept {
  auto& lazy = *impl_->lazy;
  std::call_once(lazy.table_once, [&] {
    const auto& res = *impl_;
    pool out = to_pool(outcome(), res.policy.per.empty() ? "group" : res.policy.per);
    if (res.scored) {
      const auto lv = res.scores.level();
      std::vector<std::int32_t> codes(lv.begin(), lv.end());
      out = out.with_column(column::category("classification", std::move(codes),
                                             res.scores.criteria().level_names()));
    }
    lazy.table = std::move(out);
  });
  return lazy.table;
}
const run_spec& run_result::spec() const noexcept {
  return impl_->run->spec;
}

namespace {

template <class Formatter>
std::string format_all(const Formatter& f, unsigned threads) {
  std::string out;
  f.run(threads, [&](std::string_view block) {
    out.append(block);
    return true;
  });
  return out;
}

template <class Formatter>
void stream_all(const Formatter& f, unsigned threads, std::ostream& out) {
  f.run(threads, [&](std::string_view block) {
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    return static_cast<bool>(out);  // a failed write (disk full) stops the formatting
  });
}

}  // namespace

std::string run_result::csv() const {
  return format_all(formatter(*impl_), impl_->run->spec.threads);
}

void run_result::write_csv(std::ostream& out) const {
  stream_all(formatter(*impl_), impl_->run->spec.threads, out);
}

std::string run_result::json() const {
  return format_all(formatter(*impl_, formatter::kind::json), impl_->run->spec.threads);
}

void run_result::write_json(std::ostream& out) const {
  stream_all(formatter(*impl_, formatter::kind::json), impl_->run->spec.threads, out);
}

run_result run_result::reselect(const selection_policy& policy) const {
  if (auto problems = check_policy(policy, &impl_->input); !problems.empty()) {
    throw spec_error(std::move(problems));
  }
  auto res = std::make_shared<impl>(*impl_);
  res->lazy = std::make_shared<materialised>();
  res->policy = policy;
  if (!same_keys(policy, impl_->policy)) {
    // New keys or groups: re-extract the row-local input from the same scores and eligibility.
    const auto& old = *impl_->input_rows;
    res->input_rows = std::make_shared<const selection_input>(detail::make_lean_selection_input(
        impl_->input, old.score, old.eligible, policy, old.score_note, res->run->spec.threads));
  }
  res->explain = {};
  res->lean = detail::select_lean(*res->input_rows, policy, res->explain, res->run->spec.threads);
  run_result out;
  out.impl_ = std::move(res);
  return out;
}

std::string run_result::report_html() const {
  const auto& spec = impl_->run->spec;
  const auto& ro = spec.report;
  report_metadata meta;
  static_cast<report_header&>(meta) = ro;
  meta.group_label = impl_->policy.per;
  for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
    meta.inputs.push_back(impl_->checksums
                              ? impl_->checksums->describe(i)
                              : describe_input(spec.inputs[i].role, spec.inputs[i].path));
  }
  // The sets as they were used: the spec's, or those that made precomputed scores/verdicts.
  if (spec.criteria) {
    const auto& c = spec.criteria->spec();
    meta.specs.push_back({.kind = "criteria", .id = c.id, .name = c.name, .version = c.version});
  } else if (impl_->scored) {
    const auto& c = impl_->scores.criteria().data();
    meta.specs.push_back({.kind = "criteria", .id = c.id, .name = c.name, .version = c.version});
  }
  const rule_set_spec* rules = spec.rules             ? &*spec.rules
                               : impl_->rule_verdicts ? impl_->rule_verdicts->set_spec()
                                                      : nullptr;
  if (rules != nullptr) {
    meta.specs.push_back(
        {.kind = "rules", .id = {}, .name = rules->name, .version = rules->version});
  }
  if (impl_->rule_verdicts) {
    std::map<std::string, std::string> descriptions;
    if (rules != nullptr) {
      for (const auto& r : rules->rules) descriptions[r.id] = r.description;
    }
    for (const auto& step : impl_->rule_verdicts->funnel()) {
      meta.funnel.push_back({.id = step.rule_id,
                             .description = descriptions[step.rule_id],
                             .warn_only = step.level == rule_severity::warn,
                             .failed = step.failed,
                             .unknown = step.unknown,
                             .remaining = step.remaining});
    }
  }
  // The selected list reads its per-row text from the pool and the scores: nothing per row is
  // copied for the report.
  const pool& p = impl_->input;
  const auto& x = impl_->explain;
  meta.id_of = [&p](std::size_t r) { return p.id(r); };
  meta.group_of = [&x](std::size_t r) -> std::string_view {
    return x.group_names[static_cast<std::size_t>(x.gcode[r])];
  };
  if (const column* names = p.find(ro.name_column);
      names != nullptr &&
      (names->type() == column_type::text || names->type() == column_type::category)) {
    meta.name_of = [names](std::size_t r) -> std::string_view {
      if (!names->is_valid(r)) return {};
      return names->type() == column_type::text ? names->text_at(r) : names->category_at(r);
    };
  }
  if (impl_->scored) {
    const auto& level_names = impl_->scores.criteria().level_names();
    const auto lv = impl_->scores.level();
    meta.classification_of = [&level_names, lv](std::size_t r) -> std::string_view {
      if (lv[r] >= 0 && static_cast<std::size_t>(lv[r]) < level_names.size()) {
        return level_names[static_cast<std::size_t>(lv[r])];
      }
      return {};
    };
  }
  return selection_report_html(impl_->lean, impl_->policy, meta);
}

std::string run_result::summary() const {
  const auto& s = impl_->lean;
  std::string out = detail::format_int_vi(static_cast<std::int64_t>(s.size())) + " hồ sơ; " +
                    detail::format_int_vi(static_cast<std::int64_t>(s.selected_count())) +
                    " được chọn\n\n";
  if (impl_->rule_verdicts) {
    out += "Phễu điều kiện (eligibility funnel, rules in order):\n";
    for (const auto& step : impl_->rule_verdicts->funnel()) {
      out += "  " + step.rule_id + ": " + std::to_string(step.failed) + " fail, " +
             std::to_string(step.unknown) + " unknown, " + std::to_string(step.remaining) +
             " remain\n";
    }
    out += '\n';
  }
  out += format_outcomes(s);
  const auto& keys = impl_->policy.order;
  if (std::any_of(keys.begin(), keys.end(),
                  [](const order_key& k) { return k.how == order_key::kind::lottery; })) {
    out += "lottery seed: " + std::to_string(s.lottery_seed) + '\n';
  }
  return out;
}

std::string run_result::summary_json() const {
  const auto& s = impl_->lean;
  std::int64_t seats = 0;
  for (const auto& g : s.outcomes) seats += g.quota;
  std::string out = "{\"nominees\": " + std::to_string(s.size()) +
                    ", \"selected\": " + std::to_string(s.selected_count()) +
                    ", \"seats\": " + std::to_string(seats) + ", \"levels\": [";
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    if (i != 0) out += ", ";
    append_json_text(out, s.levels[i]);
  }
  out += "], \"funnel\": ";
  if (impl_->rule_verdicts) {
    out += '[';
    bool first = true;
    for (const auto& step : impl_->rule_verdicts->funnel()) {
      out += first ? "" : ", ";
      first = false;
      out += "{\"rule\": ";
      append_json_text(out, step.rule_id);
      out += ", \"warn_only\": ";
      out += step.level == rule_severity::warn ? "true" : "false";
      out += ", \"failed\": " + std::to_string(step.failed) +
             ", \"unknown\": " + std::to_string(step.unknown) +
             ", \"remaining\": " + std::to_string(step.remaining) + '}';
    }
    out += ']';
  } else {
    out += "null";
  }
  out += ", \"groups\": [";
  for (std::size_t i = 0; i < s.outcomes.size(); ++i) {
    const auto& g = s.outcomes[i];
    if (i != 0) out += ", ";
    out += "{\"group\": ";
    append_json_text(out, g.group);
    out += ", \"level\": ";
    append_json_text(out, g.level);
    out += ", \"nominees\": " + std::to_string(g.nominees) +
           ", \"eligible\": " + std::to_string(g.eligible) +
           ", \"quota\": " + std::to_string(g.quota) +
           ", \"selected\": " + std::to_string(g.selected) +
           ", \"cap\": " + (g.cap < 0 ? std::string("null") : std::to_string(g.cap)) +
           ", \"cutoff\": ";
    append_json_value(out, g.cutoff);
    out += '}';
  }
  out += "], \"lottery_seed\": ";
  const auto& keys = impl_->policy.order;
  const bool lottery = std::any_of(keys.begin(), keys.end(), [](const order_key& k) {
    return k.how == order_key::kind::lottery;
  });
  out += lottery ? std::to_string(s.lottery_seed) : std::string("null");
  out += "}\n";
  return out;
}

void run_result::write(const std::string& csv_path, const std::string& report_path,
                       const std::vector<std::string>& protect) const {
  std::vector<std::string> inputs = protect;
  for (const auto& in : impl_->run->spec.inputs) inputs.push_back(in.path);
  // The CSV is streamed to its temporary file while the report is rendered (the checksums of
  // the inputs read) on one more thread. A failure leaves the old files (the temporaries are
  // removed).
  output_set outputs(inputs);
  std::ostream* csv = csv_path.empty() ? nullptr : &outputs.add(csv_path);
  auto report = detail::on_another_thread(
      [&] { return report_path.empty() ? std::string() : report_html(); });
  try {
    if (csv != nullptr) write_csv(*csv);
  } catch (...) {
    report.wait();  // it reads this result: let it finish before the error unwinds
    throw;
  }
  const std::string text = report.get();
  if (!report_path.empty()) {
    outputs.add(report_path).write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  outputs.commit();
}

// ---------------------------------------------------------------------------------------------

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> buf{};
  const auto len = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &utc);
  return {buf.data(), len};
}

report_input describe_input(const std::string& role, const std::string& path) {
  auto [digest, bytes] = *sha256_of_file(path);
  return report_input{.role = role, .name = path, .sha256 = digest, .bytes = bytes};
}

namespace {

/// Adds to `out` every identifier (as the rule language's lexer reads one: a letter, '_' or a
/// byte >= 0x80, then those or digits) and every `backticked` name of `text`, in NFC.
void add_names(std::string_view text, std::set<std::string>& out) {
  const auto start = [](unsigned char c) { return std::isalpha(c) != 0 || c == '_' || c >= 0x80; };
  const auto inner = [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c >= 0x80; };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '`') {
      const auto close = text.find('`', i + 1);
      if (close == std::string_view::npos) break;
      out.insert(detail::to_nfc(text.substr(i + 1, close - i - 1)));
      i = close + 1;
    } else if (start(c)) {
      const std::size_t b = i;
      while (i < text.size() && inner(static_cast<unsigned char>(text[i]))) ++i;
      out.insert(detail::to_nfc(text.substr(b, i - b)));
    } else if (std::isdigit(c) != 0) {
      while (i < text.size() && inner(static_cast<unsigned char>(text[i]))) ++i;  // 2nd, 1e5
    } else {
      ++i;
    }
  }
}

void add_criteria_names(const criterion_spec& c, std::set<std::string>& out);

void add_indicator_names(const indicator_spec& ind, std::set<std::string>& out) {
  if (!ind.column.empty()) out.insert(detail::to_nfc(ind.column));
  add_names(ind.value, out);
}

void add_criteria_names(const criterion_spec& c, std::set<std::string>& out) {
  for (const auto& ind : c.indicators) add_indicator_names(ind, out);
  for (const auto& child : c.criteria) add_criteria_names(child, out);
}

}  // namespace

std::vector<std::string> run_spec::pool_columns() const {
  std::set<std::string> out;
  if (criteria) {
    const auto& cs = criteria->spec();
    for (const auto& ind : cs.indicators) add_indicator_names(ind, out);
    for (const auto& c : cs.criteria) add_criteria_names(c, out);
  }
  if (rules) {
    for (const auto& r : rules->rules) {
      add_names(r.when, out);
      add_names(r.applies_to, out);
      add_names(r.reason, out);
    }
    for (const auto& t : rules->tables) {
      for (const auto& row : t.rows) {
        add_names(row.when, out);
        add_names(row.output, out);
      }
      if (t.default_output) {
        add_names(t.default_output->when, out);
        add_names(t.default_output->output, out);
      }
    }
    for (const auto& sc : rules->scales) out.insert(detail::to_nfc(sc.column));
  }
  if (!policy.per.empty()) out.insert(detail::to_nfc(policy.per));
  for (const auto& k : policy.order) {
    if (!k.column.empty()) out.insert(detail::to_nfc(k.column));
  }
  if (!report.name_column.empty()) out.insert(detail::to_nfc(report.name_column));
  out.erase(std::string());
  return {out.begin(), out.end()};
}

}  // namespace khuyenhoc
