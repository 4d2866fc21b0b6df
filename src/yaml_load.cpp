// The one YAML loading path (see yaml_load.hpp): a checking pass over yaml-cpp's event stream
// (duplicate keys, alias expansion, depth), then yaml-cpp's own node tree.

#include "yaml_load.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "khuyenhoc/detail/unicode.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/pool.hpp"

namespace khuyenhoc::detail {

namespace {

location at_mark(const YAML::Mark& m, const std::string& file) {
  if (m.is_null() || m.line < 0) return location{.file = file};
  return location{.file = file,
                  .line = static_cast<std::size_t>(m.line) + 1,
                  .column = static_cast<std::size_t>(std::max(m.column, 0)) + 1};
}

/// Counts on the event stream what the node tree would hide: repeated keys, alias expansion.
class checker final : public YAML::EventHandler {
 public:
  checker(const std::string& file, const yaml_limits& limits) : file_(file), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  /// Where the document began.
  [[nodiscard]] const YAML::Mark& start() const { return start_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (at_key())
      throw parse_error("a mapping key is empty (a line starting with ':'?)", at_mark(mark, file_));
    leaf(anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!stack_.empty() && stack_.back().is_map && stack_.back().expect_key) key(mark, value);
    leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto [nodes, height] = anchor < anchors_.size() ? anchors_[anchor] : std::pair{1UL, 0UL};
    if (at_key() && height != 0) not_text_key(mark);
    alias_nodes_ += nodes;
    expanded_ += nodes;
    if (alias_nodes_ > limits_.max_alias_nodes) {
      throw limit_error("the aliases (*name) of this YAML expand to more than " +
                            std::to_string(limits_.max_alias_nodes) +
                            " nodes; write the repeated parts out or use fewer nested aliases",
                        at_mark(mark, file_));
    }
    check_depth(stack_.size() + height, mark);
    done(height);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct frame {
    bool is_map = false;
    YAML::anchor_t anchor = 0;
    std::size_t first_node = 0;  // expanded_ when the container opened
    std::size_t height = 0;      // of the tallest child
    bool expect_key = true;
    std::unordered_map<std::string, YAML::Mark> keys{};
  };

  void key(const YAML::Mark& mark, const std::string& value) {
    auto [it, fresh] = stack_.back().keys.emplace(value, mark);
    if (!fresh) {
      const auto first = at_mark(it->second, file_);
      throw parse_error("duplicate key \"" + value + "\" in a mapping (first at line " +
                            std::to_string(first.line) + ", column " +
                            std::to_string(first.column) +
                            "); a key may appear once, or YAML keeps only the first value",
                        at_mark(mark, file_));
    }
  }
  void remember(YAML::anchor_t anchor, std::size_t nodes, std::size_t height) {
    if (anchor == 0) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, {1, 0});
    anchors_[anchor] = {nodes, height};
  }
  void leaf(YAML::anchor_t anchor) {
    ++expanded_;
    remember(anchor, 1, 0);
    done(0);
  }
  /// The next node is a key of the innermost mapping.
  [[nodiscard]] bool at_key() const {
    return !stack_.empty() && stack_.back().is_map && stack_.back().expect_key;
  }
  /// Keys are names: every reader takes them as text, so a list or mapping as key is refused
  /// here, at its place, instead of failing later inside a reader.
  [[noreturn]] void not_text_key(const YAML::Mark& mark) const {
    throw parse_error("a mapping key must be text, not a list or a mapping", at_mark(mark, file_));
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (at_key()) not_text_key(mark);
    stack_.push_back(frame{.is_map = is_map, .anchor = anchor, .first_node = expanded_});
    ++expanded_;
    check_depth(stack_.size(), mark);
  }
  void close() {
    const frame f = std::move(stack_.back());
    stack_.pop_back();
    remember(f.anchor, expanded_ - f.first_node, f.height + 1);
    done(f.height + 1);
  }
  /// A child of the innermost container is complete.
  void done(std::size_t height) {
    if (stack_.empty()) return;
    auto& top = stack_.back();
    top.height = std::max(top.height, height);
    if (top.is_map) top.expect_key = !top.expect_key;
  }
  void check_depth(std::size_t depth, const YAML::Mark& mark) const {
    if (depth > limits_.max_depth) {
      throw limit_error("the YAML nests deeper than " + std::to_string(limits_.max_depth) +
                            " levels (aliases expanded)",
                        at_mark(mark, file_));
    }
  }

  const std::string& file_;
  const yaml_limits& limits_;
  std::vector<frame> stack_;
  std::vector<std::pair<std::size_t, std::size_t>> anchors_;  // by anchor id: nodes, height
  std::size_t expanded_ = 0;                                  // nodes so far, aliases expanded
  std::size_t alias_nodes_ = 0;
  YAML::Mark start_ = YAML::Mark::null_mark();
};

parse_error from_yaml_cpp(const YAML::Exception& e, const std::string& file) {
  return parse_error(e.msg, at_mark(e.mark, file));
}

}  // namespace

YAML::Node load_yaml(std::string_view text, const std::string& file, const yaml_limits& limits) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  require_text(text, file);  // valid UTF-8, no NUL byte
  const std::string owned(text);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    checker check(file, limits);
    if (parser.HandleNextDocument(check)) {
      checker rest(file, limits);
      // A second document would be ignored by YAML::Load: refuse it instead.
      if (parser.HandleNextDocument(rest)) {
        throw parse_error("more than one YAML document (a line \"---\" starts a second one)",
                          at_mark(rest.start(), file));
      }
    }
    return YAML::Load(owned);
  } catch (const YAML::Exception& e) {
    throw from_yaml_cpp(e, file);
  }
}

YAML::Node load_yaml_file(const std::string& path, const yaml_limits& limits) {
  return load_yaml(read_user_file(path, limits.max_bytes), path, limits);
}

location yaml_location(const YAML::Node& node, const std::string& file) {
  return at_mark(node.Mark(), file);
}

std::string yaml_did_you_mean(std::string_view key, const std::vector<std::string_view>& allowed) {
  std::string_view best;
  std::size_t dist = std::numeric_limits<std::size_t>::max();
  for (const auto a : allowed) {
    const auto d = edit_distance(fold_for_matching(key), fold_for_matching(a));
    if (d < dist) {
      dist = d;
      best = a;
    }
  }
  if (best.empty() || dist > std::max<std::size_t>(2, key.size() / 3)) return {};
  return "; did you mean \"" + std::string(best) + "\"?";
}

}  // namespace khuyenhoc::detail
