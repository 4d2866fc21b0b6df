// Criteria sets from YAML or JSON (yaml-cpp reads both). Every error names the file, the line
// and column of the offending key or value, and the key.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>

#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/io.hpp"
#include "yaml_load.hpp"

namespace khuyenhoc {

namespace {

struct parser {
  std::string file;

  [[nodiscard]] location at(const YAML::Node& n) const {
    const auto m = n.Mark();
    if (m.line < 0) return location{.file = file};
    return location{.file = file,
                    .line = static_cast<std::size_t>(m.line) + 1,
                    .column = static_cast<std::size_t>(m.column) + 1};
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    throw spec_error(what, at(n));
  }

  // Text as written, normalised to NFC (so "Tốt" typed decomposed still matches the pool).
  [[nodiscard]] std::string text(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, "key \"" + key + "\": expected text");
    const auto& s = n.Scalar();
    if (detail::find_invalid_utf8(s)) fail(n, "key \"" + key + "\": invalid UTF-8");
    return detail::to_nfc(s);
  }

  [[nodiscard]] double number(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, "key \"" + key + "\": expected a number");
    const std::string& s = n.Scalar();
    // YAML's .nan/.inf, and JSON's NaN/Infinity as Python's json module writes them.
    if (s == ".nan" || s == ".NaN" || s == ".NAN" || s == "NaN")
      return std::numeric_limits<double>::quiet_NaN();
    if (s == ".inf" || s == "+.inf" || s == ".Inf" || s == "Infinity")
      return std::numeric_limits<double>::infinity();
    if (s == "-.inf" || s == "-.Inf" || s == "-Infinity")
      return -std::numeric_limits<double>::infinity();
    double v = 0;
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+') ++b;
    const auto r = std::from_chars(b, e, v);
    if (b == e || r.ec != std::errc() || r.ptr != e)
      fail(n, "key \"" + key + "\": \"" + s + "\" is not a number");
    return v;
  }

  [[nodiscard]] bool boolean(const YAML::Node& n, const std::string& key) const {
    if (n.IsScalar()) {
      const auto& s = n.Scalar();
      if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "False" || s == "no" || s == "off") return false;
    }
    fail(n, "key \"" + key + "\": expected true or false");
  }

  void need_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + ": expected a mapping (key: value)");
  }

  void need_seq(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, what + ": expected a list");
  }

  // Rejects keys outside `allowed`, suggesting the closest one.
  void keys(const YAML::Node& n, std::initializer_list<std::string_view> allowed,
            const std::string& where) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const auto k = it->first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      fail(it->first, "unknown key \"" + k + "\" in " + where +
                          detail::yaml_did_you_mean(k, std::vector<std::string_view>(allowed)));
    }
  }

  // The key node of `key` in `n` (for locating errors about it).
  [[nodiscard]] YAML::Node key_node(const YAML::Node& n, std::string_view key) const {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (it->first.as<std::string>() == key) return it->first;
    return n;
  }

  [[nodiscard]] band_spec band(const YAML::Node& n, const std::string& owner, int& form) const {
    need_map(n, "a band of " + owner);
    keys(n, {"at_least", "at_most", "from", "above", "to", "below", "points"},
         "a band of " + owner);
    band_spec b;
    b.where = at(n);
    if (!n["points"]) fail(n, "key \"points\": a band of " + owner + " needs points");
    b.points = number(n["points"], "points");
    const bool step_up = static_cast<bool>(n["at_least"]);
    const bool step_down = static_cast<bool>(n["at_most"]);
    const bool range = n["from"] || n["above"] || n["to"] || n["below"];
    const int f = step_up ? 1 : step_down ? 2 : range ? 3 : 0;
    if (f == 0 || (step_up && step_down) || ((step_up || step_down) && range))
      fail(n, "a band of " + owner +
                  " needs exactly one of at_least, at_most, or a range (from/above, to/below)");
    if (form != 0 && form != f)
      fail(n, "bands of " + owner + " mix forms; use at_least steps, at_most steps, or ranges");
    form = f;
    if (step_up) b.lower = number(n["at_least"], "at_least");
    if (step_down) b.upper = number(n["at_most"], "at_most");
    if (n["from"] && n["above"]) fail(n, "a band of " + owner + " has both from and above");
    if (n["to"] && n["below"]) fail(n, "a band of " + owner + " has both to and below");
    if (n["from"]) b.lower = number(n["from"], "from");
    if (n["above"]) {
      b.lower = number(n["above"], "above");
      b.lower_inclusive = false;
    }
    if (n["to"]) b.upper = number(n["to"], "to");
    if (n["below"]) {
      b.upper = number(n["below"], "below");
      b.upper_inclusive = false;
    }
    return b;
  }

  void bands(const YAML::Node& n, indicator_spec& s) const {
    const std::string owner = "indicator \"" + s.id + "\"";
    need_seq(n, "key \"bands\" of " + owner);
    int form = 0;
    std::vector<YAML::Node> nodes;
    for (const auto& b : n) {
      s.bands.push_back(band(b, owner, form));
      nodes.push_back(b);
    }
    // Steps: each band reaches up (at_least) or down (at_most) to the previous threshold.
    for (std::size_t i = 1; i < s.bands.size(); ++i) {
      auto& prev = s.bands[i - 1];
      auto& cur = s.bands[i];
      if (form == 1) {
        if (!(cur.lower < prev.lower))
          fail(nodes[i], "key \"bands\" of " + owner +
                             ": at_least steps go from the highest "
                             "threshold down, and " +
                             fmt(cur.lower) + " does not come below " + fmt(prev.lower) +
                             " (bands overlap or are out of order)");
        cur.upper = prev.lower;
        cur.upper_inclusive = false;
      } else if (form == 2) {
        if (!(cur.upper > prev.upper))
          fail(nodes[i], "key \"bands\" of " + owner +
                             ": at_most steps go from the lowest "
                             "threshold up, and " +
                             fmt(cur.upper) + " does not come above " + fmt(prev.upper) +
                             " (bands overlap or are out of order)");
        cur.lower = prev.upper;
        cur.lower_inclusive = false;
      }
    }
  }

  static std::string fmt(double x) {
    std::ostringstream o;
    o << x;
    return o.str();
  }

  [[nodiscard]] indicator_spec indicator(const YAML::Node& n) const {
    need_map(n, "an indicator");
    keys(n,
         {"id", "name", "description", "column", "value", "weight", "max_points", "mandatory",
          "pass", "missing", "bands", "otherwise", "linear", "map", "other", "per_item", "boolean"},
         n["id"] && n["id"].IsScalar() ? "indicator \"" + n["id"].Scalar() + "\"" : "an indicator");
    indicator_spec s;
    s.where = at(n);
    if (!n["id"]) fail(n, "key \"id\": every indicator needs an id");
    s.id = text(n["id"], "id");
    const std::string owner = "indicator \"" + s.id + "\"";
    if (n["name"]) s.name = text(n["name"], "name");
    if (!n["column"] && !n["value"])
      fail(n, "key \"column\": " + owner +
                  " needs the pool column it reads (or \"value\": an expression)");
    if (n["column"]) s.column = text(n["column"], "column");
    if (const auto v = n["value"]) {
      s.value = text(v, "value");
      s.value_where = at(v);
      if (v.Tag() == "!") ++s.value_where.column;  // after the opening quote
    }
    if (n["weight"]) s.weight = number(n["weight"], "weight");
    if (n["max_points"]) s.max_points = number(n["max_points"], "max_points");
    if (n["mandatory"]) s.mandatory = boolean(n["mandatory"], "mandatory");
    if (n["pass"]) s.pass = number(n["pass"], "pass");
    if (n["missing"]) {
      const auto m = text(n["missing"], "missing");
      if (m == "zero") {
        s.missing = missing_policy::zero;
      } else if (m == "fail") {
        s.missing = missing_policy::fail;
      } else if (m == "error") {
        s.missing = missing_policy::error;
      } else {
        fail(n["missing"],
             "key \"missing\" of " + owner + ": \"" + m + "\" is not one of zero, fail, error");
      }
    }
    int kinds = 0;
    for (const char* k : {"bands", "linear", "map", "per_item", "boolean"}) kinds += n[k] ? 1 : 0;
    if (kinds != 1)
      fail(n, owner + " needs exactly one of the keys bands, linear, map, per_item, boolean");
    if (n["otherwise"] && !n["bands"])
      fail(key_node(n, "otherwise"), "key \"otherwise\" of " + owner + " belongs to bands");
    if (n["other"] && !n["map"])
      fail(key_node(n, "other"), "key \"other\" of " + owner + " belongs to map");
    if (const auto b = n["bands"]) {
      s.kind = indicator_kind::bands;
      bands(b, s);
      if (n["otherwise"]) s.otherwise = number(n["otherwise"], "otherwise");
    } else if (const auto l = n["linear"]) {
      s.kind = indicator_kind::linear;
      need_map(l, "key \"linear\" of " + owner);
      keys(l, {"min", "max", "points"}, "key \"linear\" of " + owner);
      for (const char* k : {"min", "max", "points"})
        if (!l[k])
          fail(l,
               std::string("key \"") + k + "\": linear of " + owner + " needs min, max and points");
      s.min = number(l["min"], "min");
      s.max = number(l["max"], "max");
      s.points = number(l["points"], "points");
    } else if (const auto m = n["map"]) {
      s.kind = indicator_kind::map;
      need_map(m, "key \"map\" of " + owner);
      for (auto it = m.begin(); it != m.end(); ++it) {
        map_entry e;
        e.key = text(it->first, "map");
        e.points = number(it->second, e.key);
        e.where = at(it->first);
        s.map.push_back(std::move(e));
      }
      if (n["other"]) s.other = number(n["other"], "other");
    } else if (const auto p = n["per_item"]) {
      s.kind = indicator_kind::per_item;
      if (p.IsScalar()) {
        s.points = number(p, "per_item");
      } else {
        need_map(p, "key \"per_item\" of " + owner);
        keys(p, {"points", "kinds"}, "key \"per_item\" of " + owner);
        if (p["points"]) s.points = number(p["points"], "points");
        if (const auto ks = p["kinds"]) {
          need_seq(ks, "key \"kinds\" of " + owner);
          for (const auto& k : ks) {
            need_map(k, "a kind of " + owner);
            keys(k, {"prefix", "points"}, "a kind of " + owner);
            if (!k["prefix"] || !k["points"])
              fail(k, "a kind of " + owner + " needs prefix and points");
            s.kinds.push_back({text(k["prefix"], "prefix"), number(k["points"], "points"), at(k)});
          }
        }
        if (!p["points"] && !p["kinds"])
          fail(p, "key \"per_item\" of " + owner + " needs points or kinds");
      }
    } else if (const auto b = n["boolean"]) {
      s.kind = indicator_kind::boolean;
      if (b.IsScalar()) {
        s.points = number(b, "boolean");
      } else {
        need_map(b, "key \"boolean\" of " + owner);
        keys(b, {"points", "when"}, "key \"boolean\" of " + owner);
        if (!b["points"]) fail(b, "key \"points\": boolean of " + owner + " needs points");
        s.points = number(b["points"], "points");
        if (b["when"]) s.when = boolean(b["when"], "when");
      }
    }
    return s;
  }

  [[nodiscard]] criterion_spec criterion(const YAML::Node& n) const {
    need_map(n, "a criterion");
    keys(n,
         {"id", "name", "description", "weight", "max_points", "mandatory", "pass", "indicators",
          "criteria"},
         n["id"] && n["id"].IsScalar() ? "criterion \"" + n["id"].Scalar() + "\"" : "a criterion");
    criterion_spec c;
    c.where = at(n);
    if (!n["id"]) fail(n, "key \"id\": every criterion needs an id");
    c.id = text(n["id"], "id");
    if (n["name"]) c.name = text(n["name"], "name");
    if (n["weight"]) c.weight = number(n["weight"], "weight");
    if (n["max_points"]) c.max_points = number(n["max_points"], "max_points");
    if (n["mandatory"]) c.mandatory = boolean(n["mandatory"], "mandatory");
    if (n["pass"]) c.pass = number(n["pass"], "pass");
    if (const auto is = n["indicators"]) {
      need_seq(is, "key \"indicators\" of criterion \"" + c.id + "\"");
      for (const auto& i : is) c.indicators.push_back(indicator(i));
    }
    if (const auto cs = n["criteria"]) {
      need_seq(cs, "key \"criteria\" of criterion \"" + c.id + "\"");
      for (const auto& sub : cs) c.criteria.push_back(criterion(sub));
    }
    return c;
  }

  [[nodiscard]] criteria_spec set(const YAML::Node& root) const {
    if (!root.IsMap()) fail(root, "a criteria set must be a mapping with criteria and levels");
    keys(root,
         {"id", "name", "source", "description", "version", "max_points", "precision", "params",
          "criteria", "indicators", "levels"},
         "the criteria set");
    criteria_spec s;
    s.where = at(root);
    if (root["id"]) s.id = text(root["id"], "id");
    if (root["name"]) s.name = text(root["name"], "name");
    if (root["source"]) s.source = text(root["source"], "source");
    if (root["description"]) s.description = text(root["description"], "description");
    if (root["version"]) s.version = text(root["version"], "version");
    if (root["max_points"]) s.max_points = number(root["max_points"], "max_points");
    if (const auto pr = root["precision"]) {
      const double p = number(pr, "precision");
      if (p != std::floor(p) || p < 0 || p > detail::max_decimal_places)
        fail(pr, "key \"precision\": decimal places from 0 to 6, not " + pr.Scalar());
      s.precision = static_cast<int>(p);
    }
    if (const auto ps = root["params"]) {
      if (!ps.IsMap())
        fail(ps, "key \"params\": a mapping (name: value), e.g. {window_end: 31/08/2024}");
      for (const auto& kv : ps) {
        if (!kv.second.IsScalar())
          fail(kv.second, "parameter \"" + kv.first.Scalar() + "\" must be a single value");
        auto p = parse_parameter(kv.first.Scalar(), kv.second.Scalar(), at(kv.second));
        for (const auto& q : s.params)
          if (q.name == p.name) fail(kv.first, "parameter \"" + p.name + "\" is declared twice");
        s.params.push_back(std::move(p));
      }
    }
    if (const auto cs = root["criteria"]) {
      need_seq(cs, "key \"criteria\"");
      for (const auto& c : cs) s.criteria.push_back(criterion(c));
    }
    if (const auto is = root["indicators"]) {
      need_seq(is, "key \"indicators\"");
      for (const auto& i : is) s.indicators.push_back(indicator(i));
    }
    if (const auto ls = root["levels"]) {
      need_seq(ls, "key \"levels\"");
      for (const auto& l : ls) {
        need_map(l, "a level");
        keys(l, {"code", "name", "min", "require"}, "a level");
        level_spec lv;
        lv.where = at(l);
        if (!l["code"]) fail(l, "key \"code\": every level needs a code");
        lv.code = text(l["code"], "code");
        if (l["name"]) lv.name = text(l["name"], "name");
        if (l["min"]) lv.min = number(l["min"], "min");
        if (const auto r = l["require"]) {
          need_seq(r, "key \"require\" of level \"" + lv.code + "\"");
          for (const auto& id : r) lv.require.push_back(text(id, "require"));
        }
        s.levels.push_back(std::move(lv));
      }
    }
    return s;
  }
};

}  // namespace

criteria_spec parse_criteria_yaml(std::string_view text, const std::string& file) {
  const YAML::Node root = detail::load_yaml(text, file);
  parser p{file};
  try {
    return p.set(root);
  } catch (const YAML::Exception& e) {  // e.g. a conversion yaml-cpp refused
    throw spec_error(e.msg,
                     location{.file = file,
                              .line = static_cast<std::size_t>(std::max(e.mark.line, 0)) + 1,
                              .column = static_cast<std::size_t>(std::max(e.mark.column, 0)) + 1});
  }
}

criteria_spec load_criteria_yaml(const std::string& path) {
  return parse_criteria_yaml(read_user_file(path, detail::yaml_limits{}.max_bytes), path);
}

}  // namespace khuyenhoc
