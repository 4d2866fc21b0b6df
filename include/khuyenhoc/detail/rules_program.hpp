#pragma once
/// \file detail/rules_program.hpp
/// The compiled form of a rule expression and its evaluation kernels. A program is a tree of
/// column operations stored in post-order in a vector; it is evaluated over a chunk of rows at a
/// time, each node writing its values and validity into its own slot of a per-thread scratch
/// area (plain loops over arrays that the compiler vectorises). No virtual call and no
/// allocation per row: the only per-row branching is in list and text kernels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/rules.hpp"

namespace khuyenhoc::detail::rules {

/// Operations of the compiled tree.
enum class op : std::uint8_t {
  constant,      ///< number/date/boolean constant `number`
  col_number,    ///< number column
  col_integer,   ///< integer column (converted to double)
  col_date,      ///< date column (days, as double)
  col_boolean,   ///< boolean column
  col_category,  ///< category column (string; only its validity is a view)
  col_text,      ///< text column (string)
  col_list,      ///< category_list column (list)
  str_const,     ///< string literal strings[0]
  cat_table,     ///< boolean: table[code of category column a]; missing when the code is -1
  text_pred,     ///< boolean: text column a equals (mode 0) / starts with (mode 1) any of strings
  str_equal,     ///< boolean: string sources a and b equal (negate: differ)
  list_len,      ///< number of items of list a
  list_count,    ///< number of items of list a with table[item]
  list_any,      ///< some item of list a has table[item]
  list_all,      ///< every item of list a has table[item]
  list_streak,   ///< longest run of consecutive items with table[item]
  list_recent,   ///< run of items with table[item] starting at the first (newest) item
  neg,
  add,
  sub,
  mul,
  div,
  abs,
  min,
  max,
  year,
  age,
  days_between,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  in_set,   ///< a is one of `set`
  between,  ///< b <= a <= c
  and_,
  or_,
  not_,
  is_missing,
  is_present,
  if_,
};

/// One node of a program. Children are indices of earlier nodes.
struct node {
  op kind = op::constant;
  value_type type = value_type::boolean;
  bool negate = false;         ///< str_equal / text_pred / in_set: negated
  bool bool_operands = false;  ///< eq / ne: compare booleans
  std::uint8_t mode = 0;       ///< text_pred: 0 equals, 1 starts with
  std::int32_t a = -1, b = -1, c = -1;
  std::vector<std::int32_t> args{};  ///< min / max
  std::int32_t column = -1;          ///< bound column slot
  double number = 0;
  std::vector<std::uint8_t> table{};   ///< per dictionary code
  std::vector<double> set{};           ///< in_set
  std::vector<std::string> strings{};  ///< text_pred, str_const
};

/// A column a program reads: checked against the pool when binding.
struct column_ref {
  std::string name{};
  column_type type = column_type::number;
  std::vector<std::string> dictionary{};  ///< category / list: codes are compiled against it
};

/// A compiled expression.
struct program {
  std::string text{};
  std::vector<node> nodes{};
  std::int32_t root = -1;
  value_type type = value_type::boolean;
  std::vector<column_ref> columns{};
  std::vector<diagnostic> warnings{};
};

/// The values of a node over a chunk: pointers into a column or the node's scratch slot.
struct view {
  const double* num = nullptr;
  const std::uint8_t* b = nullptr;
  const std::uint8_t* valid = nullptr;
};

/// Per-thread working memory: one slot (doubles, booleans, validity) per node.
class scratch {
 public:
  scratch(std::size_t nodes, std::size_t chunk)
      : chunk_(chunk),
        num_(nodes * chunk),
        b_(nodes * chunk),
        valid_(nodes * chunk),
        ones_(chunk, 1) {}
  [[nodiscard]] double* num(std::size_t node) noexcept { return num_.data() + node * chunk_; }
  [[nodiscard]] std::uint8_t* b(std::size_t node) noexcept { return b_.data() + node * chunk_; }
  [[nodiscard]] std::uint8_t* valid(std::size_t node) noexcept {
    return valid_.data() + node * chunk_;
  }
  [[nodiscard]] const std::uint8_t* ones() const noexcept { return ones_.data(); }
  [[nodiscard]] std::size_t nodes() const noexcept { return chunk_ ? num_.size() / chunk_ : 0; }
  [[nodiscard]] std::size_t chunk() const noexcept { return chunk_; }

 private:
  std::size_t chunk_;
  std::vector<double> num_;
  std::vector<std::uint8_t> b_, valid_, ones_;
};

/// Civil date (y, m, d) from days since 1970-01-01 (H. Hinnant's algorithm, branch-free).
inline void civil_from_days(std::int64_t z, std::int64_t& y, std::int64_t& m, std::int64_t& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

/// A day number as an integer, clamped to ±1e9 days (date arithmetic can leave the calendar;
/// the cast of an out-of-range double would be undefined).
inline std::int64_t to_days(double x) {
  return x >= -1e9 && x <= 1e9 ? static_cast<std::int64_t>(x)
                               : (x > 0 ? 1'000'000'000 : -1'000'000'000);
}

/// Full years between `birth` and `on` (days), as on a birthday certificate.
inline double age_in_years(double birth, double on) {
  std::int64_t y1 = 0, m1 = 0, d1 = 0, y2 = 0, m2 = 0, d2 = 0;
  civil_from_days(to_days(birth), y1, m1, d1);
  civil_from_days(to_days(on), y2, m2, d2);
  return static_cast<double>(y2 - y1 - ((m2 * 32 + d2) < (m1 * 32 + d1) ? 1 : 0));
}

/// The string value of a string-typed leaf node at `row` (valid rows only).
inline std::string_view string_at(const node& nd, const column* const* cols, std::size_t row) {
  switch (nd.kind) {
    case op::col_category:
      return cols[nd.column]->category_at(row);
    case op::col_text:
      return cols[nd.column]->text_at(row);
    default:
      return nd.strings.empty() ? std::string_view{} : std::string_view(nd.strings[0]);
  }
}

/// out[r] = valid[r] && f(x[r], c): a comparison with a constant, vectorisable.
template <class F>
inline void compare_const(const view& a, double c, std::uint8_t* out, std::size_t n, F f) {
  const double* x = a.num;
  const std::uint8_t* v = a.valid;
  for (std::size_t r = 0; r < n; ++r)
    out[r] = static_cast<std::uint8_t>(v[r] & static_cast<std::uint8_t>(f(x[r], c)));
}

/// Evaluates node `i` of `p` over rows [start, start+n) (n <= chunk size). `cols[k]` is the
/// pool column bound to slot k. Values of missing rows are unspecified; booleans are 0/1.
inline view eval(const program& p, std::int32_t i, const column* const* cols, std::size_t start,
                 std::size_t n, scratch& s) {
  const node& nd = p.nodes[static_cast<std::size_t>(i)];
  const auto slot = static_cast<std::size_t>(i);
  double* out = s.num(slot);
  std::uint8_t* ob = s.b(slot);
  std::uint8_t* ov = s.valid(slot);
  auto col = [&]() -> const column& { return *cols[nd.column]; };
  auto child = [&](std::int32_t k) { return eval(p, k, cols, start, n, s); };

  switch (nd.kind) {
    case op::constant: {
      if (nd.type == value_type::boolean) {
        std::fill_n(ob, n, static_cast<std::uint8_t>(nd.number != 0));
        return {nullptr, ob, s.ones()};
      }
      std::fill_n(out, n, nd.number);
      return {out, nullptr, s.ones()};
    }
    case op::col_number:
      return {col().numbers().data() + start, nullptr, col().validity().data() + start};
    case op::col_integer: {
      const std::int64_t* v = col().integers().data() + start;
      for (std::size_t r = 0; r < n; ++r) out[r] = static_cast<double>(v[r]);
      return {out, nullptr, col().validity().data() + start};
    }
    case op::col_date: {
      const day_number* v = col().dates().data() + start;
      for (std::size_t r = 0; r < n; ++r) out[r] = static_cast<double>(v[r]);
      return {out, nullptr, col().validity().data() + start};
    }
    case op::col_boolean:
      return {nullptr, col().booleans().data() + start, col().validity().data() + start};
    case op::col_category:
    case op::col_text:
    case op::col_list:
      return {nullptr, nullptr, col().validity().data() + start};
    case op::str_const:
      return {nullptr, nullptr, s.ones()};
    case op::cat_table: {
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::int32_t* codes = c.codes().data() + start;
      const std::uint8_t* t = nd.table.data();
      for (std::size_t r = 0; r < n; ++r) {
        const std::int32_t k = codes[r];
        ov[r] = static_cast<std::uint8_t>(k >= 0);
        ob[r] = k >= 0 ? t[k] : 0;
      }
      return {nullptr, ob, ov};
    }
    case op::text_pred: {
      const bool negate = nd.negate;
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::uint8_t* v = c.validity().data() + start;
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = v[r];
        bool hit = false;
        if (v[r] != 0) {
          const std::string_view t = c.text_at(start + r);
          for (const auto& w : nd.strings) {
            if (nd.mode == 0 ? t == w : t.starts_with(w)) {
              hit = true;
              break;
            }
          }
        }
        ob[r] = static_cast<std::uint8_t>(hit != negate);
      }
      return {nullptr, ob, ov};
    }
    case op::str_equal: {
      const view va = child(nd.a), vb = child(nd.b);
      const node& na = p.nodes[static_cast<std::size_t>(nd.a)];
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r]);
        ob[r] = ov[r] != 0
                    ? static_cast<std::uint8_t>((string_at(na, cols, start + r) ==
                                                 string_at(nb, cols, start + r)) != nd.negate)
                    : 0;
      }
      return {nullptr, ob, ov};
    }
    case op::list_len:
    case op::list_count:
    case op::list_any:
    case op::list_all:
    case op::list_streak:
    case op::list_recent: {
      const column& c = *cols[p.nodes[static_cast<std::size_t>(nd.a)].column];
      const std::uint32_t* off = c.list_offsets().data() + start;
      const std::int32_t* codes = c.codes().data();
      const std::uint8_t* v = c.validity().data() + start;
      const std::uint8_t* t = nd.table.data();
      std::copy_n(v, n, ov);
      for (std::size_t r = 0; r < n; ++r) {
        const std::uint32_t lo = off[r], hi = off[r + 1];
        switch (nd.kind) {
          case op::list_len:
            out[r] = static_cast<double>(hi - lo);
            break;
          case op::list_count: {
            std::uint32_t k = 0;
            for (std::uint32_t j = lo; j < hi; ++j) k += t[codes[j]];
            out[r] = static_cast<double>(k);
            break;
          }
          case op::list_any: {
            std::uint8_t any = 0;
            for (std::uint32_t j = lo; j < hi; ++j) any |= t[codes[j]];
            ob[r] = any;
            break;
          }
          case op::list_all: {
            std::uint8_t all = 1;
            for (std::uint32_t j = lo; j < hi; ++j) all &= t[codes[j]];
            ob[r] = all;
            break;
          }
          case op::list_streak: {
            std::uint32_t best = 0, run = 0;
            for (std::uint32_t j = lo; j < hi; ++j) {
              run = t[codes[j]] != 0 ? run + 1 : 0;
              best = std::max(best, run);
            }
            out[r] = static_cast<double>(best);
            break;
          }
          default: {  // list_recent
            std::uint32_t j = lo;
            while (j < hi && t[codes[j]] != 0) ++j;
            out[r] = static_cast<double>(j - lo);
            break;
          }
        }
      }
      return {out, ob, ov};
    }
    case op::neg:
    case op::abs:
    case op::year:
    case op::not_:
    case op::is_missing:
    case op::is_present: {
      const view va = child(nd.a);
      switch (nd.kind) {
        case op::neg:
          for (std::size_t r = 0; r < n; ++r) out[r] = -va.num[r];
          return {out, nullptr, va.valid};
        case op::abs:
          for (std::size_t r = 0; r < n; ++r) out[r] = std::fabs(va.num[r]);
          return {out, nullptr, va.valid};
        case op::year:
          for (std::size_t r = 0; r < n; ++r) {
            std::int64_t y = 0, m = 0, d = 0;
            civil_from_days(va.valid[r] != 0 ? to_days(va.num[r]) : 0, y, m, d);
            out[r] = static_cast<double>(y);
          }
          return {out, nullptr, va.valid};
        case op::not_:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          return {nullptr, ob, va.valid};
        case op::is_missing:
          for (std::size_t r = 0; r < n; ++r) ob[r] = static_cast<std::uint8_t>(va.valid[r] ^ 1U);
          return {nullptr, ob, s.ones()};
        default:
          for (std::size_t r = 0; r < n; ++r) ob[r] = static_cast<std::uint8_t>(va.valid[r] != 0);
          return {nullptr, ob, s.ones()};
      }
    }
    case op::add:
    case op::sub:
    case op::mul:
    case op::div:
    case op::age:
    case op::days_between: {
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      if (nb.kind == op::constant &&
          (nd.kind == op::add || nd.kind == op::sub || nd.kind == op::mul || nd.kind == op::div)) {
        const view va = child(nd.a);
        const double c = nb.number;
        const double* x = va.num;
        if (nd.kind == op::add) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] + c;
        } else if (nd.kind == op::sub) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] - c;
        } else if (nd.kind == op::mul) {
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] * c;
        } else {
          const double d = c != 0 ? c : 1.0;
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] / d;
        }
        const auto nonzero = static_cast<std::uint8_t>(nd.kind != op::div || c != 0);
        for (std::size_t r = 0; r < n; ++r)
          ov[r] = static_cast<std::uint8_t>(va.valid[r] & nonzero & (out[r] == out[r]));
        return {out, nullptr, ov};
      }
      const view va = child(nd.a), vb = child(nd.b);
      const double* x = va.num;
      const double* y = vb.num;
      switch (nd.kind) {
        case op::add:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] + y[r];
          break;
        case op::sub:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] - y[r];
          break;
        case op::mul:
          for (std::size_t r = 0; r < n; ++r) out[r] = x[r] * y[r];
          break;
        case op::div:
          for (std::size_t r = 0; r < n; ++r) out[r] = y[r] != 0 ? x[r] / y[r] : 0.0;
          break;
        case op::age:
          if (nb.kind == op::constant) {
            // age(birth, fixed day): the day's calendar date once, the birth date per row.
            std::int64_t y2 = 0, m2 = 0, d2 = 0;
            civil_from_days(to_days(nb.number), y2, m2, d2);
            for (std::size_t r = 0; r < n; ++r) {
              std::int64_t y1 = 0, m1 = 0, d1 = 0;
              civil_from_days(va.valid[r] != 0 ? to_days(x[r]) : 0, y1, m1, d1);
              out[r] = static_cast<double>(y2 - y1 - ((m2 * 32 + d2) < (m1 * 32 + d1) ? 1 : 0));
            }
          } else {
            for (std::size_t r = 0; r < n; ++r)
              out[r] = (va.valid[r] & vb.valid[r]) != 0 ? age_in_years(x[r], y[r]) : 0.0;
          }
          break;
        default:  // days_between(a, b) = b - a
          for (std::size_t r = 0; r < n; ++r) out[r] = y[r] - x[r];
          break;
      }
      // Known only when both operands are, the divisor is not 0 and the result is a number.
      if (nd.kind == op::div) {
        for (std::size_t r = 0; r < n; ++r)
          ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r] & (y[r] != 0) &
                                            (out[r] == out[r]));
      } else {
        for (std::size_t r = 0; r < n; ++r)
          ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r] & (out[r] == out[r]));
      }
      return {out, nullptr, ov};
    }
    case op::min:
    case op::max: {
      const view v0 = child(nd.args[0]);
      std::copy_n(v0.num, n, out);
      std::copy_n(v0.valid, n, ov);
      for (std::size_t k = 1; k < nd.args.size(); ++k) {
        const view vk = child(nd.args[k]);
        if (nd.kind == op::min) {
          for (std::size_t r = 0; r < n; ++r) out[r] = std::min(out[r], vk.num[r]);
        } else {
          for (std::size_t r = 0; r < n; ++r) out[r] = std::max(out[r], vk.num[r]);
        }
        for (std::size_t r = 0; r < n; ++r) ov[r] &= vk.valid[r];
      }
      return {out, nullptr, ov};
    }
    case op::lt:
    case op::le:
    case op::gt:
    case op::ge:
    case op::eq:
    case op::ne: {
      const node& nb = p.nodes[static_cast<std::size_t>(nd.b)];
      if (!nd.bool_operands && nb.kind == op::constant) {
        // Column against a constant (the common case): no constant array, no validity AND.
        const view va = child(nd.a);
        const double c = nb.number;
        switch (nd.kind) {
          case op::lt:
            compare_const(va, c, ob, n, [](double x, double y) { return x < y; });
            break;
          case op::le:
            compare_const(va, c, ob, n, [](double x, double y) { return x <= y; });
            break;
          case op::gt:
            compare_const(va, c, ob, n, [](double x, double y) { return x > y; });
            break;
          case op::ge:
            compare_const(va, c, ob, n, [](double x, double y) { return x >= y; });
            break;
          case op::eq:
            compare_const(va, c, ob, n, [](double x, double y) { return x == y; });
            break;
          default:
            compare_const(va, c, ob, n, [](double x, double y) { return x != y; });
            break;
        }
        return {nullptr, ob, va.valid};
      }
      const view va = child(nd.a), vb = child(nd.b);
      for (std::size_t r = 0; r < n; ++r)
        ov[r] = static_cast<std::uint8_t>(va.valid[r] & vb.valid[r]);
      if (nd.bool_operands) {
        const bool want_equal = nd.kind == op::eq;
        for (std::size_t r = 0; r < n; ++r)
          ob[r] = static_cast<std::uint8_t>(ov[r] & ((va.b[r] == vb.b[r]) == want_equal));
        return {nullptr, ob, ov};
      }
      const double* x = va.num;
      const double* y = vb.num;
      switch (nd.kind) {
        case op::lt:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] < y[r]));
          break;
        case op::le:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] <= y[r]));
          break;
        case op::gt:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] > y[r]));
          break;
        case op::ge:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] >= y[r]));
          break;
        case op::eq:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] == y[r]));
          break;
        default:
          for (std::size_t r = 0; r < n; ++r)
            ob[r] = static_cast<std::uint8_t>(ov[r] & (x[r] != y[r]));
          break;
      }
      return {nullptr, ob, ov};
    }
    case op::in_set: {
      const view va = child(nd.a);
      const double* const set = nd.set.data();
      const std::size_t set_size = nd.set.size();
      const auto negate = static_cast<std::uint8_t>(nd.negate);
      for (std::size_t r = 0; r < n; ++r) {
        std::uint8_t hit = 0;
        for (std::size_t j = 0; j < set_size; ++j)
          hit |= static_cast<std::uint8_t>(va.num[r] == set[j]);
        ob[r] = static_cast<std::uint8_t>(va.valid[r] & (hit ^ negate));
      }
      return {nullptr, ob, va.valid};
    }
    case op::between: {
      const view vx = child(nd.a), vlo = child(nd.b), vhi = child(nd.c);
      for (std::size_t r = 0; r < n; ++r) {
        ov[r] = static_cast<std::uint8_t>(vx.valid[r] & vlo.valid[r] & vhi.valid[r]);
        ob[r] = static_cast<std::uint8_t>(ov[r] & (vlo.num[r] <= vx.num[r]) &
                                          (vx.num[r] <= vhi.num[r]));
      }
      return {nullptr, ob, ov};
    }
    case op::and_:
    case op::or_: {
      const view va = child(nd.a), vb = child(nd.b);
      // Kleene logic on (value, known) pairs; `t` = known true, `f` = known false.
      if (nd.kind == op::and_) {
        for (std::size_t r = 0; r < n; ++r) {
          const auto ta = static_cast<std::uint8_t>(va.valid[r] & va.b[r]);
          const auto tb = static_cast<std::uint8_t>(vb.valid[r] & vb.b[r]);
          const auto fa = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          const auto fb = static_cast<std::uint8_t>(vb.valid[r] & (vb.b[r] ^ 1U));
          ob[r] = static_cast<std::uint8_t>(ta & tb);
          ov[r] = static_cast<std::uint8_t>(fa | fb | (ta & tb));
        }
      } else {
        for (std::size_t r = 0; r < n; ++r) {
          const auto ta = static_cast<std::uint8_t>(va.valid[r] & va.b[r]);
          const auto tb = static_cast<std::uint8_t>(vb.valid[r] & vb.b[r]);
          const auto fa = static_cast<std::uint8_t>(va.valid[r] & (va.b[r] ^ 1U));
          const auto fb = static_cast<std::uint8_t>(vb.valid[r] & (vb.b[r] ^ 1U));
          ob[r] = static_cast<std::uint8_t>(ta | tb);
          ov[r] = static_cast<std::uint8_t>(ta | tb | (fa & fb));
        }
      }
      return {nullptr, ob, ov};
    }
    case op::if_: {
      const view vc = child(nd.a), vt = child(nd.b), ve = child(nd.c);
      if (nd.type == value_type::boolean) {
        for (std::size_t r = 0; r < n; ++r) {
          const bool pick_then = vc.b[r] != 0;
          ov[r] = static_cast<std::uint8_t>(vc.valid[r] & (pick_then ? vt.valid[r] : ve.valid[r]));
          ob[r] = static_cast<std::uint8_t>(ov[r] & (pick_then ? vt.b[r] : ve.b[r]));
        }
        return {nullptr, ob, ov};
      }
      for (std::size_t r = 0; r < n; ++r) {
        const bool pick_then = vc.b[r] != 0;
        ov[r] = static_cast<std::uint8_t>(vc.valid[r] & (pick_then ? vt.valid[r] : ve.valid[r]));
        out[r] = pick_then ? vt.num[r] : ve.num[r];
      }
      return {out, nullptr, ov};
    }
  }
  return {out, ob, ov};
}

/// Resolves the columns of `p` in `pool`, checking names, types and dictionaries.
/// \throws schema_error when `pool` does not have the schema `p` was compiled against.
std::vector<const column*> bind(const program& p, const pool& pool);

}  // namespace khuyenhoc::detail::rules
