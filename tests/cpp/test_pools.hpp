#pragma once
/// Pools shared by the C++ tests.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "khuyenhoc/pool.hpp"

namespace khuyenhoc::testing {

/// `p` with its generated names (the text column full_name) also as a category column,
/// "name_category", for tie-breakers over both kinds of column.
inline pool with_names_as_category(pool p) {
  std::vector<std::int32_t> codes(p.size());
  std::vector<std::string> dict;
  std::map<std::string, std::int32_t> code_of;
  for (std::size_t r = 0; r < p.size(); ++r) {
    const auto [it, fresh] = code_of.emplace(std::string(p["full_name"].text_at(r)),
                                             static_cast<std::int32_t>(dict.size()));
    if (fresh) dict.push_back(it->first);
    codes[r] = it->second;
  }
  return p.with_column(column::category("name_category", std::move(codes), std::move(dict)));
}

}  // namespace khuyenhoc::testing
