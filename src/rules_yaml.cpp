// Rule sets and decision tables from YAML (JSON is accepted: it is YAML). Every key is checked
// (unknown keys get a "did you mean"), and every expression remembers where it sits in the file
// so that expression errors point at the right line and column.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "khuyenhoc/io.hpp"
#include "khuyenhoc/rules.hpp"
#include "yaml_load.hpp"

namespace khuyenhoc {

namespace detail::rules {
std::string suggest(std::string_view name, const std::vector<std::string>& names);
}

namespace {

class reader {
 public:
  reader(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  location at(const YAML::Node& n) const {
    const auto m = n.Mark();
    if (m.is_null()) return location{.file = file_};
    return location{.file = file_,
                    .line = static_cast<std::size_t>(m.line) + 1,
                    .column = static_cast<std::size_t>(m.column) + 1};
  }

  // Where the text of a scalar starts: after an opening quote; on the next line for block
  // scalars (| and >).
  location text_at(const YAML::Node& n) const {
    location l = at(n);
    const auto m = n.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text_.size()) return l;
    const char c = text_[static_cast<std::size_t>(m.pos)];
    if (c == '"' || c == '\'') {
      ++l.column;
    } else if (c == '|' || c == '>') {
      const auto nl = text_.find('\n', static_cast<std::size_t>(m.pos));
      if (nl != std::string_view::npos) {
        std::size_t i = nl + 1;
        while (i < text_.size() && text_[i] == ' ') ++i;
        l.line += 1;
        l.column = i - nl;
      }
    }
    return l;
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& what) const {
    if (!map.IsMap()) throw spec_error(what + " must be a mapping (key: value)", at(map));
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string keys;
        for (const auto& a : allowed) keys += (keys.empty() ? "" : ", ") + a;
        throw spec_error("unknown key \"" + key + "\" in " + what +
                             detail::rules::suggest(key, allowed) + " (keys: " + keys + ")",
                         at(kv.first));
      }
    }
  }

  std::string scalar(const YAML::Node& map, const std::string& key, const std::string& what,
                     bool required) const {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      if (required) throw spec_error(what + " has no \"" + key + "\"", at(map));
      return {};
    }
    if (!n.IsScalar()) throw spec_error("\"" + key + "\" must be a single value", at(n));
    return n.as<std::string>();
  }

  table_row_spec output(const YAML::Node& n) const {
    table_row_spec out;
    if (!n.IsScalar()) throw spec_error("an output must be a single value", at(n));
    out.output = n.as<std::string>();
    // A plain (unquoted) scalar that reads as a number is a number; "quoted" stays a label.
    if (n.Tag() != "!") {
      double v = 0;
      const auto& s = out.output;
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc{} && p == s.data() + s.size()) {
        out.output_is_number = true;
        out.number = v;
      }
    }
    return out;
  }

  rule_set_spec run() {
    const YAML::Node root = detail::load_yaml(text_, file_);
    rule_set_spec spec;
    spec.file = file_;
    if (!root || root.IsNull()) throw spec_error("the rule set is empty", location{.file = file_});
    check_keys(
        root,
        {"name", "description", "version", "on_unknown", "params", "scales", "rules", "tables"},
        "the rule set");
    if (const auto sc = root["scales"]) {
      if (!sc.IsMap())
        throw spec_error(
            "\"scales\" must be a mapping (column: [worst, …, best] or a built-in scale), e.g. "
            "{conduct: [Chưa đạt, Đạt, Khá, Tốt]} or {conduct: tt22}",
            at(sc));
      for (const auto& kv : sc) {
        const auto column = kv.first.as<std::string>();
        for (const auto& q : spec.scales)
          if (q.column == column)
            throw spec_error("the scale of column \"" + column + "\" is declared twice",
                             at(kv.first));
        if (kv.second.IsScalar()) {
          spec.scales.push_back(
              make_builtin_scale(column, kv.second.as<std::string>(), at(kv.second)));
        } else if (kv.second.IsSequence()) {
          std::vector<std::string> values;
          for (const auto& v : kv.second) {
            if (!v.IsScalar())
              throw spec_error(
                  "a value of the scale of column \"" + column + "\" must be a single value",
                  at(v));
            values.push_back(v.as<std::string>());
          }
          spec.scales.push_back(make_scale(column, std::move(values), at(kv.second)));
        } else {
          throw spec_error("the scale of column \"" + column +
                               "\" must be a list of values, worst first, or the name of a "
                               "built-in scale (tt22, hanh_kiem, hoc_luc)",
                           at(kv.second));
        }
      }
    }
    if (const auto ps = root["params"]) {
      if (!ps.IsMap())
        throw spec_error(
            "\"params\" must be a mapping (name: value), e.g. {window_end: 31/08/2024}", at(ps));
      for (const auto& kv : ps) {
        if (!kv.second.IsScalar())
          throw spec_error(
              "parameter \"" + kv.first.as<std::string>() + "\" must be a single value",
              at(kv.second));
        auto p =
            parse_parameter(kv.first.as<std::string>(), kv.second.as<std::string>(), at(kv.second));
        for (const auto& q : spec.params)
          if (q.name == p.name)
            throw spec_error("parameter \"" + p.name + "\" is declared twice", at(kv.first));
        spec.params.push_back(std::move(p));
      }
    }
    spec.name = scalar(root, "name", "the rule set", false);
    spec.description = scalar(root, "description", "the rule set", false);
    spec.version = scalar(root, "version", "the rule set", false);
    const auto on_unknown = scalar(root, "on_unknown", "the rule set", false);
    if (on_unknown == "not_eligible" || on_unknown == "reject" || on_unknown.empty()) {
      spec.on_unknown = unknown_policy::not_eligible;
    } else if (on_unknown == "eligible" || on_unknown == "pass") {
      spec.on_unknown = unknown_policy::eligible;
    } else {
      throw spec_error("on_unknown must be not_eligible or eligible, not \"" + on_unknown + "\"",
                       at(root["on_unknown"]));
    }
    if (const auto rules = root["rules"]) {
      if (!rules.IsSequence()) throw spec_error("\"rules\" must be a list", at(rules));
      for (const auto& r : rules) {
        check_keys(r, {"id", "description", "when", "reason", "severity", "applies_to"}, "a rule");
        rule_spec rs;
        rs.where = at(r);
        rs.id = scalar(r, "id", "a rule", true);
        const std::string what = "rule \"" + rs.id + "\"";
        rs.description = scalar(r, "description", what, false);
        rs.when = scalar(r, "when", what, true);
        rs.when_where = text_at(r["when"]);
        rs.reason = scalar(r, "reason", what, false);
        if (r["reason"]) rs.reason_where = text_at(r["reason"]);
        rs.applies_to = scalar(r, "applies_to", what, false);
        if (r["applies_to"]) rs.applies_where = text_at(r["applies_to"]);
        const auto sev = scalar(r, "severity", what, false);
        if (sev.empty() || sev == "reject") {
          rs.level = rule_severity::reject;
        } else if (sev == "warn") {
          rs.level = rule_severity::warn;
        } else {
          throw spec_error(what + ": severity must be reject or warn, not \"" + sev + "\"",
                           at(r["severity"]));
        }
        spec.rules.push_back(std::move(rs));
      }
    }
    if (const auto tables = root["tables"]) {
      if (!tables.IsSequence()) throw spec_error("\"tables\" must be a list", at(tables));
      for (const auto& t : tables) {
        check_keys(t, {"id", "description", "hit_policy", "output", "rows", "default"},
                   "a decision table");
        decision_table_spec ts;
        ts.where = at(t);
        ts.id = scalar(t, "id", "a decision table", true);
        const std::string what = "table \"" + ts.id + "\"";
        ts.description = scalar(t, "description", what, false);
        ts.output = scalar(t, "output", what, false);
        if (ts.output.empty()) ts.output = ts.id;
        const auto hp = scalar(t, "hit_policy", what, false);
        if (hp.empty() || hp == "first") {
          ts.policy = hit_policy::first;
        } else if (hp == "unique") {
          ts.policy = hit_policy::unique;
        } else if (hp == "collect") {
          ts.policy = hit_policy::collect;
        } else {
          throw spec_error(what + ": hit_policy must be first, unique or collect, not \"" + hp +
                               "\"" + detail::rules::suggest(hp, {"first", "unique", "collect"}),
                           at(t["hit_policy"]));
        }
        const auto rows = t["rows"];
        if (!rows || !rows.IsSequence() || rows.size() == 0)
          throw spec_error(what + " needs \"rows\": a list of {when, value}", at(t));
        for (const auto& row : rows) {
          check_keys(row, {"when", "value"}, "a row of " + what);
          if (!row["value"]) throw spec_error("a row of " + what + " has no \"value\"", at(row));
          table_row_spec rs = output(row["value"]);
          rs.when = scalar(row, "when", "a row of " + what, true);
          rs.when_where = text_at(row["when"]);
          ts.rows.push_back(std::move(rs));
        }
        if (const auto d = t["default"]; d && !d.IsNull()) ts.default_output = output(d);
        spec.tables.push_back(std::move(ts));
      }
    }
    return spec;
  }

 private:
  std::string_view text_;
  std::string file_;
};

}  // namespace

rule_set_spec parse_rule_set(std::string_view text, std::string_view file) {
  try {
    return reader(text, file).run();
  } catch (const YAML::Exception& e) {
    // e.g. a key or value of the wrong shape (a list where a name is expected).
    throw spec_error(e.msg, location{.file = std::string(file),
                                     .line = static_cast<std::size_t>(e.mark.line) + 1,
                                     .column = static_cast<std::size_t>(e.mark.column) + 1});
  }
}

rule_set_spec load_rule_set(const std::string& path) {
  return parse_rule_set(read_user_file(path, detail::yaml_limits{}.max_bytes), path);
}

rule_set_spec rule_set_spec::from_text(std::string_view text, std::string_view file) {
  return parse_rule_set(text, file);
}

rule_set_spec rule_set_spec::from_file(const std::string& path) {
  return load_rule_set(path);
}

}  // namespace khuyenhoc
