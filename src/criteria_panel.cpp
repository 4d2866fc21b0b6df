// Panel aggregation: a review council's long-form scores combined per (nominee, indicator),
// with optional per-judge calibration and a disagreement flag. Every group is processed in a
// sorted order, so the result does not depend on the order of the input rows.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "khuyenhoc/criteria.hpp"

namespace khuyenhoc {

panel_method parse_panel_method(std::string_view name) {
  if (name == "mean") return panel_method::mean;
  if (name == "median") return panel_method::median;
  if (name == "trimmed") return panel_method::trimmed;
  throw spec_error("unknown panel method \"" + std::string(name) +
                   "\" (expected mean, median or trimmed)");
}

panel_calibration parse_panel_calibration(std::string_view name) {
  if (name == "none") return panel_calibration::none;
  if (name == "zscore") return panel_calibration::zscore;
  if (name == "median_mad") return panel_calibration::median_mad;
  throw spec_error("unknown calibration \"" + std::string(name) +
                   "\" (expected none, zscore or median_mad)");
}

disagreement_measure parse_disagreement_measure(std::string_view name) {
  if (name == "range") return disagreement_measure::range;
  if (name == "std") return disagreement_measure::std;
  throw spec_error("unknown disagreement measure \"" + std::string(name) +
                   "\" (expected range or std)");
}

namespace {

// Dense codes of strings in byte order (so codes compare as the strings do).
std::vector<std::uint32_t> encode(const std::vector<std::string>& values,
                                  std::vector<std::string>& dictionary) {
  dictionary = values;
  std::sort(dictionary.begin(), dictionary.end());
  dictionary.erase(std::unique(dictionary.begin(), dictionary.end()), dictionary.end());
  std::vector<std::uint32_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    codes[i] = static_cast<std::uint32_t>(
        std::lower_bound(dictionary.begin(), dictionary.end(), values[i]) - dictionary.begin());
  return codes;
}

// Statistics of sorted values.
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}
double std_of(const std::vector<double>& v, double mean) {
  double s = 0;
  for (const double x : v) s += (x - mean) * (x - mean);
  return v.empty() ? 0.0 : std::sqrt(s / static_cast<double>(v.size()));
}
double median_of_sorted(const std::vector<double>& v) {
  const std::size_t n = v.size();
  if (n == 0) return 0.0;
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
double mad_of(const std::vector<double>& sorted, double median) {
  std::vector<double> dev(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) dev[i] = std::abs(sorted[i] - median);
  std::sort(dev.begin(), dev.end());
  return median_of_sorted(dev);
}

struct location_scale {
  double centre = 0, scale = 0;
};

location_scale stats(std::vector<double> v, panel_calibration how) {
  std::sort(v.begin(), v.end());
  if (how == panel_calibration::zscore) {
    const double m = mean_of(v);
    return {m, std_of(v, m)};
  }
  const double med = median_of_sorted(v);
  return {med, mad_of(v, med)};
}

}  // namespace

panel_result aggregate_panel(const panel_scores& in, const panel_options& options) {
  const std::size_t m = in.score.size();
  if (in.judge.size() != m || in.nominee.size() != m || in.indicator.size() != m)
    throw data_error("panel scores: judge, nominee, indicator and score must have equal lengths");
  if (std::isnan(options.threshold) || options.threshold < 0)
    throw spec_error("panel: the disagreement threshold must be a number ≥ 0");
  for (std::size_t i = 0; i < m; ++i) {
    if (!std::isfinite(in.score[i]))
      throw data_error("panel score is missing or not finite (judge \"" + in.judge[i] + "\")",
                       location{.row_id = in.nominee[i], .field = in.indicator[i]});
  }
  std::vector<std::string> judges, nominees, indicators;
  const auto jc = encode(in.judge, judges);
  const auto nc = encode(in.nominee, nominees);
  const auto ic = encode(in.indicator, indicators);

  // Calibrated scores.
  std::vector<double> score(in.score);
  if (options.calibration != panel_calibration::none) {
    // Group by (indicator, judge): the judge's own location and scale per indicator; and by
    // indicator: the panel's.
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(ic[a], jc[a], in.score[a]) < std::tie(ic[b], jc[b], in.score[b]);
    });
    std::size_t i = 0;
    while (i < m) {
      const std::uint32_t ind = ic[order[i]];
      std::size_t e = i;
      std::vector<double> all;
      while (e < m && ic[order[e]] == ind) all.push_back(in.score[order[e++]]);
      // The panel's centre: mean (median) of all the indicator's scores; its scale: the mean
      // of the judges' own σ (the median of their MADs), so severity offsets do not inflate it.
      const auto pooled = stats(all, options.calibration);
      std::vector<location_scale> own_stats;
      std::vector<std::pair<std::size_t, std::size_t>> spans;
      for (std::size_t j = i; j < e;) {
        const std::uint32_t judge = jc[order[j]];
        std::size_t f = j;
        std::vector<double> own;
        while (f < e && jc[order[f]] == judge) own.push_back(in.score[order[f++]]);
        own_stats.push_back(stats(own, options.calibration));
        spans.emplace_back(j, f);
        j = f;
      }
      std::vector<double> scales;
      for (const auto& st : own_stats) scales.push_back(st.scale);
      std::sort(scales.begin(), scales.end());
      const double scale = options.calibration == panel_calibration::zscore
                               ? mean_of(scales)
                               : median_of_sorted(scales);
      for (std::size_t g = 0; g < spans.size(); ++g) {
        const auto& mine = own_stats[g];
        for (std::size_t t = spans[g].first; t < spans[g].second; ++t) {
          const std::size_t r = order[t];
          score[r] = mine.scale > 0
                         ? pooled.centre + scale * (in.score[r] - mine.centre) / mine.scale
                         : pooled.centre;
        }
      }
      i = e;
    }
  }

  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(nc[a], ic[a], jc[a]) < std::tie(nc[b], ic[b], jc[b]);
  });
  panel_result out;
  std::size_t i = 0;
  std::vector<double> group;
  while (i < m) {
    const std::size_t first = order[i];
    std::size_t e = i;
    group.clear();
    while (e < m && nc[order[e]] == nc[first] && ic[order[e]] == ic[first]) {
      if (e > i && jc[order[e]] == jc[order[e - 1]])
        throw data_error("judge \"" + judges[jc[order[e]]] + "\" scored this twice",
                         location{.row_id = nominees[nc[first]], .field = indicators[ic[first]]});
      group.push_back(score[order[e++]]);
    }
    std::sort(group.begin(), group.end());
    const std::size_t k = group.size();
    double value = 0;
    switch (options.method) {
      case panel_method::mean:
        value = mean_of(group);
        break;
      case panel_method::median:
        value = median_of_sorted(group);
        break;
      case panel_method::trimmed:
        if (k < 3) {
          value = mean_of(group);
        } else {
          double s = 0;
          for (std::size_t t = 1; t + 1 < k; ++t) s += group[t];
          value = s / static_cast<double>(k - 2);
        }
        break;
    }
    const double spread = options.measure == disagreement_measure::range
                              ? group.back() - group.front()
                              : std_of(group, mean_of(group));
    const bool enough = k >= options.min_judges;
    out.nominee.push_back(nominees[nc[first]]);
    out.indicator.push_back(indicators[ic[first]]);
    out.score.push_back(enough ? value : std::numeric_limits<double>::quiet_NaN());
    out.judges.push_back(static_cast<std::uint32_t>(k));
    out.spread.push_back(spread);
    out.enough.push_back(enough ? 1 : 0);
    out.disagree.push_back(spread > options.threshold ? 1 : 0);
    i = e;
  }
  return out;
}

}  // namespace khuyenhoc
