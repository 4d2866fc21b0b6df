// Criteria sets: validation, compilation against a pool schema, binding to a pool's
// dictionaries, explanations, and the MCDA helpers that are not hot.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>

#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/detail/unicode.hpp"

namespace khuyenhoc {

std::string_view to_string(indicator_kind kind) noexcept {
  switch (kind) {
    case indicator_kind::bands:
      return "bands";
    case indicator_kind::linear:
      return "linear";
    case indicator_kind::map:
      return "map";
    case indicator_kind::per_item:
      return "per_item";
    case indicator_kind::boolean:
      return "boolean";
  }
  return "?";
}

std::string_view to_string(missing_policy policy) noexcept {
  switch (policy) {
    case missing_policy::zero:
      return "zero";
    case missing_policy::fail:
      return "fail";
    case missing_policy::error:
      return "error";
  }
  return "?";
}

namespace {

std::string num(double x) {
  if (std::isinf(x)) return x > 0 ? "∞" : "-∞";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return {buf, r.ptr};
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

[[noreturn]] void fail(const location& where, const std::string& what) {
  throw spec_error(what, location{.file = where.file, .line = where.line, .column = where.column});
}

// A position in "key space": (value, 0) is passed by x >= value, (value, 1) by x > value.
using key = std::pair<double, int>;

key start_key(const band_spec& b) {
  return {b.lower, b.lower_inclusive ? 0 : 1};
}
key end_key(const band_spec& b) {
  return {b.upper, b.upper_inclusive ? 1 : 0};
}

std::string band_text(const band_spec& b) {
  const bool lo = std::isfinite(b.lower), hi = std::isfinite(b.upper);
  std::string s;
  if (lo && hi) {
    s = num(b.lower) + (b.lower_inclusive ? " ≤ x " : " < x ") + (b.upper_inclusive ? "≤ " : "< ") +
        num(b.upper);
  } else if (lo) {
    s = (b.lower_inclusive ? "x ≥ " : "x > ") + num(b.lower);
  } else if (hi) {
    s = (b.upper_inclusive ? "x ≤ " : "x < ") + num(b.upper);
  } else {
    s = "any x";
  }
  return s;
}

struct validator {
  std::set<std::string> ids;

  void node_common(const std::string& id, const location& where, double weight,
                   const std::optional<double>& max_points, const std::optional<double>& pass,
                   const char* what) {
    if (id.empty()) fail(where, std::string("key \"id\": every ") + what + " needs an id");
    if (!ids.insert(id).second)
      fail(where, "key \"id\": " + quoted(id) + " is used twice (ids must be unique in the set)");
    if (!std::isfinite(weight) || weight < 0)
      fail(where, "key \"weight\" of " + quoted(id) + ": weight must be a finite number ≥ 0, not " +
                      num(weight));
    if (max_points && (!std::isfinite(*max_points) || *max_points <= 0))
      fail(where, "key \"max_points\" of " + quoted(id) + ": must be a finite number > 0, not " +
                      num(*max_points));
    if (pass && !std::isfinite(*pass))
      fail(where, "key \"pass\" of " + quoted(id) + ": must be a finite number");
  }

  static void points(const indicator_spec& s, double p, const location& where, const char* key) {
    if (!std::isfinite(p) || p < 0)
      fail(where, std::string("key \"") + key + "\" of indicator " + quoted(s.id) +
                      ": points must be a finite number ≥ 0, not " + num(p));
  }

  void indicator(const indicator_spec& s) {
    node_common(s.id, s.where, s.weight, s.max_points, s.pass, "indicator");
    // `fired` stores band and entry indices as int16.
    constexpr std::size_t limit = 32000;
    if (s.bands.size() > limit || s.map.size() > limit || s.kinds.size() > limit)
      fail(s.where, "indicator " + quoted(s.id) + " has more than 32000 bands, entries or kinds");
    if (s.column.empty() && s.value.empty())
      fail(s.where, "indicator " + quoted(s.id) +
                        " needs the pool column it reads (key \"column\") or an expression "
                        "(key \"value\")");
    if (!s.column.empty() && !s.value.empty())
      fail(s.where,
           "indicator " + quoted(s.id) + " has both \"column\" and \"value\"; give one of them");
    if ((s.kind == indicator_kind::map || s.kind == indicator_kind::per_item) && !s.value.empty())
      fail(s.where, "indicator " + quoted(s.id) + " (" + std::string(to_string(s.kind)) +
                        ") reads a column; \"value\" expressions are scored by bands, linear "
                        "or boolean indicators");
    switch (s.kind) {
      case indicator_kind::bands: {
        if (s.bands.empty())
          fail(s.where, "key \"bands\" of indicator " + quoted(s.id) + " is empty");
        points(s, s.otherwise, s.where, "otherwise");
        for (const auto& b : s.bands) {
          points(s, b.points, b.where, "points");
          if (std::isnan(b.lower) || std::isnan(b.upper))
            fail(b.where, "key \"bands\" of indicator " + quoted(s.id) + ": a bound is NaN");
          if (!(start_key(b) < end_key(b)))
            fail(b.where, "key \"bands\" of indicator " + quoted(s.id) + ": band " + band_text(b) +
                              " is empty");
        }
        // Listed in order (ascending or descending), and not overlapping.
        bool ascending = true, descending = true;
        for (std::size_t i = 1; i < s.bands.size(); ++i) {
          ascending = ascending && start_key(s.bands[i - 1]) < start_key(s.bands[i]);
          descending = descending && start_key(s.bands[i]) < start_key(s.bands[i - 1]);
        }
        if (!ascending && !descending) {
          for (std::size_t i = 2; i < s.bands.size(); ++i) {
            const bool up1 = start_key(s.bands[i - 2]) < start_key(s.bands[i - 1]);
            const bool up2 = start_key(s.bands[i - 1]) < start_key(s.bands[i]);
            if (up1 != up2 || start_key(s.bands[i - 1]) == start_key(s.bands[i]))
              fail(s.bands[i].where, "key \"bands\" of indicator " + quoted(s.id) + ": band " +
                                         band_text(s.bands[i]) +
                                         " is out of order (list bands from the best down or "
                                         "from the lowest up)");
          }
          fail(s.bands[1].where, "key \"bands\" of indicator " + quoted(s.id) + ": band " +
                                     band_text(s.bands[1]) + " is out of order or overlaps");
        }
        std::vector<std::size_t> order(s.bands.size());
        for (std::size_t i = 0; i < order.size(); ++i)
          order[i] = ascending ? i : order.size() - 1 - i;
        for (std::size_t i = 1; i < order.size(); ++i) {
          const auto& prev = s.bands[order[i - 1]];
          const auto& cur = s.bands[order[i]];
          if (start_key(cur) < end_key(prev)) {
            const auto& later = order[i] > order[i - 1] ? cur : prev;
            const auto& earlier = order[i] > order[i - 1] ? prev : cur;
            fail(later.where, "key \"bands\" of indicator " + quoted(s.id) + ": band " +
                                  band_text(later) + " overlaps band " + band_text(earlier));
          }
        }
        break;
      }
      case indicator_kind::linear:
        points(s, s.points, s.where, "points");
        if (!std::isfinite(s.min) || !std::isfinite(s.max) || s.min == s.max)
          fail(s.where, "key \"linear\" of indicator " + quoted(s.id) +
                            ": min and max must be finite and different");
        break;
      case indicator_kind::map: {
        if (s.map.empty()) fail(s.where, "key \"map\" of indicator " + quoted(s.id) + " is empty");
        points(s, s.other, s.where, "other");
        std::set<std::string> keys;
        for (const auto& e : s.map) {
          points(s, e.points, e.where, "map");
          if (!keys.insert(e.key).second)
            fail(e.where, "key \"map\" of indicator " + quoted(s.id) + ": category " +
                              quoted(e.key) + " is listed twice");
        }
        break;
      }
      case indicator_kind::per_item:
        points(s, s.points, s.where, "points");
        for (const auto& k : s.kinds) {
          points(s, k.points, k.where, "points");
          if (k.prefix.empty())
            fail(k.where, "key \"prefix\" of indicator " + quoted(s.id) + " is empty");
        }
        break;
      case indicator_kind::boolean:
        points(s, s.points, s.where, "points");
        break;
    }
  }

  void criterion(const criterion_spec& c) {
    node_common(c.id, c.where, c.weight, c.max_points, c.pass, "criterion");
    if (c.indicators.empty() && c.criteria.empty())
      fail(c.where, "criterion " + quoted(c.id) + " has no indicators and no criteria");
    for (const auto& i : c.indicators) indicator(i);
    for (const auto& sub : c.criteria) criterion(sub);
  }
};

}  // namespace

criteria_set::criteria_set(criteria_spec spec) {
  validator v;
  if (spec.criteria.empty() && spec.indicators.empty())
    fail(spec.where, "the criteria set has no criteria and no indicators");
  if (spec.max_points && (!std::isfinite(*spec.max_points) || *spec.max_points <= 0))
    fail(spec.where, "key \"max_points\": must be a finite number > 0");
  if (spec.precision < 0 || spec.precision > detail::max_decimal_places)
    fail(spec.where,
         "key \"precision\": decimal places from 0 to 6, not " + std::to_string(spec.precision));
  for (const auto& i : spec.indicators) v.indicator(i);
  for (const auto& c : spec.criteria) v.criterion(c);
  std::set<std::string> codes;
  for (std::size_t l = 0; l < spec.levels.size(); ++l) {
    const auto& lv = spec.levels[l];
    if (lv.code.empty()) fail(lv.where, "key \"code\": every level needs a code");
    if (!codes.insert(lv.code).second)
      fail(lv.where, "key \"code\": level " + quoted(lv.code) + " is listed twice");
    const bool last = l + 1 == spec.levels.size();
    if (!last) {
      if (!lv.min || !std::isfinite(*lv.min))
        fail(lv.where, "key \"min\" of level " + quoted(lv.code) +
                           ": every level but the last (lowest) needs a finite min");
      if (l > 0 && !(*lv.min < *spec.levels[l - 1].min))
        fail(lv.where, "key \"min\" of level " + quoted(lv.code) +
                           ": levels go from the highest down; min " + num(*lv.min) +
                           " is not below " + num(*spec.levels[l - 1].min));
    }
    for (const auto& r : lv.require) {
      if (v.ids.count(r) == 0)
        fail(lv.where, "key \"require\" of level " + quoted(lv.code) +
                           ": no indicator or criterion " + quoted(r));
    }
  }
  spec_ = std::make_shared<const criteria_spec>(std::move(spec));
}

criteria_set criteria_set::from_yaml(std::string_view text, const std::string& file) {
  return criteria_set(parse_criteria_yaml(text, file));
}

criteria_set criteria_set::from_file(const std::string& path) {
  return criteria_set(load_criteria_yaml(path));
}

namespace {

bool kind_accepts(indicator_kind kind, column_type t) {
  switch (kind) {
    case indicator_kind::bands:
    case indicator_kind::linear:
      return t == column_type::number || t == column_type::integer;
    case indicator_kind::map:
      return t == column_type::category;
    case indicator_kind::per_item:
      return t == column_type::category_list;
    case indicator_kind::boolean:
      return t == column_type::boolean;
  }
  return false;
}

std::string_view accepted(indicator_kind kind) {
  switch (kind) {
    case indicator_kind::bands:
    case indicator_kind::linear:
      return "a number or integer column";
    case indicator_kind::map:
      return "a category column";
    case indicator_kind::per_item:
      return "a list column";
    case indicator_kind::boolean:
      return "a boolean column";
  }
  return "";
}

const column& find_column(const pool& p, const std::string& name, const std::string& indicator,
                          const location& where) {
  const column* c = p.find(name);
  if (c == nullptr) {
    std::string msg = "key \"column\" of indicator " + quoted(indicator) + ": no column " +
                      quoted(name) + " in the pool";
    const auto close = p.closest_columns(name);
    if (!close.empty()) {
      msg += "; did you mean ";
      for (std::size_t i = 0; i < close.size(); ++i)
        msg += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + quoted(close[i]);
      msg += "?";
    }
    throw schema_error(
        msg,
        location{.file = where.file, .line = where.line, .column = where.column, .field = name});
  }
  return *c;
}

struct compiler {
  detail::compiled_data& out;
  const pool& schema;
  const std::vector<parameter>& params;

  void indicator(const indicator_spec& s, std::int32_t parent) {
    detail::compiled_indicator ci;
    std::string column_name = s.column;
    column_type type = column_type::number;
    if (!s.value.empty() && schema.find(s.value) == nullptr) {
      // A derived value: compiled once; scored from a column named by its text.
      rules_options opt;
      opt.params = params;
      auto e = expression::compile(s.value, schema, opt, s.value_where);
      const bool numeric = e.type() == value_type::number;
      const bool boolean = e.type() == value_type::boolean;
      if (!(numeric && (s.kind == indicator_kind::bands || s.kind == indicator_kind::linear)) &&
          !(boolean && s.kind == indicator_kind::boolean))
        throw schema_error("indicator " + quoted(s.id) + " (" + std::string(to_string(s.kind)) +
                               ") needs " + std::string(accepted(s.kind)) + "; its value " +
                               quoted(s.value) + " is a " + std::string(to_string(e.type())),
                           s.value_where);
      type = numeric ? column_type::number : column_type::boolean;
      column_name = s.value;
      std::int32_t index = -1;
      for (std::size_t k = 0; k < out.derived.size(); ++k)
        if (out.derived[k].text() == s.value) index = static_cast<std::int32_t>(k);
      if (index < 0) {
        index = static_cast<std::int32_t>(out.derived.size());
        out.derived.push_back(std::move(e));
      }
      ci.derived = index;
    } else {
      if (!s.value.empty()) column_name = s.value;  // `value: gpa` is the column gpa
      const column& col = find_column(schema, column_name, s.id, s.where);
      if (!kind_accepts(s.kind, col.type()))
        throw schema_error("indicator " + quoted(s.id) + " (" + std::string(to_string(s.kind)) +
                               ") needs " + std::string(accepted(s.kind)) + "; column " +
                               quoted(column_name) + " is " + std::string(to_string(col.type())),
                           location{.file = s.where.file,
                                    .line = s.where.line,
                                    .column = s.where.column,
                                    .field = column_name});
      type = col.type();
    }
    ci.id = s.id;
    ci.name = s.name;
    ci.column = column_name;
    ci.kind = s.kind;
    ci.weight = s.weight;
    if (s.max_points) ci.cap = *s.max_points;
    ci.mandatory = s.mandatory;
    ci.pass = s.pass;
    ci.missing = s.missing;
    ci.parent = parent;
    ci.where = s.where;
    ci.lo = s.min;
    ci.hi = s.max;
    ci.full = s.points;
    ci.item_points = s.points;
    ci.map = s.map;
    ci.other = s.other;
    ci.kinds = s.kinds;
    ci.when = s.when;
    ci.bands = s.bands;
    ci.otherwise = s.otherwise;
    if (s.kind == indicator_kind::bands) {
      std::vector<key> keys;
      for (const auto& b : s.bands) {
        if (std::isfinite(b.lower)) keys.push_back(start_key(b));
        if (std::isfinite(b.upper)) keys.push_back(end_key(b));
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      for (const auto& k : keys) {
        // Compared as decimals: x >= a holds for x within the tolerance below a, and x > a
        // needs x beyond the tolerance above a (an average of 8.499999999999998 is 8.5).
        const double t = detail::decimal_tolerance(k.first, k.first);
        ci.bounds.push_back(k.second != 0 ? k.first + t : k.first - t);
        ci.strict.push_back(static_cast<std::uint8_t>(k.second));
      }
      const std::size_t segments = keys.size() + 1;
      ci.segment_points.assign(segments, ci.finish(s.otherwise));
      ci.segment_band.assign(segments, -1);
      for (std::size_t b = 0; b < s.bands.size(); ++b) {
        const auto& band = s.bands[b];
        const std::size_t first =
            std::isfinite(band.lower)
                ? static_cast<std::size_t>(
                      std::lower_bound(keys.begin(), keys.end(), start_key(band)) - keys.begin()) +
                      1
                : 0;
        const std::size_t last =
            std::isfinite(band.upper)
                ? static_cast<std::size_t>(
                      std::lower_bound(keys.begin(), keys.end(), end_key(band)) - keys.begin()) +
                      1
                : segments;
        for (std::size_t seg = first; seg < last; ++seg) {
          ci.segment_points[seg] = ci.finish(band.points);
          ci.segment_band[seg] = static_cast<std::int16_t>(b);
        }
      }
    }
    out.schema.emplace_back(column_name, type);
    out.indicators.push_back(std::move(ci));
  }

  std::uint32_t criterion(const criterion_spec& c) {
    std::vector<std::uint32_t> inds, subs;
    for (const auto& i : c.indicators) {
      inds.push_back(static_cast<std::uint32_t>(out.indicators.size()));
      indicator(i, -1);
    }
    for (const auto& sub : c.criteria) subs.push_back(criterion(sub));
    const auto me = static_cast<std::uint32_t>(out.criteria.size());
    detail::compiled_criterion cc;
    cc.id = c.id;
    cc.name = c.name;
    cc.weight = c.weight;
    if (c.max_points) cc.cap = *c.max_points;
    cc.mandatory = c.mandatory;
    cc.pass = c.pass;
    cc.indicators = inds;
    cc.criteria = subs;
    cc.where = c.where;
    for (const auto k : inds) out.indicators[k].parent = static_cast<std::int32_t>(me);
    for (const auto s : subs) out.criteria[s].parent = static_cast<std::int32_t>(me);
    out.criteria.push_back(std::move(cc));
    return me;
  }
};

}  // namespace

compiled_criteria criteria_set::compile(const pool& schema) const {
  auto data = std::make_shared<detail::compiled_data>();
  const criteria_spec& s = *spec_;
  data->id = s.id;
  data->name = s.name;
  data->version = s.version;
  if (s.max_points) data->total_cap = *s.max_points;
  data->precision = s.precision;
  compiler c{*data, schema, s.params};
  for (const auto& i : s.indicators) {
    data->top_indicators.push_back(static_cast<std::uint32_t>(data->indicators.size()));
    c.indicator(i, -1);
  }
  for (const auto& crit : s.criteria) data->top_criteria.push_back(c.criterion(crit));
  std::unordered_map<std::string, std::uint32_t> ind_index, crit_index;
  for (std::size_t k = 0; k < data->indicators.size(); ++k) {
    ind_index[data->indicators[k].id] = static_cast<std::uint32_t>(k);
    data->indicator_ids.push_back(data->indicators[k].id);
    data->indicator_names.push_back(data->indicators[k].name);
  }
  for (std::size_t k = 0; k < data->criteria.size(); ++k) {
    crit_index[data->criteria[k].id] = static_cast<std::uint32_t>(k);
    data->criterion_ids.push_back(data->criteria[k].id);
    data->criterion_names.push_back(data->criteria[k].name);
  }
  for (std::size_t l = 0; l < s.levels.size(); ++l) {
    const auto& lv = s.levels[l];
    detail::compiled_level cl;
    cl.code = lv.code;
    cl.name = lv.name.empty() ? lv.code : lv.name;
    cl.min = lv.min.value_or(-std::numeric_limits<double>::infinity());
    cl.lowest = l + 1 == s.levels.size();
    for (const auto& r : lv.require) {
      if (auto it = ind_index.find(r); it != ind_index.end()) {
        cl.require_indicators.push_back(it->second);
      } else {
        cl.require_criteria.push_back(crit_index.at(r));
      }
    }
    data->level_codes.push_back(cl.code);
    data->level_names.push_back(cl.name);
    data->levels.push_back(std::move(cl));
  }
  return compiled_criteria(std::move(data));
}

namespace detail {

namespace {

// Raw points of one list item (first kind whose prefix matches, else the per-item points).
double item_raw(const compiled_indicator& ci, std::string_view item, std::int16_t* kind = nullptr) {
  for (std::size_t k = 0; k < ci.kinds.size(); ++k) {
    if (item.starts_with(ci.kinds[k].prefix)) {
      if (kind != nullptr) *kind = static_cast<std::int16_t>(k);
      return ci.kinds[k].points;
    }
  }
  if (kind != nullptr) *kind = -1;
  return ci.item_points;
}

}  // namespace

pool with_derived(const compiled_data& cd, const pool& p, unsigned threads) {
  if (cd.derived.empty()) return p;
  pool out = p;
  for (const auto& e : cd.derived) {
    if (out.find(e.text()) != nullptr) continue;  // scored before: the same values
    auto v = e.evaluate(p, threads);
    const std::size_t n = p.size();
    if (e.type() == value_type::boolean) {
      out = out.with_column(column::boolean(e.text(), std::move(v.booleans), std::move(v.valid)));
    } else {
      std::vector<double> x(n);
      for (std::size_t r = 0; r < n; ++r)
        x[r] = v.valid[r] != 0 ? round_decimal(v.numbers[r], max_decimal_places)
                               : std::numeric_limits<double>::quiet_NaN();
      out = out.with_column(column::number(e.text(), buffer<double>(std::move(x))));
    }
  }
  return out;
}

std::vector<bound_indicator> bind(const compiled_data& cd, const pool& p) {
  std::vector<bound_indicator> out(cd.indicators.size());
  for (std::size_t k = 0; k < cd.indicators.size(); ++k) {
    const auto& ci = cd.indicators[k];
    const column& c = find_column(p, ci.column, ci.id, ci.where);
    if (c.type() != cd.schema[k].second)
      throw schema_error("indicator " + quoted(ci.id) + ": column " + quoted(ci.column) + " is " +
                             std::string(to_string(c.type())) + " in this pool but was " +
                             std::string(to_string(cd.schema[k].second)) + " when compiled",
                         location{.field = ci.column});
    out[k].col = &c;
    if (ci.kind == indicator_kind::map) {
      const auto& dict = c.dictionary();
      // Final points, already rounded to the set's precision (as score_chunk would round them).
      out[k].table.assign(dict.size(), round_decimal(ci.finish(ci.other), cd.precision));
      out[k].which.assign(dict.size(), -1);
      for (std::size_t e = 0; e < ci.map.size(); ++e) {
        const auto code = c.code_of(ci.map[e].key);
        if (code < 0) continue;  // a category this pool does not have
        out[k].table[static_cast<std::size_t>(code)] =
            round_decimal(ci.finish(ci.map[e].points), cd.precision);
        out[k].which[static_cast<std::size_t>(code)] = static_cast<std::int16_t>(e);
      }
    } else if (ci.kind == indicator_kind::per_item) {
      const auto& dict = c.dictionary();
      out[k].table.resize(dict.size());
      for (std::size_t d = 0; d < dict.size(); ++d) out[k].table[d] = item_raw(ci, dict[d]);
    }
  }
  return out;
}

void throw_missing(const compiled_data& cd, const pool& p, std::size_t row,
                   std::int32_t indicator) {
  const auto& ci = cd.indicators[static_cast<std::size_t>(indicator)];
  throw data_error("indicator " + quoted(ci.id) + " has `missing: error` and the value is missing",
                   location{.row_id = std::string(p.id(row)), .field = ci.column});
}

void ensure_breakdown(score_data& data) {
  if (data.stored) return;
  std::call_once(data.breakdown_once, [&data] {
    const auto& cd = *data.compiled;
    const std::size_t n = data.rows;
    data.points = big_array<double>(n * cd.indicators.size());
    data.subtotals = big_array<double>(n * cd.criteria.size());
    data.fired = big_array<std::int16_t>(n * cd.indicators.size());
    // The same chunks and kernel as score(); the totals, levels and flags the table has are
    // recomputed into scratch and dropped (they are the same numbers).
    const std::size_t chunk = std::max<std::size_t>(data.options.chunk_rows, 1);
    const std::size_t chunks = (n + chunk - 1) / chunk;
    const unsigned threads = worker_count(chunks, data.options.threads);
    std::vector<chunk_scratch> scratch(threads);
    std::vector<chunk_rest> rest(threads);
    parallel_for(chunks, data.options.threads, [&](std::size_t c, unsigned t) {
      const std::size_t b = c * chunk;
      const std::size_t e = std::min(n, b + chunk);
      chunk_sink sink{.points = data.points.data() + b,
                      .fired = data.fired.data() + b,
                      .stride = n,
                      .subtotals = data.subtotals.data() + b,
                      .sub_stride = n};
      rest[t].attach(sink, e - b);
      std::size_t error_row = std::numeric_limits<std::size_t>::max();
      std::int32_t error_indicator = -1;  // reported when the table was scored
      score_chunk(cd, data.bound, sink, b, e, scratch[t], error_row, error_indicator);
    });
    data.computed.store(true, std::memory_order_release);
  });
}

}  // namespace detail

std::string score_table::reason(std::size_t row) const {
  const std::int32_t k = data_->reason[row];
  if (k < 0) return {};
  const auto& ci = data_->compiled->indicators[static_cast<std::size_t>(k)];
  return "indicator " + quoted(ci.id) + (ci.name.empty() ? "" : " (" + ci.name + ")") +
         ": column " + quoted(ci.column) + " is missing (missing: fail)";
}

explanation score_table::explain(std::string_view id) const {
  const auto row = data_->scored.row_of(id);
  if (!row) throw data_error("no nominee " + quoted(id) + " in the scored pool");
  return explain(*row);
}

explanation score_table::explain(std::size_t row) const {
  const auto& cd = *data_->compiled;
  const auto& p = data_->scored;
  // The row's breakdown: from the table when it has it, else that row alone scored again by the
  // same kernel (bit-identical to what the table would hold).
  std::size_t n = size();  // values of indicator k at [k·n + at]
  std::size_t at = row;
  const double* points = nullptr;
  const double* subtotals = nullptr;
  const std::int16_t* fired = nullptr;
  detail::chunk_scratch one;
  if (has_breakdown()) {
    points = data_->points.data();
    subtotals = data_->subtotals.data();
    fired = data_->fired.data();
  } else {
    one.points.resize(cd.indicators.size());
    one.fired.resize(cd.indicators.size());
    one.subtotals.resize(cd.criteria.size());
    detail::chunk_sink sink{.points = one.points.data(),
                            .fired = one.fired.data(),
                            .stride = 1,
                            .subtotals = one.subtotals.data(),
                            .sub_stride = 1};
    detail::chunk_rest rest;
    rest.attach(sink, 1);
    std::size_t error_row = std::numeric_limits<std::size_t>::max();
    std::int32_t error_indicator = -1;
    detail::score_chunk(cd, data_->bound, sink, row, row + 1, one, error_row, error_indicator);
    points = one.points.data();
    subtotals = one.subtotals.data();
    fired = one.fired.data();
    n = 1;
    at = 0;
  }
  explanation e;
  e.id = std::string(p.id(row));
  e.row = row;
  e.total = data_->total[row];
  e.level = data_->level[row];
  if (e.level >= 0) {
    e.level_code = cd.levels[static_cast<std::size_t>(e.level)].code;
    e.level_name = cd.levels[static_cast<std::size_t>(e.level)].name;
  }
  e.unclassifiable = data_->unclassifiable[row] != 0;
  e.reason = reason(row);
  e.mandatory_met = data_->mandatory_met[row] != 0;
  for (std::size_t k = 0; k < cd.indicators.size(); ++k) {
    const auto& ci = cd.indicators[k];
    const column& c = p[ci.column];
    indicator_explanation ie;
    ie.id = ci.id;
    ie.name = ci.name;
    ie.column = ci.column;
    ie.criterion = ci.parent >= 0 ? cd.criteria[static_cast<std::size_t>(ci.parent)].id : "";
    ie.kind = ci.kind;
    ie.input = c.format(row);
    ie.fired = fired[k * n + at];
    ie.missing = ie.fired == detail::fired_missing;
    if (std::isfinite(ci.cap)) ie.cap = ci.cap;
    ie.weight = ci.weight;
    ie.points = points[k * n + at];
    ie.mandatory = ci.mandatory;
    ie.passed = detail::passes(ie.points, ci.pass);
    if (ie.missing) {
      ie.rule = "missing value (missing: " + std::string(to_string(ci.missing)) + ")";
    } else {
      switch (ci.kind) {
        case indicator_kind::bands:
          if (ie.fired >= 0) {
            const auto& b = ci.bands[static_cast<std::size_t>(ie.fired)];
            ie.raw_points = b.points;
            ie.rule = "band " + std::to_string(ie.fired + 1) + ": " + band_text(b) + " → " +
                      num(b.points);
          } else {
            ie.raw_points = ci.otherwise;
            ie.rule = "in no band → " + num(ci.otherwise);
          }
          break;
        case indicator_kind::linear: {
          const double x = c.type() == column_type::number ? c.numbers()[row]
                                                           : static_cast<double>(c.integers()[row]);
          ie.raw_points = ci.full * std::clamp((x - ci.lo) / (ci.hi - ci.lo), 0.0, 1.0);
          ie.rule = "linear " + num(ci.lo) + " → 0 .. " + num(ci.hi) + " → " + num(ci.full) +
                    (ie.fired == 0   ? " (at or beyond min: 0)"
                     : ie.fired == 2 ? " (at or beyond max: full points)"
                                     : "");
          break;
        }
        case indicator_kind::map:
          if (ie.fired >= 0) {
            const auto& m = ci.map[static_cast<std::size_t>(ie.fired)];
            ie.raw_points = m.points;
            ie.rule = quoted(m.key) + " → " + num(m.points);
          } else {
            ie.raw_points = ci.other;
            ie.rule = "category not listed → " + num(ci.other) + " (other)";
          }
          break;
        case indicator_kind::per_item: {
          const auto items = c.list_at(row);
          const auto& dict = c.dictionary();
          std::string parts;
          for (const auto code : items) {
            const auto& item = dict[static_cast<std::size_t>(code)];
            const double pts = detail::item_raw(ci, item);
            ie.raw_points += pts;
            parts += (parts.empty() ? "" : " + ") + quoted(item) + " " + num(pts);
          }
          ie.rule = items.empty() ? "no items → 0" : parts + " = " + num(ie.raw_points);
          break;
        }
        case indicator_kind::boolean:
          ie.raw_points = ie.fired != 0 ? ci.full : 0.0;
          ie.rule = std::string(ie.fired != 0 ? "met" : "not met") + " (" +
                    (ci.when ? "true" : "false") + " scores " + num(ci.full) + ")";
          break;
      }
    }
    ie.capped = ie.raw_points > ci.cap;
    e.indicators.push_back(std::move(ie));
  }
  for (std::size_t c = 0; c < cd.criteria.size(); ++c) {
    const auto& cc = cd.criteria[c];
    criterion_explanation ce;
    ce.id = cc.id;
    ce.name = cc.name;
    ce.parent = cc.parent >= 0 ? cd.criteria[static_cast<std::size_t>(cc.parent)].id : "";
    for (const auto k : cc.indicators) ce.sum += points[k * n + at];
    for (const auto s : cc.criteria) ce.sum += subtotals[s * n + at];
    ce.sum = detail::round_decimal(ce.sum, cd.precision);  // as the kernel rounds
    if (std::isfinite(cc.cap)) ce.cap = cc.cap;
    ce.capped = ce.sum > cc.cap;
    ce.weight = cc.weight;
    ce.points = subtotals[c * n + at];
    ce.mandatory = cc.mandatory;
    ce.passed = detail::passes(ce.points, cc.pass);
    e.criteria.push_back(std::move(ce));
  }
  for (const auto k : cd.top_indicators) e.uncapped_total += points[k * n + at];
  for (const auto s : cd.top_criteria) e.uncapped_total += subtotals[s * n + at];
  e.uncapped_total = detail::round_decimal(e.uncapped_total, cd.precision);
  e.total_capped = e.uncapped_total > cd.total_cap;
  return e;
}

std::string explanation::str() const {
  std::ostringstream o;
  o << id << " (row " << row + 1 << "): total " << num(total);
  if (total_capped) o << " (capped from " << num(uncapped_total) << ")";
  if (unclassifiable) {
    o << ", unclassifiable: " << reason;
  } else if (level >= 0) {
    o << ", level " << level_name << " [" << level_code << "]";
  }
  if (!mandatory_met) o << "; a mandatory indicator or criterion is not met";
  o << '\n';
  for (const auto& c : criteria) {
    o << "  criterion " << c.id << " " << c.name << ": " << num(c.points);
    if (c.capped) o << " (sum " << num(c.sum) << " capped at " << num(*c.cap) << ")";
    if (c.weight != 1) o << " (weight " << num(c.weight) << ")";
    if (c.mandatory) o << (c.passed ? " [mandatory: met]" : " [mandatory: NOT met]");
    o << '\n';
  }
  for (const auto& i : indicators) {
    o << "  indicator " << i.id << " " << i.name << " [" << i.column << " = "
      << (i.missing ? "(missing)" : "\"" + i.input + "\"") << "]: " << i.rule << " ⇒ "
      << num(i.points);
    if (i.capped) o << " (capped at " << num(*i.cap) << ")";
    if (i.weight != 1) o << " (weight " << num(i.weight) << ")";
    if (i.mandatory) o << (i.passed ? " [mandatory: met]" : " [mandatory: NOT met]");
    o << '\n';
  }
  return o.str();
}

normalization parse_normalization(std::string_view name) {
  if (name == "none") return normalization::none;
  if (name == "minmax") return normalization::minmax;
  if (name == "zscore") return normalization::zscore;
  if (name == "vector") return normalization::vector;
  throw spec_error("unknown normalisation \"" + std::string(name) +
                   "\" (expected minmax, zscore, vector or none)");
}

Eigen::MatrixXd mcda_matrix(const pool& p, std::span<const std::string> columns) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(p.size()), static_cast<Eigen::Index>(columns.size()));
  for (std::size_t j = 0; j < columns.size(); ++j) {
    const column& c = p[columns[j]];
    auto out = m.col(static_cast<Eigen::Index>(j));
    if (c.type() == column_type::number) {
      const auto v = c.numbers();
      for (std::size_t i = 0; i < v.size(); ++i) out[static_cast<Eigen::Index>(i)] = v[i];
    } else if (c.type() == column_type::integer) {
      const auto v = c.integers();
      for (std::size_t i = 0; i < v.size(); ++i)
        out[static_cast<Eigen::Index>(i)] = static_cast<double>(v[i]);
    } else {
      throw schema_error(
          "MCDA needs number or integer columns; column is " + std::string(to_string(c.type())),
          location{.field = columns[j]});
    }
    if (c.null_count() != 0) {
      const auto valid = c.validity();
      const auto bad =
          static_cast<std::size_t>(std::find(valid.begin(), valid.end(), 0) - valid.begin());
      throw data_error("MCDA needs a value in every row",
                       location{.row_id = std::string(p.id(bad)), .field = columns[j]});
    }
  }
  return m;
}

}  // namespace khuyenhoc
