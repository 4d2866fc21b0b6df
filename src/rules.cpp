// Compiled expressions and rule sets: parallel chunked evaluation, verdicts, the funnel,
// decision tables (with the compile-time overlap check of `unique` tables) and reasons.

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "khuyenhoc/detail/memory.hpp"
#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/rules_program.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/rules.hpp"

namespace khuyenhoc {

namespace detail::rules {

std::shared_ptr<const program> compile_program(std::string_view text, const pool& schema,
                                               const rules_options& options, const location& base);
std::optional<double> parse_rule_date(std::string_view s);
std::string suggest(std::string_view name, const std::vector<std::string>& names);

namespace {

// Runs f(start, n, scratch&) over chunks of [0, rows) on `threads` workers. Each chunk writes
// only its own rows of the outputs, so the result does not depend on the thread count.
template <class F>
void for_chunks(std::size_t rows, std::size_t chunk, unsigned threads, std::size_t nodes,
                const F& f) {
  chunk = std::max<std::size_t>(chunk, 1);
  const std::size_t chunks = (rows + chunk - 1) / chunk;
  // One scratch per worker, made by the worker on its first chunk.
  std::vector<std::optional<scratch>> scratches(detail::worker_count(chunks, threads));
  detail::parallel_for(chunks, threads, [&](std::size_t k, unsigned worker) {
    auto& s = scratches[worker];
    if (!s) s.emplace(std::max<std::size_t>(nodes, 1), chunk);
    const std::size_t start = k * chunk;
    f(start, std::min(chunk, rows - start), *s);
  });
}

// Numbers in reasons as a council writes them: at most 6 decimals, decimal comma ("8,5", not
// 8.499999999999998).
std::string format_number(double v) {
  return format_decimal(v, ',');
}

// format_number(v) appended without a temporary string.
void append_number(std::string& out, double v) {
  detail::append_decimal(out, v, ',');
}

std::string format_date(double days) {
  std::int64_t y = 0, m = 0, d = 0;
  civil_from_days(to_days(days), y, m, d);
  if (y < 0 || y > 9999) {  // outside what four digits write
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", static_cast<int>(d), static_cast<int>(m),
                  static_cast<int>(y));
    return buf;
  }
  // dd/mm/yyyy without printf (a date in the reason of every late dossier).
  std::string out(10, '/');
  out[0] = static_cast<char>('0' + d / 10);
  out[1] = static_cast<char>('0' + d % 10);
  out[3] = static_cast<char>('0' + m / 10);
  out[4] = static_cast<char>('0' + m % 10);
  out[6] = static_cast<char>('0' + y / 1000);
  out[7] = static_cast<char>('0' + y / 100 % 10);
  out[8] = static_cast<char>('0' + y / 10 % 10);
  out[9] = static_cast<char>('0' + y % 10);
  return out;
}

constexpr std::string_view missing_text = "(trống)";

// Appends the value of a program at one row to `out`, as text for reasons.
void append_value(std::string& out, const program& p, const std::vector<const column*>& cols,
                  std::size_t row, scratch& s) {
  const node& root = p.nodes[static_cast<std::size_t>(p.root)];
  // `{gpa}`, `{conduct}`: the cell itself, without setting up the evaluator for one row.
  if (root.kind == op::col_number || root.kind == op::col_category || root.kind == op::col_text) {
    const column& c = *cols[static_cast<std::size_t>(root.column)];
    if (c.validity()[row] == 0) {
      out += missing_text;
    } else if (root.kind == op::col_number) {
      append_number(out, c.numbers()[row]);
    } else {
      out += string_at(root, cols.data(), row);
    }
    return;
  }
  const view v = eval(p, p.root, cols.data(), row, 1, s);
  if (v.valid[0] == 0) {
    out += missing_text;
    return;
  }
  switch (p.type) {
    case value_type::number:
      append_number(out, v.num[0]);
      return;
    case value_type::date:
      out += format_date(v.num[0]);
      return;
    case value_type::boolean:
      out += v.b[0] != 0 ? "có" : "không";
      return;
    case value_type::string:
      out += string_at(root, cols.data(), row);
      return;
    case value_type::list: {
      const column& c = *cols[static_cast<std::size_t>(root.column)];
      const std::size_t start = out.size();  // a separator after the first non-empty item
      for (const auto code : c.list_at(row)) {
        if (out.size() != start) out += ", ";
        out += c.dictionary()[static_cast<std::size_t>(code)];
      }
      return;
    }
  }
}

// The first column `p` reads that is missing at `row`.
std::string missing_column(const program& p, const std::vector<const column*>& cols,
                           std::size_t row) {
  for (std::size_t k = 0; k < cols.size(); ++k)
    if (!cols[k]->is_valid(row)) return p.columns[k].name;
  return {};
}

}  // namespace

// --------------------------------------------------------------------------- rule set data

struct reason_template {
  std::vector<std::string> text{};  // literal pieces; size = placeholders + 1
  std::vector<std::shared_ptr<const program>> values{};
};

struct compiled_rule {
  std::shared_ptr<const program> when{};
  std::shared_ptr<const program> applies{};  // may be null
  reason_template reason{};
};

struct compiled_table {
  std::vector<std::shared_ptr<const program>> conditions{};
  std::vector<double> numbers{};      // per row (numeric tables)
  std::vector<std::int32_t> codes{};  // per row, into labels
  double default_number = std::numeric_limits<double>::quiet_NaN();
  std::int32_t default_code = -1;
  std::vector<std::string> labels{};
  bool numeric = false;
};

struct compiled_rule_set {
  rule_set_spec spec{};
  rules_options options{};
  std::vector<compiled_rule> rules{};
  std::vector<compiled_table> tables{};
  std::vector<diagnostic> warnings{};
  std::vector<std::string> ids{};
  std::size_t max_nodes = 1;
};

struct free_deleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// Sum of the 8 bytes of `x`, each at most 255.
inline std::size_t byte_sum(std::uint64_t x) {
  constexpr std::uint64_t even = 0x00FF00FF00FF00FFULL;
  const std::uint64_t pairs = (x & even) + ((x >> 8) & even);  // four 16-bit lanes <= 510
  return static_cast<std::size_t>((pairs * 0x0001000100010001ULL) >> 48);
}

struct verdict_data {
  pool nominees{};
  std::shared_ptr<const compiled_rule_set> set{};
  /// Rule-major: status[rule * rows + row]. Uninitialised until evaluate fills every entry.
  std::unique_ptr<std::int8_t, free_deleter> status{};
  std::unique_ptr<std::uint8_t, free_deleter> eligible{};
  std::size_t rows = 0;
  std::vector<funnel_step> funnel{};
  /// Decision table outputs: computed on first use (verdicts::tables, reasons), as the pipeline
  /// never reads them (a tenth of its evaluation time, and 12-16 bytes a nominee per table).
  mutable std::vector<table_result> tables{};
  mutable std::once_flag tables_once{};
  unsigned threads = 0;  ///< threads of evaluate(), for the tables
  std::unordered_map<const program*, std::vector<const column*>> bound{};

  /// Fills `tables` once (thread-safe). \throws std::bad_alloc
  void ensure_tables() const;

  const std::vector<const column*>& cols(const program& p) const { return bound.at(&p); }

  void append_unknown_reason(std::string& out, std::size_t r, std::size_t rule) const {
    const auto& cr = set->rules[rule];
    std::string col;
    if (cr.applies) col = missing_column(*cr.applies, cols(*cr.applies), r);
    if (col.empty()) col = missing_column(*cr.when, cols(*cr.when), r);
    if (col.empty()) {
      out += "không xác định được (chia cho 0 hoặc giá trị không hợp lệ)";
    } else {
      out += "thiếu dữ liệu ";
      out += col;
    }
    out += " (điều kiện ";
    out += set->ids[rule];
    out += ')';
  }

  // `columns(k)`: the columns the reason's k-th value reads (looked up once by writers).
  template <class Columns>
  void append_fail_reason(std::string& out, std::size_t r, std::size_t rule, scratch& s,
                          const Columns& columns) const {
    const auto& t = set->rules[rule].reason;
    out += t.text[0];
    for (std::size_t k = 0; k < t.values.size(); ++k) {
      append_value(out, *t.values[k], columns(k), r, s);
      out += t.text[k + 1];
    }
  }

  // Appends the reason of `rule` at row `r` (nothing where it passed or does not apply).
  void append_reason(std::string& out, std::size_t r, std::size_t rule, scratch& s) const {
    const auto& values = set->rules[rule].reason.values;
    append_reason(out, r, rule, s, [&](std::size_t k) -> const std::vector<const column*>& {
      return cols(*values[k]);
    });
  }

  template <class Columns>
  void append_reason(std::string& out, std::size_t r, std::size_t rule, scratch& s,
                     const Columns& columns) const {
    switch (static_cast<rule_status>(status.get()[rule * rows + r])) {
      case rule_status::fail:
        append_fail_reason(out, r, rule, s, columns);
        return;
      case rule_status::unknown:
        append_unknown_reason(out, r, rule);
        return;
      default:
        return;
    }
  }

  std::string reason(std::size_t r, std::size_t rule, scratch& s) const {
    std::string out;
    append_reason(out, r, rule, s);
    return out;
  }
};

}  // namespace detail::rules

// ------------------------------------------------------------------------------- expression

value_type expression::type() const noexcept {
  return program_->type;
}
const std::vector<diagnostic>& expression::warnings() const noexcept {
  return program_->warnings;
}
const std::string& expression::text() const noexcept {
  return program_->text;
}
std::vector<std::string> expression::columns() const {
  std::vector<std::string> out;
  for (const auto& c : program_->columns) out.push_back(c.name);
  return out;
}

expression expression::compile(std::string_view text, const pool& schema,
                               const rules_options& options, const location& where) {
  expression e;
  e.program_ = detail::rules::compile_program(text, schema, options, where);
  return e;
}

expression_values expression::evaluate(const pool& p, unsigned threads) const {
  const auto& prog = *program_;
  if (prog.type == value_type::list)
    throw schema_error(
        "the expression is a list; use len(...), contains(...), count(...), "
        "any(...) or all(...) to get a value per nominee");
  const auto cols = detail::rules::bind(prog, p);
  const std::size_t n = p.size();
  expression_values out;
  out.type = prog.type;
  out.valid.assign(n, 0);
  if (prog.type == value_type::boolean) out.booleans.assign(n, 0);
  if (prog.type == value_type::number || prog.type == value_type::date) out.numbers.assign(n, 0.0);
  if (prog.type == value_type::string) out.strings.assign(n, {});
  rules_options defaults;
  detail::rules::for_chunks(
      n, defaults.chunk_size, threads, prog.nodes.size(),
      [&](std::size_t start, std::size_t m, detail::rules::scratch& s) {
        const auto v = detail::rules::eval(prog, prog.root, cols.data(), start, m, s);
        std::copy_n(v.valid, m, out.valid.begin() + static_cast<std::ptrdiff_t>(start));
        switch (prog.type) {
          case value_type::boolean:
            for (std::size_t r = 0; r < m; ++r)
              out.booleans[start + r] = static_cast<std::uint8_t>(v.valid[r] & v.b[r]);
            break;
          case value_type::number:
          case value_type::date:
            for (std::size_t r = 0; r < m; ++r)
              out.numbers[start + r] =
                  v.valid[r] != 0 ? v.num[r] : std::numeric_limits<double>::quiet_NaN();
            break;
          case value_type::string: {
            const auto& root = prog.nodes[static_cast<std::size_t>(prog.root)];
            for (std::size_t r = 0; r < m; ++r)
              if (v.valid[r] != 0)
                out.strings[start + r] =
                    std::string(detail::rules::string_at(root, cols.data(), start + r));
            break;
          }
          case value_type::list:
            break;
        }
      });
  return out;
}

expression_values evaluate(std::string_view text, const pool& p, const rules_options& options) {
  return expression::compile(text, p, options).evaluate(p, options.threads);
}

// --------------------------------------------------------------------------------- rule set

namespace {

using detail::rules::compile_program;
using detail::rules::program;

// Rethrows an expression error with the rule (or table) named in front of the message.
template <class F>
auto with_context(const std::string& context, F&& f) {
  try {
    return f();
  } catch (const parse_error& e) {
    throw parse_error(context + ": " + e.message(), e.where());
  } catch (const schema_error& e) {
    throw schema_error(context + ": " + e.message(), e.where());
  }
}

detail::rules::reason_template compile_reason(const std::string& text, const pool& schema,
                                              const rules_options& options, const location& where) {
  detail::rules::reason_template out;
  out.text.emplace_back();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out.text.back() += c;
      ++i;
    } else if (c == '{') {
      const auto close = text.find('}', i + 1);
      if (close == std::string::npos)
        throw spec_error("unclosed { in the reason (write {{ for a literal brace)", where);
      location at = where;
      if (at.column != 0) at.column += i + 1;
      out.values.push_back(compile_program(text.substr(i + 1, close - i - 1), schema, options, at));
      out.text.emplace_back();
      i = close;
    } else {
      out.text.back() += c;
    }
  }
  return out;
}

// ---- compile-time overlap of `unique` table rows (simple conditions only)

struct interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
};

struct constraint {
  bool is_set = false;  // category table vs interval
  interval range{};
  std::vector<std::uint8_t> set{};
};

// Per-column constraints of a conjunction of simple comparisons, or nullopt when the
// condition has another shape (then overlap is checked per row).
std::optional<std::map<std::string, constraint>> simple_constraints(const program& p) {
  std::map<std::string, constraint> out;
  bool ok = true;
  auto leaf_column = [&](std::int32_t i) -> const detail::rules::node* {
    const auto& n = p.nodes[static_cast<std::size_t>(i)];
    if (n.kind == detail::rules::op::col_number || n.kind == detail::rules::op::col_integer ||
        n.kind == detail::rules::op::col_date)
      return &n;
    return nullptr;
  };
  auto constant = [&](std::int32_t i) -> std::optional<double> {
    const auto& n = p.nodes[static_cast<std::size_t>(i)];
    if (n.kind == detail::rules::op::constant && n.type != value_type::boolean) return n.number;
    return std::nullopt;
  };
  auto narrow = [&](const detail::rules::node& col, double v, detail::rules::op k) {
    auto& c = out[p.columns[static_cast<std::size_t>(col.column)].name];
    auto& r = c.range;
    switch (k) {
      case detail::rules::op::gt:
      case detail::rules::op::ge:
        if (v > r.lo || (v == r.lo && k == detail::rules::op::gt)) {
          r.lo = v;
          r.lo_open = k == detail::rules::op::gt;
        }
        break;
      case detail::rules::op::lt:
      case detail::rules::op::le:
        if (v < r.hi || (v == r.hi && k == detail::rules::op::lt)) {
          r.hi = v;
          r.hi_open = k == detail::rules::op::lt;
        }
        break;
      default:
        break;
    }
  };
  std::function<void(std::int32_t)> walk = [&](std::int32_t i) {
    if (!ok) return;
    const auto& n = p.nodes[static_cast<std::size_t>(i)];
    using detail::rules::op;
    switch (n.kind) {
      case op::and_:
        walk(n.a);
        walk(n.b);
        return;
      case op::lt:
      case op::le:
      case op::gt:
      case op::ge:
      case op::eq: {
        static const std::map<op, op> flip = {{op::lt, op::gt},
                                              {op::le, op::ge},
                                              {op::gt, op::lt},
                                              {op::ge, op::le},
                                              {op::eq, op::eq}};
        const detail::rules::node* c = leaf_column(n.a);
        auto v = constant(n.b);
        op k = n.kind;
        if (c == nullptr) {
          c = leaf_column(n.b);
          v = constant(n.a);
          k = flip.at(k);
        }
        if (c == nullptr || !v) {
          ok = false;
          return;
        }
        if (k == op::eq) {
          narrow(*c, *v, op::ge);
          narrow(*c, *v, op::le);
        } else {
          narrow(*c, *v, k);
        }
        return;
      }
      case op::between: {
        const detail::rules::node* c = leaf_column(n.a);
        const auto lo = constant(n.b), hi = constant(n.c);
        if (c == nullptr || !lo || !hi) {
          ok = false;
          return;
        }
        narrow(*c, *lo, op::ge);
        narrow(*c, *hi, op::le);
        return;
      }
      case op::cat_table: {
        const auto& col = p.nodes[static_cast<std::size_t>(n.a)];
        auto& c = out[p.columns[static_cast<std::size_t>(col.column)].name];
        if (!c.is_set) {
          c.is_set = true;
          c.set.assign(n.table.size(), 1);
        }
        for (std::size_t k = 0; k < n.table.size(); ++k) c.set[k] &= n.table[k];
        return;
      }
      default:
        ok = false;
    }
  };
  walk(p.root);
  if (!ok) return std::nullopt;
  // Integer columns: tighten open bounds to whole numbers.
  for (const auto& ref : p.columns) {
    auto it = out.find(ref.name);
    if (it == out.end() || it->second.is_set) continue;
    if (ref.type == column_type::integer || ref.type == column_type::date) {
      auto& r = it->second.range;
      r.lo = r.lo_open ? std::floor(r.lo) + 1 : std::ceil(r.lo);
      r.hi = r.hi_open ? std::ceil(r.hi) - 1 : std::floor(r.hi);
      r.lo_open = r.hi_open = false;
    }
  }
  return out;
}

// A value in both constraints, as text, or nullopt when they cannot both hold.
std::optional<std::string> witness(const constraint& a, const constraint& b, const column_type type,
                                   const std::vector<std::string>& dict) {
  if (a.is_set != b.is_set) return std::nullopt;
  if (a.is_set) {
    for (std::size_t k = 0; k < a.set.size(); ++k)
      if (a.set[k] != 0 && b.set[k] != 0) return "\"" + dict[k] + "\"";
    return std::nullopt;
  }
  interval r;
  r.lo = std::max(a.range.lo, b.range.lo);
  r.lo_open = (a.range.lo == r.lo && a.range.lo_open) || (b.range.lo == r.lo && b.range.lo_open);
  r.hi = std::min(a.range.hi, b.range.hi);
  r.hi_open = (a.range.hi == r.hi && a.range.hi_open) || (b.range.hi == r.hi && b.range.hi_open);
  if (r.lo > r.hi || (r.lo == r.hi && (r.lo_open || r.hi_open))) return std::nullopt;
  double v = 0;
  if (!r.lo_open && std::isfinite(r.lo))
    v = r.lo;
  else if (!r.hi_open && std::isfinite(r.hi))
    v = r.hi;
  else if (std::isfinite(r.lo) && std::isfinite(r.hi))
    v = (r.lo + r.hi) / 2;
  else if (std::isfinite(r.lo))
    v = r.lo + 1;
  else if (std::isfinite(r.hi))
    v = r.hi - 1;
  return type == column_type::date ? detail::rules::format_date(v)
                                   : detail::rules::format_number(v);
}

void check_unique_overlap(const decision_table_spec& spec, const detail::rules::compiled_table& t,
                          const pool& schema) {
  std::vector<std::optional<std::map<std::string, constraint>>> cs;
  for (const auto& p : t.conditions) cs.push_back(simple_constraints(*p));
  for (std::size_t i = 0; i < cs.size(); ++i) {
    for (std::size_t j = i + 1; j < cs.size(); ++j) {
      if (!cs[i] || !cs[j]) continue;
      std::string example;
      bool overlap = true;
      std::set<std::string> names;
      for (const auto& [k, v] : *cs[i]) names.insert(k);
      for (const auto& [k, v] : *cs[j]) names.insert(k);
      for (const auto& name : names) {
        const column& c = schema[name];
        const std::vector<std::string> empty;
        const auto& dict = c.type() == column_type::category ? c.dictionary() : empty;
        const auto a = cs[i]->find(name), b = cs[j]->find(name);
        constraint any;
        if (c.type() == column_type::category) {
          any.is_set = true;
          any.set.assign(dict.size(), 1);
        }
        const auto w = witness(a != cs[i]->end() ? a->second : any,
                               b != cs[j]->end() ? b->second : any, c.type(), dict);
        if (!w) {
          overlap = false;
          break;
        }
        example += (example.empty() ? "" : " and ") + name + " = " + *w;
      }
      if (overlap)
        throw spec_error("table \"" + spec.id + "\" (hit policy unique): rows " +
                             std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                             " overlap, e.g. " + (example.empty() ? "always" : example) +
                             "; make the conditions exclusive or use hit_policy: first",
                         spec.rows[j].when_where);
    }
  }
}

}  // namespace

rule_set rule_set::compile(const rule_set_spec& spec, const pool& schema,
                           const rules_options& given) {
  auto impl = std::make_shared<detail::rules::compiled_rule_set>();
  impl->spec = spec;
  // The file's parameters, with the values given when compiling.
  override_parameters(impl->spec.params, given.params);
  rules_options options = given;
  options.params = impl->spec.params;
  // The file's scales, then those given when compiling (which win: the compiler takes the
  // last one of a column). Each must name a category column of the schema.
  options.scales = spec.scales;
  options.scales.insert(options.scales.end(), given.scales.begin(), given.scales.end());
  for (const auto& sc : options.scales) {
    const column* c = schema.find(sc.column);
    if (c == nullptr) {
      auto close = schema.closest_columns(sc.column, 3);
      std::string dym;
      for (std::size_t i = 0; i < close.size(); ++i)
        dym += (i ? ", \"" : "; did you mean \"") + close[i] + "\"";
      throw schema_error("a scale is declared for column \"" + sc.column +
                             "\", which the pool does not have" + dym + (close.empty() ? "" : "?"),
                         sc.where);
    }
    if (c->type() != column_type::category)
      throw schema_error(
          "a scale is declared for column \"" + sc.column + "\", a " +
              std::string(to_string(c->type())) +
              " column; scales order category columns (read it as a category: schema {" +
              sc.column + ": category})",
          sc.where);
  }
  impl->options = options;
  std::size_t count = spec.rules.size();
  for (const auto& t : spec.tables) count += t.rows.size();
  if (count > options.max_rules)
    throw spec_error("too many rules: " + std::to_string(count) + " (limit " +
                         std::to_string(options.max_rules) + ", rules_options::max_rules)",
                     location{.file = spec.file});
  std::unordered_set<std::string> seen;
  auto track = [&](const std::shared_ptr<const program>& p, const std::string& context) {
    impl->max_nodes = std::max(impl->max_nodes, p->nodes.size());
    for (const auto& w : p->warnings)
      impl->warnings.push_back({context + ": " + w.message, w.where});
  };
  for (const auto& r : spec.rules) {
    if (r.id.empty()) throw spec_error("a rule has no id", r.where);
    if (!seen.insert(r.id).second) throw spec_error("duplicate id \"" + r.id + "\"", r.where);
    const std::string ctx = "rule \"" + r.id + "\"";
    detail::rules::compiled_rule cr;
    with_context(ctx, [&] {
      cr.when = compile_program(r.when, schema, options, r.when_where);
      if (cr.when->type != value_type::boolean)
        throw schema_error("`when` must be a condition (a boolean), but it is a " +
                               std::string(to_string(cr.when->type)),
                           r.when_where);
      if (!r.applies_to.empty()) {
        cr.applies = compile_program(r.applies_to, schema, options, r.applies_where);
        if (cr.applies->type != value_type::boolean)
          throw schema_error("`applies_to` must be a condition (a boolean)", r.applies_where);
      }
      cr.reason = compile_reason(
          r.reason.empty() ? (r.description.empty() ? r.id : r.description) : r.reason, schema,
          options, r.reason_where);
      return 0;
    });
    track(cr.when, ctx);
    if (cr.applies) track(cr.applies, ctx);
    for (const auto& v : cr.reason.values) track(v, ctx);
    impl->rules.push_back(std::move(cr));
    impl->ids.push_back(r.id);
  }
  for (const auto& t : spec.tables) {
    if (t.id.empty()) throw spec_error("a decision table has no id", t.where);
    if (!seen.insert(t.id).second) throw spec_error("duplicate id \"" + t.id + "\"", t.where);
    detail::rules::compiled_table ct;
    ct.numeric = !t.rows.empty();
    for (const auto& row : t.rows) ct.numeric = ct.numeric && row.output_is_number;
    if (t.default_output) ct.numeric = ct.numeric && t.default_output->output_is_number;
    auto label = [&](const table_row_spec& row) {
      const auto it = std::find(ct.labels.begin(), ct.labels.end(), row.output);
      if (it != ct.labels.end()) return static_cast<std::int32_t>(it - ct.labels.begin());
      ct.labels.push_back(row.output);
      return static_cast<std::int32_t>(ct.labels.size() - 1);
    };
    for (std::size_t k = 0; k < t.rows.size(); ++k) {
      const auto& row = t.rows[k];
      const std::string ctx = "table \"" + t.id + "\" row " + std::to_string(k + 1);
      auto p = with_context(ctx, [&] {
        auto q = compile_program(row.when, schema, options, row.when_where);
        if (q->type != value_type::boolean)
          throw schema_error("`when` must be a condition (a boolean)", row.when_where);
        return q;
      });
      track(p, ctx);
      ct.conditions.push_back(std::move(p));
      ct.numbers.push_back(row.output_is_number ? row.number
                                                : std::numeric_limits<double>::quiet_NaN());
      ct.codes.push_back(ct.numeric ? -1 : label(row));
    }
    if (t.default_output) {
      ct.default_number = t.default_output->output_is_number
                              ? t.default_output->number
                              : std::numeric_limits<double>::quiet_NaN();
      ct.default_code = ct.numeric ? -1 : label(*t.default_output);
    }
    if (t.policy == hit_policy::unique) check_unique_overlap(t, ct, schema);
    impl->tables.push_back(std::move(ct));
  }
  rule_set out;
  out.impl_ = std::move(impl);
  return out;
}

const std::vector<diagnostic>& rule_set::warnings() const noexcept {
  return impl_->warnings;
}
const rule_set_spec& rule_set::spec() const noexcept {
  return impl_->spec;
}

namespace detail::rules {

void verdict_data::ensure_tables() const {
  std::call_once(tables_once, [this] {
    const auto& st = *set;
    if (st.tables.empty()) return;
    const std::size_t n = rows;
    auto& data_tables = tables;
    data_tables.clear();  // an earlier call that ran out of memory may have left some
    // Tables: per-row outputs; collect also a row × table-row match matrix.
    std::vector<std::vector<std::uint8_t>> collect_hits(st.tables.size());
    for (std::size_t t = 0; t < st.tables.size(); ++t) {
      const auto& ct = st.tables[t];
      const auto& spec = st.spec.tables[t];
      table_result tr;
      tr.id = spec.id;
      tr.output = spec.output;
      tr.policy = spec.policy;
      tr.numeric = ct.numeric;
      tr.labels = ct.labels;
      tr.matched.assign(n, -1);
      if (ct.numeric)
        tr.numbers.assign(n, std::numeric_limits<double>::quiet_NaN());
      else
        tr.codes.assign(n, -1);
      if (spec.policy == hit_policy::collect) collect_hits[t].assign(n * ct.conditions.size(), 0);
      data_tables.push_back(std::move(tr));
    }

    const std::size_t chunk = std::max<std::size_t>(st.options.chunk_size, 1);
    for_chunks(
        n, chunk, threads != 0 ? threads : st.options.threads, st.max_nodes,
        [&](std::size_t start, std::size_t m, scratch& s) {
          std::vector<std::int32_t> state(m);
          std::vector<std::uint8_t> blocked(m), count(m);
          for (std::size_t t = 0; t < st.tables.size(); ++t) {
            const auto& ct = st.tables[t];
            auto& tr = data_tables[t];
            const auto policy = st.spec.tables[t].policy;
            std::fill(state.begin(), state.end(), -1);
            std::fill(blocked.begin(), blocked.end(), 0);
            std::fill(count.begin(), count.end(), 0);
            for (std::size_t j = 0; j < ct.conditions.size(); ++j) {
              const auto& c = *ct.conditions[j];
              const auto v = eval(c, c.root, cols(c).data(), start, m, s);
              const auto jj = static_cast<std::int32_t>(j);
              for (std::size_t r = 0; r < m; ++r) {
                const bool known = v.valid[r] != 0, hit = known && v.b[r] != 0;
                switch (policy) {
                  case hit_policy::first:
                    if (state[r] == -1 && count[r] == 0) {
                      if (hit) {
                        state[r] = blocked[r] != 0 ? -2 : jj;
                        count[r] = 1;
                      } else if (!known) {
                        blocked[r] = 1;
                      }
                    }
                    break;
                  case hit_policy::unique:
                    if (hit) {
                      if (count[r] == 0) state[r] = jj;
                      count[r] = static_cast<std::uint8_t>(std::min(count[r] + 1, 2));
                    } else if (!known) {
                      blocked[r] = 1;
                    }
                    break;
                  case hit_policy::collect:
                    collect_hits[t][(start + r) * ct.conditions.size() + j] =
                        static_cast<std::uint8_t>(hit);
                    if (!known) blocked[r] = 1;
                    break;
                }
              }
            }
            for (std::size_t r = 0; r < m; ++r) {
              std::int32_t chosen = state[r];
              if (policy == hit_policy::first) {
                if (chosen == -1 && blocked[r] != 0) chosen = -2;
              } else if (policy == hit_policy::unique) {
                if (count[r] > 1)
                  chosen = -3;
                else if (blocked[r] != 0)
                  chosen = -2;
              } else {
                chosen = -1;
              }
              tr.matched[start + r] = chosen;
              if (policy == hit_policy::collect) {
                if (ct.numeric) {
                  double sum = 0;
                  bool any = false;
                  for (std::size_t j = 0; j < ct.conditions.size(); ++j) {
                    if (collect_hits[t][(start + r) * ct.conditions.size() + j] != 0) {
                      sum += ct.numbers[j];
                      any = true;
                    }
                  }
                  tr.numbers[start + r] = any ? sum : ct.default_number;
                }
                continue;
              }
              if (ct.numeric) {
                tr.numbers[start + r] = chosen >= 0 ? ct.numbers[static_cast<std::size_t>(chosen)]
                                        : chosen == -1 ? ct.default_number
                                                       : std::numeric_limits<double>::quiet_NaN();
              } else {
                tr.codes[start + r] = chosen >= 0    ? ct.codes[static_cast<std::size_t>(chosen)]
                                      : chosen == -1 ? ct.default_code
                                                     : -1;
              }
            }
          }
        });
    // Collect: the lists of matched table rows, in row order.
    for (std::size_t t = 0; t < st.tables.size(); ++t) {
      if (st.spec.tables[t].policy != hit_policy::collect) continue;
      auto& tr = data_tables[t];
      const std::size_t w = st.tables[t].conditions.size();
      tr.offsets.assign(n + 1, 0);
      for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t j = 0; j < w; ++j)
          if (collect_hits[t][r * w + j] != 0) tr.matches.push_back(static_cast<std::int32_t>(j));
        tr.offsets[r + 1] = static_cast<std::uint32_t>(tr.matches.size());
      }
    }
  });
}

}  // namespace detail::rules

verdicts rule_set::evaluate(const pool& p, unsigned threads) const {
  const auto& set = *impl_;
  auto data = std::make_shared<detail::rules::verdict_data>();
  data->nominees = p;
  data->set = impl_;
  data->threads = threads;
  auto bind = [&](const std::shared_ptr<const program>& prog) {
    if (prog && !data->bound.contains(prog.get()))
      data->bound.emplace(prog.get(), detail::rules::bind(*prog, data->nominees));
  };
  for (const auto& r : set.rules) {
    bind(r.when);
    bind(r.applies);
    for (const auto& v : r.reason.values) bind(v);
  }
  for (const auto& t : set.tables)
    for (const auto& c : t.conditions) bind(c);

  const std::size_t n = p.size();
  const std::size_t nr = set.rules.size();
  data->rows = n;
  data->status.reset(
      static_cast<std::int8_t*>(detail::allocate_uninitialized(n * nr * sizeof(std::int8_t))));
  data->eligible.reset(static_cast<std::uint8_t*>(detail::allocate_uninitialized(n)));
  const bool unknown_rejects = set.spec.on_unknown == unknown_policy::not_eligible;

  const std::size_t chunk = std::max<std::size_t>(set.options.chunk_size, 1);
  const std::size_t chunks = (n + chunk - 1) / chunk;
  // Per-chunk partial counts of the funnel, summed in chunk order afterwards.
  std::vector<std::size_t> funnel_failed(chunks * nr, 0), funnel_unknown(chunks * nr, 0);
  std::int8_t* const status = data->status.get();
  std::uint8_t* const eligible = data->eligible.get();
  detail::rules::for_chunks(
      n, chunk, threads != 0 ? threads : set.options.threads, set.max_nodes,
      [&](std::size_t start, std::size_t m, detail::rules::scratch& s) {
        // Each rule: its status straight into its column of the matrix (rule-major, so the
        // writes are contiguous), then the funnel over 8 rows per 64-bit word.
        const std::size_t ci = start / chunk;
        std::uint8_t* const alive = s.alive();  // 1 while no reject rule excluded the row
        std::fill_n(alive, m, std::uint8_t{1});
        for (std::size_t k = 0; k < nr; ++k) {
          const auto& cr = set.rules[k];
          std::int8_t* const st = status + k * n + start;
          const auto vw = detail::rules::eval(*cr.when, cr.when->root, data->cols(*cr.when).data(),
                                              start, m, s);
          const std::uint8_t* const wv = vw.valid;
          const std::uint8_t* const wb = vw.b;
          // valid ? (true ? pass 0 : fail 1) : unknown 2, without branches.
          for (std::size_t r = 0; r < m; ++r)
            st[r] = static_cast<std::int8_t>(((wv[r] ^ 1U) << 1U) | (wv[r] & (wb[r] ^ 1U)));
          if (cr.applies) {
            // Evaluated after `when` (they share scratch slots); overrides where it does not hold.
            const auto va = detail::rules::eval(*cr.applies, cr.applies->root,
                                                data->cols(*cr.applies).data(), start, m, s);
            const std::uint8_t* const av = va.valid;
            const std::uint8_t* const ab = va.b;
            for (std::size_t r = 0; r < m; ++r)
              st[r] = static_cast<std::int8_t>(av[r] == 0 ? 2 : (ab[r] == 0 ? 3 : st[r]));
          }
          // Funnel: among rows still in the running, how many fail (status 1) or are unknown
          // (status 2); a reject rule removes them (the unknown ones under the default policy).
          // SWAR over 64-bit words: bytes are 0..3, so bit 0 and bit 1 of each byte say it all.
          const bool rejects = set.spec.rules[k].level == rule_severity::reject;
          const std::uint64_t remove_failed = rejects ? ~std::uint64_t{0} : 0;
          const std::uint64_t remove_unknown = rejects && unknown_rejects ? ~std::uint64_t{0} : 0;
          constexpr std::uint64_t ones = 0x0101010101010101ULL;
          std::size_t failed = 0, unknown = 0;
          const std::size_t words = m / 8;
          for (std::size_t w = 0; w < words;) {
            const std::size_t end = std::min(words, w + 255);  // byte lanes count to 255
            std::uint64_t failed_lanes = 0, unknown_lanes = 0;
            for (; w < end; ++w) {
              std::uint64_t code = 0, in = 0;
              std::memcpy(&code, st + 8 * w, 8);
              std::memcpy(&in, alive + 8 * w, 8);
              const std::uint64_t lo = code & ones, hi = (code >> 1U) & ones;
              const std::uint64_t f = in & lo & ~hi;
              const std::uint64_t u = in & hi & ~lo;
              failed_lanes += f;
              unknown_lanes += u;
              in ^= (f & remove_failed) | (u & remove_unknown);
              std::memcpy(alive + 8 * w, &in, 8);
            }
            failed += detail::rules::byte_sum(failed_lanes);
            unknown += detail::rules::byte_sum(unknown_lanes);
          }
          for (std::size_t r = words * 8; r < m; ++r) {
            const auto f = static_cast<std::uint8_t>(alive[r] & (st[r] == 1));
            const auto u = static_cast<std::uint8_t>(alive[r] & (st[r] == 2));
            failed += f;
            unknown += u;
            alive[r] = static_cast<std::uint8_t>(
                alive[r] & ~((f & remove_failed) | (u & remove_unknown)) & 1U);
          }
          funnel_failed[ci * nr + k] = failed;
          funnel_unknown[ci * nr + k] = unknown;
        }
        std::copy_n(alive, m, eligible + start);
      });

  // The funnel: a nominee leaves at the first reject rule that fails (or is unknown, under
  // the default policy).
  std::vector<std::size_t> failed(nr, 0), unknown(nr, 0);
  for (std::size_t c = 0; c < chunks; ++c) {
    for (std::size_t k = 0; k < nr; ++k) {
      failed[k] += funnel_failed[c * nr + k];
      unknown[k] += funnel_unknown[c * nr + k];
    }
  }
  std::size_t remaining = n;
  for (std::size_t k = 0; k < nr; ++k) {
    if (set.spec.rules[k].level == rule_severity::reject)
      remaining -= failed[k] + (unknown_rejects ? unknown[k] : 0);
    data->funnel.push_back({set.ids[k], set.spec.rules[k].level, failed[k], unknown[k], remaining});
  }

  verdicts out;
  out.rows_ = n;
  out.rules_ = nr;
  out.status_ = {data->status.get(), n * nr};
  out.eligible_ = {data->eligible.get(), n};
  out.data_ = std::move(data);
  return out;
}

std::vector<std::uint8_t> rule_set::eligible(const pool& p, unsigned threads) const {
  const auto& set = *impl_;
  std::unordered_map<const program*, std::vector<const column*>> bound;
  for (const auto& r : set.rules) {
    if (r.when && !bound.contains(r.when.get()))
      bound.emplace(r.when.get(), detail::rules::bind(*r.when, p));
    if (r.applies && !bound.contains(r.applies.get()))
      bound.emplace(r.applies.get(), detail::rules::bind(*r.applies, p));
  }
  const std::size_t n = p.size();
  std::vector<std::uint8_t> out(n);
  const bool unknown_rejects = set.spec.on_unknown == unknown_policy::not_eligible;
  const auto keep_unknown = static_cast<std::uint8_t>(unknown_rejects ? 0 : 1);
  detail::rules::for_chunks(
      n, std::max<std::size_t>(set.options.chunk_size, 1),
      threads != 0 ? threads : set.options.threads, set.max_nodes,
      [&](std::size_t start, std::size_t m, detail::rules::scratch& s) {
        std::uint8_t* const alive = out.data() + start;
        std::fill_n(alive, m, std::uint8_t{1});
        // A local copy: the captured variable could be changed by any byte store (char types
        // alias everything), which keeps the loops below from vectorising.
        const std::uint8_t keep = keep_unknown;
        for (std::size_t k = 0; k < set.rules.size(); ++k) {
          if (set.spec.rules[k].level != rule_severity::reject) continue;
          const auto& cr = set.rules[k];
          // A row stays when the rule passes, or is unknown and unknowns do not reject, or
          // (below) the rule does not apply to it.
          const auto vw = detail::rules::eval(*cr.when, cr.when->root,
                                              bound.at(cr.when.get()).data(), start, m, s);
          std::uint8_t* const stay = s.alive();
          for (std::size_t r = 0; r < m; ++r)
            stay[r] =
                static_cast<std::uint8_t>((vw.valid[r] & vw.b[r]) | ((vw.valid[r] ^ 1U) & keep));
          if (cr.applies) {
            const auto va = detail::rules::eval(*cr.applies, cr.applies->root,
                                                bound.at(cr.applies.get()).data(), start, m, s);
            for (std::size_t r = 0; r < m; ++r)
              stay[r] =
                  static_cast<std::uint8_t>(va.valid[r] != 0 ? (stay[r] | (va.b[r] ^ 1U)) : keep);
          }
          std::uint8_t any = 0;
          for (std::size_t r = 0; r < m; ++r) {
            alive[r] = static_cast<std::uint8_t>(alive[r] & stay[r]);
            any |= alive[r];
          }
          if (any == 0) break;  // no row of this chunk is left: the later rules cannot matter
        }
      });
  return out;
}

const std::vector<std::string>& verdicts::rule_ids() const noexcept {
  static const std::vector<std::string> none;
  return data_ ? data_->set->ids : none;
}
const std::vector<funnel_step>& verdicts::funnel() const noexcept {
  static const std::vector<funnel_step> none;
  return data_ ? data_->funnel : none;
}
const std::vector<table_result>& verdicts::tables() const {
  static const std::vector<table_result> none;
  if (!data_) return none;
  data_->ensure_tables();
  return data_->tables;
}
std::shared_ptr<const void> verdicts::owner() const noexcept {
  return data_;
}

std::vector<std::string> verdicts::reasons(std::size_t row) const {
  if (row >= rows_) throw std::out_of_range("verdicts::reasons: row out of range");
  std::vector<std::string> out;
  detail::rules::scratch s(data_->set->max_nodes, 1);
  for (std::size_t k = 0; k < rules_; ++k) {
    auto text = data_->reason(row, k, s);
    if (!text.empty()) out.push_back(std::move(text));
  }
  data_->ensure_tables();
  for (std::size_t t = 0; t < data_->tables.size(); ++t) {
    const auto& tr = data_->tables[t];
    if (tr.matched.empty()) continue;
    if (tr.matched[row] == -3)
      out.push_back("table " + tr.id + ": several rows match (hit policy unique)");
    else if (tr.matched[row] == -2)
      out.push_back("bảng " + tr.id + ": không xác định được (thiếu dữ liệu)");
  }
  return out;
}

const rule_set_spec* verdicts::set_spec() const noexcept {
  return data_ ? &data_->set->spec : nullptr;
}

std::vector<std::string> verdicts::reasons_of_rule(std::size_t rule,
                                                   std::span<const std::uint32_t> rows) const {
  if (rule >= rules_) throw std::out_of_range("verdicts::reasons_of_rule: rule out of range");
  std::vector<std::string> out(rows.size());
  detail::rules::scratch s(data_->set->max_nodes, 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= rows_) throw std::out_of_range("verdicts::reasons_of_rule: row out of range");
    out[i] = data_->reason(rows[i], rule, s);
  }
  return out;
}

verdicts::reason_writer::reason_writer(const verdicts& v)
    : v_(&v),
      scratch_(v.data_ ? std::make_unique<detail::rules::scratch>(
                             std::max<std::size_t>(v.data_->set->max_nodes, 1), 1)
                       : nullptr) {
  if (!v.data_) return;
  // The columns of every value of every reason, looked up once rather than per row.
  const auto& rules = v.data_->set->rules;
  columns_.resize(rules.size());
  for (std::size_t k = 0; k < rules.size(); ++k) {
    for (const auto& value : rules[k].reason.values) {
      columns_[k].push_back(&v.data_->cols(*value));
    }
  }
}

verdicts::reason_writer::~reason_writer() = default;

void verdicts::reason_writer::append(std::string& out, std::size_t rule, std::size_t row) {
  if (rule >= v_->rules_) throw std::out_of_range("verdicts::reason_writer: rule out of range");
  if (row >= v_->rows_) throw std::out_of_range("verdicts::reason_writer: row out of range");
  const auto& columns = columns_[rule];
  v_->data_->append_reason(
      out, row, rule, *scratch_,
      [&](std::size_t k) -> const std::vector<const column*>& { return *columns[k]; });
}

std::vector<std::string> verdicts::reasons_of_rule(std::size_t rule) const {
  if (rule >= rules_) throw std::out_of_range("verdicts::reasons_of_rule: rule out of range");
  std::vector<std::string> out(rows_);
  detail::rules::scratch s(data_->set->max_nodes, 1);
  for (std::size_t r = 0; r < rows_; ++r) out[r] = data_->reason(r, rule, s);
  return out;
}

// ------------------------------------------------------------------------------ parameters

namespace {

bool valid_parameter_name(std::string_view n) {
  if (n.empty()) return false;
  const auto c0 = static_cast<unsigned char>(n[0]);
  if (!(std::isalpha(c0) != 0 || c0 == '_' || c0 >= 0x80)) return false;
  return std::all_of(n.begin(), n.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
  });
}

std::optional<double> parse_decimal_text(std::string_view t) {
  std::string s(t);
  // Vietnamese decimal comma: "8,5" (one comma, no dot).
  if (s.find('.') == std::string::npos && std::count(s.begin(), s.end(), ',') == 1)
    std::replace(s.begin(), s.end(), ',', '.');
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

parameter parse_parameter(std::string_view name, std::string_view value, const location& where) {
  const std::string n = detail::to_nfc(trim(name));
  static const std::vector<std::string> reserved = {
      "and", "or", "not", "in", "between", "is", "missing", "startswith", "true", "false", "it"};
  if (std::find(reserved.begin(), reserved.end(), n) != reserved.end())
    throw spec_error("\"" + n + "\" is a word of the rule language and cannot name a parameter",
                     where);
  if (!valid_parameter_name(n))
    throw spec_error(
        "malformed parameter name \"" + n + "\" (letters, digits and _, not starting with a digit)",
        where);
  parameter p;
  p.name = n;
  p.where = where;
  p.text = detail::to_nfc(trim(value));
  if (const auto d = detail::rules::parse_rule_date(p.text)) {
    p.type = value_type::date;
    p.number = *d;
  } else if (const auto x = parse_decimal_text(p.text)) {
    p.type = value_type::number;
    p.number = *x;
  } else if (p.text == "true" || p.text == "false") {
    p.type = value_type::boolean;
    p.number = p.text == "true" ? 1 : 0;
  } else {
    p.type = value_type::string;
  }
  return p;
}

parameter parse_param_assignment(std::string_view text) {
  const auto eq = text.find('=');
  const location where{};
  if (eq == std::string_view::npos)
    throw spec_error("a parameter is given as name=value (e.g. window_end=31/08/2025), not \"" +
                         std::string(text) + "\"",
                     where);
  return parse_parameter(text.substr(0, eq), text.substr(eq + 1), where);
}

void override_parameters(std::vector<parameter>& declared,
                         const std::vector<parameter>& overrides) {
  for (const auto& o : overrides) {
    auto it = std::find_if(declared.begin(), declared.end(),
                           [&](const parameter& d) { return d.name == o.name; });
    if (it == declared.end()) {
      std::vector<std::string> names;
      for (const auto& d : declared) names.push_back(d.name);
      std::string list;
      for (const auto& d : names) list += (list.empty() ? "" : ", ") + d;
      throw spec_error(
          "unknown parameter \"" + o.name + "\"" + detail::rules::suggest(o.name, names) +
              (names.empty() ? " (the file declares no params)" : " (params: " + list + ")"),
          o.where);
    }
    parameter v = o;
    if (v.type != it->type && v.type == value_type::string) {
      // Text given for a typed parameter: read it as that type.
      v = parse_parameter(o.name, o.text, o.where);
    }
    if (v.type != it->type) {
      if (it->type == value_type::string) {
        v.type = value_type::string;  // a string parameter takes any text as written
      } else {
        throw spec_error("parameter \"" + o.name + "\" is a " + std::string(to_string(it->type)) +
                             " (declared as \"" + it->text + "\"); \"" + o.text + "\" is not a " +
                             std::string(to_string(it->type)),
                         o.where);
      }
    }
    const location declared_at = it->where;
    *it = std::move(v);
    if (it->where.file.empty() && it->where.line == 0) it->where = declared_at;
  }
}

// ---------------------------------------------------------------------------- achievements

pool with_achievements(const pool& p, const achievements_table& table, std::string_view column) {
  const std::size_t n = table.ids.size();
  if (table.levels.size() != n || (!table.prizes.empty() && table.prizes.size() != n) ||
      (!table.dates.empty() && table.dates.size() != n))
    throw schema_error("the achievements table's columns differ in length",
                       location{.file = table.file});
  if (p.find(column) != nullptr)
    throw schema_error("the pool already has a column \"" + std::string(column) +
                           "\"; give the achievements another name",
                       location{.field = std::string(column)});
  auto where = [&](std::size_t i, const std::string& field) {
    return location{.file = table.file,
                    .line = i < table.lines.size() ? table.lines[i] : table.first_line + i,
                    .row_id = table.ids[i],
                    .field = field};
  };
  std::vector<std::vector<std::int32_t>> per_row(p.size());
  std::vector<std::string> dictionary;
  std::unordered_map<std::string, std::int32_t> codes;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string id = detail::to_nfc(trim(table.ids[i]));
    const auto row = p.row_of(id);
    if (!row)
      throw data_error("achievement of \"" + id + "\", who is not in the pool", where(i, "id"));
    std::string item = detail::to_nfc(trim(table.levels[i]));
    if (item.empty()) throw data_error("achievement without a level", where(i, "level"));
    if (!table.prizes.empty()) {
      const std::string prize = detail::to_nfc(trim(table.prizes[i]));
      if (!prize.empty()) item += " - " + prize;
    }
    if (!table.dates.empty()) {
      const std::string_view d = trim(table.dates[i]);
      if (!d.empty()) {
        const auto days = detail::rules::parse_rule_date(d);
        if (!days)
          throw data_error(
              std::string(1, '"').append(d).append("\" is not a date (dd/mm/yyyy or yyyy-mm-dd)"),
              where(i, "date"));
        item += '@';
        item += detail::rules::format_date(*days);
      }
    }
    auto [it, fresh] = codes.try_emplace(item, static_cast<std::int32_t>(dictionary.size()));
    if (fresh) dictionary.push_back(item);
    per_row[*row].push_back(it->second);
  }
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::int32_t> all;
  for (const auto& r : per_row) {
    all.insert(all.end(), r.begin(), r.end());
    offsets.push_back(static_cast<std::uint32_t>(all.size()));
  }
  return p.with_column(column::category_list(std::string(column), std::move(offsets),
                                             std::move(all), std::move(dictionary)));
}

namespace {

// Records of CSV text (RFC 4180 quoting); each record with the line it starts on.
std::vector<std::pair<std::size_t, std::vector<std::string>>> csv_records(std::string_view text,
                                                                          char sep,
                                                                          const std::string& file) {
  std::vector<std::pair<std::size_t, std::vector<std::string>>> out;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1, start = 1;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      any = true;
    } else if (c == sep) {
      record.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        record.push_back(std::move(field));
        out.emplace_back(start, std::move(record));
      }
      record.clear();
      field.clear();
      any = false;
      start = ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw parse_error("unterminated quoted field", location{.file = file, .line = start});
  if (any || !field.empty()) {
    record.push_back(std::move(field));
    out.emplace_back(start, std::move(record));
  }
  return out;
}

}  // namespace

achievements_table parse_achievements_csv(std::string_view text, const achievements_columns& cols,
                                          std::string_view file) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::string name(file);
  const std::string_view first = text.substr(0, text.find('\n'));
  const char sep =
      std::count(first.begin(), first.end(), ';') > std::count(first.begin(), first.end(), ',')
          ? ';'
          : ',';
  auto records = csv_records(text, sep, name);
  if (records.empty())
    throw schema_error("the achievements table is empty (no header)", location{.file = name});
  std::vector<std::string> header;
  for (const auto& h : records[0].second) header.push_back(detail::to_nfc(trim(h)));
  std::string listed;
  for (const auto& h : header) listed += (listed.empty() ? "" : ", ") + h;
  auto index = [&](const std::string& want, bool optional_default) -> std::ptrdiff_t {
    if (want.empty()) return -1;
    const auto it = std::find(header.begin(), header.end(), detail::to_nfc(want));
    if (it != header.end()) return it - header.begin();
    if (optional_default) return -1;
    throw schema_error("the achievements table has no column \"" + want + "\"" +
                           detail::rules::suggest(want, header) + " (columns: " + listed + ")",
                       location{.file = name, .line = records[0].first});
  };
  const auto id = index(cols.id, false), level = index(cols.level, false);
  const auto prize = index(cols.prize, cols.prize == "prize");
  const auto date = index(cols.date, cols.date == "date");
  achievements_table t;
  t.file = name;
  t.first_line = 0;  // lines are given per row below
  auto cell = [](const std::vector<std::string>& r, std::ptrdiff_t k) {
    return static_cast<std::size_t>(k) < r.size() ? r[static_cast<std::size_t>(k)] : std::string();
  };
  for (std::size_t i = 1; i < records.size(); ++i) {
    const auto& [line, r] = records[i];
    t.lines.push_back(line);
    t.ids.push_back(cell(r, id));
    t.levels.push_back(cell(r, level));
    if (prize >= 0) t.prizes.push_back(cell(r, prize));
    if (date >= 0) t.dates.push_back(cell(r, date));
  }
  return t;
}

achievements_table read_achievements_csv(const std::string& path,
                                         const achievements_columns& columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error("cannot read the achievements table", location{.file = path});
  std::ostringstream text;
  text << in.rdbuf();
  return parse_achievements_csv(text.str(), columns, path);
}

}  // namespace khuyenhoc
