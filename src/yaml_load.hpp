#pragma once
// The one YAML loading path of the library (criteria sets, rule sets, plans, calendars). Private
// to src/: yaml-cpp is not part of the public interface.
//
// load_yaml() checks, before any reader looks at the document:
//  - the text is valid UTF-8 (a located parse_error otherwise; a BOM is skipped);
//  - a mapping has no key twice (parse_error at the second, naming the first's line/column:
//    yaml-cpp keeps both and returns the first, which silently ignored the second);
//  - aliases (*name) expand to at most yaml_limits::max_alias_nodes nodes in total and nesting,
//    aliases expanded, stays within yaml_limits::max_depth (limit_error otherwise: a few hundred
//    bytes of nested aliases would otherwise expand to billions of nodes);
//  - the text holds one document.
// Limits are counted on yaml-cpp's event stream, so checking costs one linear pass whatever
// the aliases would expand to.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/error.hpp"

namespace khuyenhoc::detail {

/// The bounds load_yaml enforces. Documented in docs/reliability.md.
struct yaml_limits {
  /// Largest YAML file read by load_yaml_file (bytes).
  std::size_t max_bytes = 64U << 20U;
  /// Nodes that aliases may add in total when expanded.
  std::size_t max_alias_nodes = 100'000;
  /// Deepest nesting of mappings and sequences, aliases expanded.
  std::size_t max_depth = 64;
};

/// Parses `text` (named `file` in errors) after the checks above.
/// \throws parse_error, limit_error
[[nodiscard]] YAML::Node load_yaml(std::string_view text, const std::string& file,
                                   const yaml_limits& limits = {});

/// Reads `path` with read_user_file (same error for a missing file as every reader) and loads
/// it. \throws io_error, parse_error, limit_error
[[nodiscard]] YAML::Node load_yaml_file(const std::string& path, const yaml_limits& limits = {});

/// Where a node sits: file, 1-based line and column (file only when the node has no mark).
[[nodiscard]] location yaml_location(const YAML::Node& node, const std::string& file);

/// "; did you mean \"x\"?" for the allowed key closest to `key`, or "" when none is close.
[[nodiscard]] std::string yaml_did_you_mean(std::string_view key,
                                            const std::vector<std::string_view>& allowed);

}  // namespace khuyenhoc::detail
