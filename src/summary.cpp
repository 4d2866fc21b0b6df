#include "khuyenhoc/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "khuyenhoc/detail/unicode.hpp"

namespace khuyenhoc {

namespace {

std::string default_stat(column_type t) {
  switch (t) {
    case column_type::number:
    case column_type::integer:
      return "mean";
    case column_type::boolean:
      return "share";
    case column_type::category:
      return "distinct";
    case column_type::category_list:
      return "nonempty";
    case column_type::date:
    case column_type::text:
      return "missing";
  }
  return "missing";
}

bool stat_fits(std::string_view stat, column_type t) {
  if (stat == "missing") return true;
  if (stat == "mean") return t == column_type::number || t == column_type::integer;
  if (stat == "share") return t == column_type::boolean;
  if (stat == "distinct" || stat == "mode") return t == column_type::category;
  if (stat == "nonempty") return t == column_type::category_list;
  return false;
}

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
  return buf;
}

// Computes one measure over the rows of each group (group g's rows are rows[g]).
std::vector<std::string> compute(const column& c, const std::string& stat,
                                 const std::vector<std::vector<std::uint32_t>>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& rs : rows) {
    if (rs.empty()) {
      out.emplace_back("");
      continue;
    }
    if (stat == "missing") {
      std::size_t miss = 0;
      for (auto r : rs) miss += c.is_valid(r) ? 0 : 1;
      out.push_back(percent(static_cast<double>(miss) / static_cast<double>(rs.size())));
    } else if (stat == "mean") {
      double sum = 0;
      std::size_t n = 0;
      for (auto r : rs) {
        if (!c.is_valid(r)) continue;
        sum +=
            c.type() == column_type::number ? c.numbers()[r] : static_cast<double>(c.integers()[r]);
        ++n;
      }
      char buf[32];
      if (n == 0) {
        out.emplace_back("–");
      } else {
        std::snprintf(buf, sizeof buf, "%.2f", sum / static_cast<double>(n));
        out.emplace_back(buf);
      }
    } else if (stat == "share") {
      std::size_t yes = 0, n = 0;
      for (auto r : rs) {
        if (!c.is_valid(r)) continue;
        yes += c.booleans()[r];
        ++n;
      }
      out.push_back(n ? percent(static_cast<double>(yes) / static_cast<double>(n)) : "–");
    } else if (stat == "nonempty") {
      std::size_t yes = 0;
      for (auto r : rs) yes += c.is_valid(r) && !c.list_at(r).empty() ? 1 : 0;
      out.push_back(percent(static_cast<double>(yes) / static_cast<double>(rs.size())));
    } else {  // distinct, mode
      std::vector<std::size_t> freq(c.dictionary().size(), 0);
      for (auto r : rs) {
        if (c.is_valid(r)) ++freq[static_cast<std::size_t>(c.codes()[r])];
      }
      if (stat == "distinct") {
        out.push_back(std::to_string(
            std::count_if(freq.begin(), freq.end(), [](std::size_t f) { return f > 0; })));
      } else {
        // Most frequent; ties go to the value first in Vietnamese order (deterministic).
        std::size_t best = 0;
        for (std::size_t k = 1; k < freq.size(); ++k) {
          if (freq[k] > freq[best] ||
              (freq[k] == freq[best] &&
               detail::compare_vietnamese(c.dictionary()[k], c.dictionary()[best]) < 0)) {
            best = k;
          }
        }
        out.push_back(
            freq.empty() || freq[best] == 0
                ? "–"
                : c.dictionary()[best] + " " +
                      percent(static_cast<double>(freq[best]) / static_cast<double>(rs.size())));
      }
    }
  }
  return out;
}

}  // namespace

summary_measure parse_summary_measure(const pool& p, std::string_view spec) {
  summary_measure m;
  const auto colon = spec.find(':');
  std::string_view name = spec;
  if (colon != std::string_view::npos) {
    m.stat = std::string(spec.substr(0, colon));
    name = spec.substr(colon + 1);
  }
  const column& c = p[name];
  if (m.stat.empty()) m.stat = default_stat(c.type());
  if (!stat_fits(m.stat, c.type())) {
    throw spec_error("statistic \"" + m.stat + "\" does not apply to a " +
                         std::string(to_string(c.type())) + " column",
                     location{.field = std::string(name)});
  }
  m.column = std::string(name);
  return m;
}

group_summary summarize(const pool& p, std::string_view by,
                        const std::vector<summary_measure>& measures) {
  const column& g = p[by];
  if (g.type() != column_type::category) {
    throw schema_error(
        "can only group by a category column, this one is " + std::string(to_string(g.type())),
        location{.field = std::string(by)});
  }
  const auto& dict = g.dictionary();
  // Group order: Vietnamese alphabetical, the missing group last.
  std::vector<std::size_t> order(dict.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return detail::compare_vietnamese(dict[a], dict[b]) < 0;
  });
  std::vector<std::size_t> slot(dict.size());
  for (std::size_t i = 0; i < order.size(); ++i) slot[order[i]] = i;

  std::vector<std::vector<std::uint32_t>> rows(dict.size() + 1);
  for (std::size_t r = 0; r < p.size(); ++r) {
    const auto code = g.codes()[r];
    rows[code < 0 ? dict.size() : slot[static_cast<std::size_t>(code)]].push_back(
        static_cast<std::uint32_t>(r));
  }
  const bool has_missing = !rows.back().empty();
  if (!has_missing) rows.pop_back();

  group_summary s;
  s.by = std::string(by);
  s.measures = measures;
  s.total = p.size();
  for (std::size_t i = 0; i < order.size(); ++i) s.groups.push_back(dict[order[i]]);
  if (has_missing) s.groups.emplace_back("(trống)");
  for (const auto& rs : rows) s.counts.push_back(rs.size());
  s.values.assign(rows.size(), {});
  std::vector<std::vector<std::uint32_t>> all(1);
  all[0].resize(p.size());
  std::iota(all[0].begin(), all[0].end(), 0U);
  for (const auto& m : measures) {
    const auto& c = p[m.column];
    const auto per_group = compute(c, m.stat, rows);
    for (std::size_t k = 0; k < rows.size(); ++k) s.values[k].push_back(per_group[k]);
    s.total_values.push_back(compute(c, m.stat, all)[0]);
  }
  return s;
}

std::string format_summary(const group_summary& s) {
  std::vector<std::string> header{s.by, "count"};
  for (const auto& m : s.measures) header.push_back(m.stat + ":" + m.column);
  std::vector<std::vector<std::string>> table{header};
  for (std::size_t k = 0; k < s.groups.size(); ++k) {
    std::vector<std::string> row{s.groups[k], std::to_string(s.counts[k])};
    row.insert(row.end(), s.values[k].begin(), s.values[k].end());
    table.push_back(std::move(row));
  }
  std::vector<std::string> total{"Tổng (total)", std::to_string(s.total)};
  total.insert(total.end(), s.total_values.begin(), s.total_values.end());
  table.push_back(std::move(total));

  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : table) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], detail::count_code_points(row[c]));
    }
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const auto pad = std::string(width[c] - detail::count_code_points(row[c]), ' ');
      if (c) out += "  ";
      out += c == 0 ? row[c] + pad : pad + row[c];  // names left, numbers right
    }
    out += '\n';
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i == 1 || i + 1 == table.size()) {
      std::size_t total_width = 0;
      for (auto w : width) total_width += w + 2;
      out += std::string(total_width - 2, '-') + '\n';
    }
    emit(table[i]);
  }
  return out;
}

}  // namespace khuyenhoc
