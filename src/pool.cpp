#include "khuyenhoc/pool.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <numeric>

#include "khuyenhoc/detail/parallel.hpp"
#include "khuyenhoc/detail/unicode.hpp"

namespace khuyenhoc {

namespace {

/// The id index's hash of an id (std::hash: MurmurHash64A in libstdc++).
std::uint64_t id_hash(std::string_view id) noexcept {
  return std::hash<std::string_view>{}(id);
}
constexpr std::uint64_t kRowBits = 0xFFFFFFFFULL;

/// `n` zeroed slots, from the heap. (Mapped with transparent huge pages, a 10M-nominee table
/// was built faster when built again, 0.20 s against 0.28 s, but the first time, as in the
/// reader, the kernel's huge page allocation made it 0.52 s.)
std::shared_ptr<std::uint64_t> zeroed_slots(std::size_t n) {
  return {new std::uint64_t[n](), std::default_delete<std::uint64_t[]>()};
}

/// Pools of at least this many rows build their id index on all cores.
constexpr std::size_t kParallelIdRows = std::size_t{1} << 17U;

/// Slots of the id index for `rows` ids: a power of two, at most 3/4 full.
std::size_t id_slots_for(std::size_t rows) {
  std::size_t slots = 16;
  while (slots * 3 < rows * 4) slots *= 2;
  return slots;
}

template <class T>
buffer<T> make_buffer(std::vector<T> v) {
  return buffer<T>(std::move(v));
}

std::string type_mismatch(const std::string& name, column_type actual, column_type wanted) {
  return "is a " + std::string(to_string(actual)) + " column, not " +
         std::string(to_string(wanted)) + " (" + name + ")";
}

std::string format_double(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, res.ptr};
}

}  // namespace

std::string_view to_string(column_type type) noexcept {
  switch (type) {
    case column_type::number:
      return "number";
    case column_type::integer:
      return "integer";
    case column_type::boolean:
      return "boolean";
    case column_type::date:
      return "date";
    case column_type::category:
      return "category";
    case column_type::text:
      return "text";
    case column_type::category_list:
      return "list";
  }
  return "unknown";
}

column_type parse_column_type(std::string_view name) {
  if (name == "number" || name == "float" || name == "double") return column_type::number;
  if (name == "integer" || name == "int") return column_type::integer;
  if (name == "boolean" || name == "bool") return column_type::boolean;
  if (name == "date") return column_type::date;
  if (name == "category") return column_type::category;
  if (name == "text" || name == "string" || name == "str") return column_type::text;
  if (name == "list" || name == "category_list") return column_type::category_list;
  throw spec_error("unknown column type \"" + std::string(name) +
                   "\" (expected number, integer, boolean, date, category, text or list)");
}

// ---------------------------------------------------------------- column factories

void column::finish_validity(std::vector<std::uint8_t> valid) {
  if (valid.empty()) valid.assign(size_, 1);
  if (valid.size() != size_) {
    throw data_error("validity mask has " + std::to_string(valid.size()) + " items for " +
                         std::to_string(size_) + " rows",
                     location{.field = name_});
  }
  std::size_t nulls = 0;
  for (auto& v : valid) {
    v = v != 0 ? 1 : 0;
    nulls += 1 - v;
  }
  null_count_ = nulls;
  valid_ = make_buffer(std::move(valid));
}

void column::build_dictionary_index() {
  auto index = std::make_shared<std::unordered_map<std::string_view, std::int32_t>>();
  index->reserve(dictionary_->size());
  for (std::size_t i = 0; i < dictionary_->size(); ++i) {
    if (!index->emplace((*dictionary_)[i], static_cast<std::int32_t>(i)).second) {
      throw data_error("category \"" + (*dictionary_)[i] + "\" appears twice in the dictionary",
                       location{.field = name_});
    }
  }
  dictionary_index_ = std::move(index);
}

column column::number(std::string name, buffer<double> values) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::number;
  c.size_ = values.size();
  std::vector<std::uint8_t> valid(c.size_);
  for (std::size_t i = 0; i < c.size_; ++i) valid[i] = std::isnan(values[i]) ? 0 : 1;
  c.numbers_ = std::move(values);
  c.finish_validity(std::move(valid));
  return c;
}

column column::integer(std::string name, buffer<std::int64_t> values,
                       std::vector<std::uint8_t> valid) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::integer;
  c.size_ = values.size();
  c.integers_ = std::move(values);
  c.finish_validity(std::move(valid));
  return c;
}

column column::boolean(std::string name, std::vector<std::uint8_t> values,
                       std::vector<std::uint8_t> valid) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::boolean;
  c.size_ = values.size();
  for (auto& v : values) v = v != 0 ? 1 : 0;
  c.booleans_ = make_buffer(std::move(values));
  c.finish_validity(std::move(valid));
  return c;
}

column column::date(std::string name, std::vector<day_number> values,
                    std::vector<std::uint8_t> valid, std::vector<std::int32_t> seconds) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::date;
  c.size_ = values.size();
  if (!seconds.empty()) {
    if (seconds.size() != values.size())
      throw data_error("the times of day have " + std::to_string(seconds.size()) + " items for " +
                           std::to_string(values.size()) + " dates",
                       location{.field = c.name_});
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      if (seconds[i] < 0 || seconds[i] >= 86'400)
        throw data_error("the time of day " + std::to_string(seconds[i]) + " s at row " +
                             std::to_string(i + 1) + " is outside 0..86399",
                         location{.field = c.name_});
    }
    c.seconds_ = make_buffer(std::move(seconds));
  }
  c.dates_ = make_buffer(std::move(values));
  c.finish_validity(std::move(valid));
  return c;
}

column column::category(std::string name, std::vector<std::int32_t> codes,
                        std::vector<std::string> dictionary, bool ordered) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::category;
  c.ordered_ = ordered;
  c.size_ = codes.size();
  const auto dict_size = static_cast<std::int32_t>(dictionary.size());
  std::vector<std::uint8_t> valid(c.size_);
  for (std::size_t i = 0; i < c.size_; ++i) {
    if (codes[i] < -1 || codes[i] >= dict_size) {
      throw data_error("category code " + std::to_string(codes[i]) + " at row " +
                           std::to_string(i) + " is outside the dictionary of " +
                           std::to_string(dict_size),
                       location{.field = c.name_});
    }
    valid[i] = codes[i] >= 0 ? 1 : 0;
  }
  c.codes_ = make_buffer(std::move(codes));
  c.dictionary_ = std::make_shared<const std::vector<std::string>>(std::move(dictionary));
  c.build_dictionary_index();
  c.finish_validity(std::move(valid));
  return c;
}

column column::text(std::string name, const std::vector<std::string>& values,
                    std::vector<std::uint8_t> valid) {
  std::string blob;
  std::size_t total = 0;
  for (const auto& v : values) total += v.size();
  blob.reserve(total);
  std::vector<std::uint64_t> offsets;
  offsets.reserve(values.size() + 1);
  offsets.push_back(0);
  for (const auto& v : values) {
    blob += v;
    offsets.push_back(blob.size());
  }
  return text(std::move(name), std::move(blob), std::move(offsets), std::move(valid));
}

column column::text(std::string name, std::string blob, std::vector<std::uint64_t> offsets,
                    std::vector<std::uint8_t> valid) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::text;
  if (offsets.empty()) offsets.push_back(0);
  c.size_ = offsets.size() - 1;
  for (std::size_t i = 0; i < c.size_; ++i) {
    if (offsets[i] > offsets[i + 1] || offsets[i + 1] > blob.size()) {
      throw data_error(
          "text offsets are not increasing within the blob at row " + std::to_string(i),
          location{.field = c.name_});
    }
  }
  c.text_blob_ = std::make_shared<const std::string>(std::move(blob));
  c.text_offsets_ = make_buffer(std::move(offsets));
  c.finish_validity(std::move(valid));
  return c;
}

column column::category_list(std::string name, std::vector<std::uint32_t> offsets,
                             std::vector<std::int32_t> codes, std::vector<std::string> dictionary,
                             std::vector<std::uint8_t> valid) {
  column c;
  c.name_ = std::move(name);
  c.type_ = column_type::category_list;
  if (offsets.empty()) offsets.push_back(0);
  c.size_ = offsets.size() - 1;
  if (offsets.front() != 0 || offsets.back() != codes.size()) {
    throw data_error("list offsets must start at 0 and end at the number of items",
                     location{.field = c.name_});
  }
  for (std::size_t i = 0; i < c.size_; ++i) {
    if (offsets[i] > offsets[i + 1]) {
      throw data_error("list offsets decrease at row " + std::to_string(i),
                       location{.field = c.name_});
    }
  }
  const auto dict_size = static_cast<std::int32_t>(dictionary.size());
  for (auto code : codes) {
    if (code < 0 || code >= dict_size) {
      throw data_error("list item code " + std::to_string(code) + " is outside the dictionary",
                       location{.field = c.name_});
    }
  }
  c.list_offsets_ = make_buffer(std::move(offsets));
  c.codes_ = make_buffer(std::move(codes));
  c.dictionary_ = std::make_shared<const std::vector<std::string>>(std::move(dictionary));
  c.build_dictionary_index();
  c.finish_validity(std::move(valid));
  return c;
}

// ---------------------------------------------------------------- column access

void column::require(column_type t) const {
  if (type_ != t) throw schema_error(type_mismatch(name_, type_, t), location{.field = name_});
}

std::span<const double> column::numbers() const {
  require(column_type::number);
  return numbers_.span();
}
std::span<const std::int64_t> column::integers() const {
  require(column_type::integer);
  return integers_.span();
}
std::span<const std::uint8_t> column::booleans() const {
  require(column_type::boolean);
  return booleans_.span();
}
std::span<const day_number> column::dates() const {
  require(column_type::date);
  return dates_.span();
}
std::span<const std::int32_t> column::seconds_of_day() const {
  require(column_type::date);
  return seconds_.span();
}
std::span<const std::int32_t> column::codes() const {
  if (type_ != column_type::category_list) require(column_type::category);
  return codes_.span();
}
std::span<const std::uint32_t> column::list_offsets() const {
  require(column_type::category_list);
  return list_offsets_.span();
}
std::span<const std::uint64_t> column::text_offsets() const {
  require(column_type::text);
  return text_offsets_.span();
}
std::string_view column::text_blob() const {
  require(column_type::text);
  return *text_blob_;
}
const std::vector<std::string>& column::dictionary() const {
  if (type_ != column_type::category_list) require(column_type::category);
  return *dictionary_;
}
std::int32_t column::code_of(std::string_view value) const {
  if (type_ != column_type::category_list) require(column_type::category);
  auto it = dictionary_index_->find(value);
  return it == dictionary_index_->end() ? -1 : it->second;
}
std::string_view column::text_at(std::size_t row) const {
  require(column_type::text);
  return std::string_view(*text_blob_)
      .substr(text_offsets_[row], text_offsets_[row + 1] - text_offsets_[row]);
}
std::span<const std::int32_t> column::list_at(std::size_t row) const {
  require(column_type::category_list);
  return codes_.span().subspan(list_offsets_[row], list_offsets_[row + 1] - list_offsets_[row]);
}
std::string_view column::category_at(std::size_t row) const {
  require(column_type::category);
  const auto code = codes_[row];
  return code < 0 ? std::string_view{} : std::string_view((*dictionary_)[code]);
}

std::string column::format(std::size_t row) const {
  if (!is_valid(row)) return {};
  switch (type_) {
    case column_type::number:
      return format_double(numbers_[row]);
    case column_type::integer:
      return std::to_string(integers_[row]);
    case column_type::boolean:
      return booleans_[row] ? "true" : "false";
    case column_type::date: {
      const auto d = from_day_number(dates_[row]);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()),
                    static_cast<int>(d.month()), static_cast<int>(d.day()));
      std::string out = buf;
      if (has_times()) {
        const int s = seconds_[row];
        std::snprintf(buf, sizeof buf, " %02d:%02d", s / 3600, s / 60 % 60);
        out += buf;
        if (s % 60 != 0) {
          std::snprintf(buf, sizeof buf, ":%02d", s % 60);
          out += buf;
        }
      }
      return out;
    }
    case column_type::category:
      return std::string(category_at(row));
    case column_type::text:
      return std::string(text_at(row));
    case column_type::category_list: {
      std::string out;
      for (auto code : list_at(row)) {
        if (!out.empty()) out += '|';
        out += (*dictionary_)[code];
      }
      return out;
    }
  }
  return {};
}

const std::shared_ptr<const void>& column::values_owner() const noexcept {
  switch (type_) {
    case column_type::number:
      return numbers_.owner();
    case column_type::integer:
      return integers_.owner();
    case column_type::boolean:
      return booleans_.owner();
    case column_type::date:
      return dates_.owner();
    case column_type::category:
    case column_type::category_list:
      return codes_.owner();
    case column_type::text:
      return text_offsets_.owner();
  }
  return valid_.owner();
}

column column::with_order(const std::vector<std::string>& scale,
                          const std::function<std::string(std::size_t)>& describe_row) const {
  require(column_type::category);
  if (scale.empty()) throw spec_error("the order of a category is empty", location{.field = name_});
  std::unordered_map<std::string_view, std::int32_t> rank;
  rank.reserve(scale.size());
  for (std::size_t k = 0; k < scale.size(); ++k) {
    if (!rank.emplace(scale[k], static_cast<std::int32_t>(k)).second) {
      throw spec_error("\"" + scale[k] + "\" appears twice in the order of the category",
                       location{.field = name_});
    }
  }
  const auto& dict = *dictionary_;
  std::vector<std::int32_t> remap(dict.size(), -1);
  std::vector<std::size_t> lacking;
  for (std::size_t k = 0; k < dict.size(); ++k) {
    const auto it = rank.find(dict[k]);
    if (it == rank.end()) {
      lacking.push_back(k);
    } else {
      remap[k] = it->second;
    }
  }
  const auto src = codes();
  if (!lacking.empty()) {
    // Name the values a row holds (a dictionary may carry unused values: those are dropped).
    std::vector<std::size_t> first_row(dict.size(), size_);
    for (std::size_t r = 0; r < size_; ++r) {
      const auto k = src[r];
      if (k >= 0 && first_row[static_cast<std::size_t>(k)] == size_)
        first_row[static_cast<std::size_t>(k)] = r;
    }
    std::string listed;
    std::size_t shown = 0;
    for (auto k : lacking) {
      if (first_row[k] == size_) continue;
      if (shown++ < 20)
        listed += (listed.empty() ? "" : ", ") +
                  ("\"" + dict[k] + "\" (" +
                   (describe_row ? describe_row(first_row[k])
                                 : "row " + std::to_string(first_row[k] + 1)) +
                   ")");
    }
    if (shown != 0) {
      std::string values;
      for (std::size_t k = 0; k < scale.size(); ++k) values += (k ? ", " : "") + scale[k];
      throw data_error(std::to_string(shown) + " value" + (shown == 1 ? " is" : "s are") +
                           " not in the order [" + values + "]: " + listed +
                           (shown > 20 ? ", …" : ""),
                       location{.field = name_});
    }
  }
  std::vector<std::int32_t> recoded(size_);
  for (std::size_t r = 0; r < size_; ++r)
    recoded[r] = src[r] < 0 ? -1 : remap[static_cast<std::size_t>(src[r])];
  return category(name_, std::move(recoded), scale, true);
}

column column::renamed(std::string name) const {
  column c = *this;
  c.name_ = std::move(name);
  return c;
}

// ---------------------------------------------------------------- pool

namespace {

column id_as_text(const column& c) {
  if (c.type() == column_type::text) return c;
  if (c.type() != column_type::integer && c.type() != column_type::category) {
    throw schema_error("the id column must hold text, integers or categories, not " +
                           std::string(to_string(c.type())),
                       location{.field = c.name()});
  }
  std::vector<std::string> values(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) values[i] = c.format(i);
  std::vector<std::uint8_t> valid(c.validity().begin(), c.validity().end());
  return column::text(c.name(), values, std::move(valid));
}

}  // namespace

pool::pool(std::vector<column> columns, std::string_view id_column,
           const std::function<std::string(std::size_t)>& describe_row) {
  const auto where = [&](std::size_t r) {
    return describe_row ? describe_row(r) : "row " + std::to_string(r + 1);
  };
  columns_ = std::move(columns);
  if (columns_.empty()) throw schema_error("a pool needs at least its id column");
  rows_ = columns_.front().size();
  bool found = false;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    if (c.name().empty()) {
      throw schema_error("column " + std::to_string(i + 1) + " has an empty name");
    }
    if (!by_name_.emplace(c.name(), i).second) {
      throw schema_error("column name appears twice", location{.field = c.name()});
    }
    if (c.size() != rows_) {
      throw schema_error("has " + std::to_string(c.size()) + " rows; column \"" +
                             columns_.front().name() + "\" has " + std::to_string(rows_),
                         location{.field = c.name()});
    }
    if (c.name() == id_column) {
      id_index_ = i;
      found = true;
    }
  }
  if (!found) {
    id_name_ = std::string(id_column);
    auto close = closest_columns(id_column);
    std::string hint;
    for (const auto& n : close) hint += (hint.empty() ? " (did you mean \"" : ", \"") + n + "\"";
    if (!hint.empty()) hint += ")";
    throw schema_error("no id column \"" + std::string(id_column) + "\"" + hint);
  }
  id_name_ = std::string(id_column);
  columns_[id_index_] = id_as_text(columns_[id_index_]);

  const auto& ids = columns_[id_index_];
  if (rows_ >= kRowBits) {
    throw limit_error("a pool holds at most " + std::to_string(kRowBits - 1) + " rows",
                      location{.field = id_name_});
  }
  // Open addressing, linear probing: slot = hash's high 32 bits << 32 | row + 1 (0: empty),
  // first slot at the hash's low bits. Ids are inserted in row order, so a repeated id meets
  // its first row. The slots of the next ids are prefetched: the inserts' cache misses overlap
  // instead of following one another (a sort of (hash, row) pairs was a chain of dependent
  // misses, 0.22 s for a million ids).
  const std::size_t slot_count = id_slots_for(rows_);
  auto index = zeroed_slots(slot_count);
  std::uint64_t* const slots = index.get();
  const std::size_t mask = slot_count - 1;
  const auto blob = ids.text_blob();
  const auto offsets = ids.text_offsets();
  const auto valid = ids.validity();
  const auto id_at = [&](std::size_t r) {
    return blob.substr(offsets[r], offsets[r + 1] - offsets[r]);
  };
  // Large pools: the ids are inserted from all cores, a slot taken by compare-and-swap (where a
  // row lands in its probe run depends on timing; what row_of finds does not). A repeated or
  // empty id stops that, and the sequential pass below builds the index again and names the
  // rows in order.
  if (rows_ >= kParallelIdRows) {
    std::atomic<bool> clean{true};
    constexpr std::size_t parts = 64;
    detail::parallel_for(parts, 0, [&](std::size_t part) {
      const std::size_t b = rows_ * part / parts;
      const std::size_t e = rows_ * (part + 1) / parts;
      constexpr std::size_t ahead = 16;  // slots prefetched, as in the sequential pass
      std::array<std::uint64_t, ahead> hashes{};
      const auto hash_row = [&](std::size_t r) {
        const std::uint64_t h = id_hash(id_at(r));
        __builtin_prefetch(&slots[h & mask], 1);
        hashes[r % ahead] = h;
      };
      for (std::size_t r = b; r < std::min(b + ahead, e); ++r) hash_row(r);
      for (std::size_t r = b; r < e; ++r) {
        const std::uint64_t h = hashes[r % ahead];
        if (r + ahead < e) hash_row(r + ahead);
        const auto id = id_at(r);
        if (valid[r] == 0 || id.empty()) {
          clean.store(false, std::memory_order_relaxed);
          return;
        }
        const std::uint64_t tag = h & ~kRowBits;
        std::size_t i = h & mask;
        while (true) {
          std::atomic_ref<std::uint64_t> slot(slots[i]);
          std::uint64_t seen = slot.load(std::memory_order_acquire);
          if (seen == 0 &&
              slot.compare_exchange_strong(seen, tag | (r + 1), std::memory_order_acq_rel)) {
            break;
          }
          if ((seen & ~kRowBits) == tag && id_at((seen & kRowBits) - 1) == id) {
            clean.store(false, std::memory_order_relaxed);
            return;
          }
          i = (i + 1) & mask;
        }
        if ((r & 4095U) == 0 && !clean.load(std::memory_order_relaxed)) return;
      }
    });
    if (clean.load()) {
      id_slots_ = std::move(index);
      id_mask_ = mask;
      return;
    }
    std::fill_n(slots, slot_count, std::uint64_t{0});
  }
  std::vector<std::size_t> empty_rows;
  std::vector<std::pair<std::size_t, std::size_t>> duplicates;  // (first row, repeated row)
  constexpr std::size_t ahead = 16;
  std::array<std::uint64_t, ahead> hashes{};
  const auto hash_row = [&](std::size_t r) {
    const std::uint64_t h = id_hash(id_at(r));
    __builtin_prefetch(&slots[h & mask], 1);
    hashes[r % ahead] = h;
  };
  for (std::size_t r = 0; r < std::min(ahead, rows_); ++r) hash_row(r);
  for (std::size_t r = 0; r < rows_; ++r) {
    const std::uint64_t h = hashes[r % ahead];
    if (r + ahead < rows_) hash_row(r + ahead);
    const auto id = id_at(r);
    if (valid[r] == 0 || id.empty()) {
      empty_rows.push_back(r);
      continue;
    }
    const std::uint64_t tag = h & ~kRowBits;
    std::size_t i = h & mask;
    while (true) {
      const std::uint64_t e = slots[i];
      if (e == 0) {
        slots[i] = tag | (r + 1);
        break;
      }
      if ((e & ~kRowBits) == tag) {
        const std::size_t first = (e & kRowBits) - 1;
        if (id_at(first) == id) {
          duplicates.emplace_back(first, r);
          break;
        }
      }
      i = (i + 1) & mask;
    }
  }
  if (!empty_rows.empty() || !duplicates.empty()) {
    std::string msg;
    if (!duplicates.empty()) {
      msg += std::to_string(duplicates.size()) + " duplicate id(s):";
      for (std::size_t k = 0; k < duplicates.size() && k < 20; ++k) {
        msg += " \"" + std::string(ids.text_at(duplicates[k].second)) + "\" (" +
               where(duplicates[k].first) + " and " + where(duplicates[k].second) + ")";
        msg += k + 1 < duplicates.size() && k < 19 ? "," : "";
      }
      if (duplicates.size() > 20) msg += " ...";
    }
    if (!empty_rows.empty()) {
      if (!msg.empty()) msg += "; ";
      msg += std::to_string(empty_rows.size()) + " empty id(s):";
      for (std::size_t k = 0; k < empty_rows.size() && k < 20; ++k) {
        msg += (k ? ", " : " ") + where(empty_rows[k]);
      }
      if (empty_rows.size() > 20) msg += ", ...";
    }
    throw data_error(msg, location{.field = id_name_});
  }
  id_slots_ = std::move(index);
  id_mask_ = mask;
}

std::vector<std::string> pool::column_names() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const auto& c : columns_) names.push_back(c.name());
  return names;
}

const column* pool::find(std::string_view name) const noexcept {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &columns_[it->second];
}

const column& pool::operator[](std::string_view name) const {
  if (const auto* c = find(name)) return *c;
  std::string msg = "no such column";
  auto close = closest_columns(name);
  if (!close.empty()) {
    msg += "; did you mean ";
    for (std::size_t i = 0; i < close.size(); ++i) msg += (i ? ", \"" : "\"") + close[i] + "\"";
    msg += "?";
  }
  throw schema_error(msg, location{.field = std::string(name)});
}

const std::vector<std::string>& pool::unread_columns() const noexcept {
  static const std::vector<std::string> none;
  return unread_ ? *unread_ : none;
}

pool pool::with_unread_columns(std::vector<std::string> names) const {
  pool out = *this;
  out.unread_ =
      names.empty() ? nullptr : std::make_shared<const std::vector<std::string>>(std::move(names));
  return out;
}

std::vector<std::string> pool::closest_columns(std::string_view name, std::size_t n) const {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const auto folded = detail::fold_for_matching(name);
  const auto len = std::max<std::size_t>(detail::count_code_points(name), 1);
  auto consider = [&](const std::string& candidate) {
    const auto d = edit_distance(folded, detail::fold_for_matching(candidate));
    if (d <= std::max<std::size_t>(2, len / 2)) scored.emplace_back(d, candidate);
  };
  for (const auto& c : columns_) consider(c.name());
  for (const auto& c : unread_columns()) consider(c);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

std::optional<std::uint32_t> pool::row_of(std::string_view id) const {
  if (!id_slots_ || id.empty()) return std::nullopt;
  const std::uint64_t* const slots = id_slots_.get();
  const std::size_t mask = id_mask_;
  const std::uint64_t h = id_hash(id);
  const std::uint64_t tag = h & ~kRowBits;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t e = slots[i];
    if (e == 0) return std::nullopt;
    if ((e & ~kRowBits) == tag) {
      const auto row = static_cast<std::uint32_t>((e & kRowBits) - 1);
      if (id_column().text_at(row) == id) return row;
    }
  }
}

pool pool::with_column(column c) const {
  if (c.name() == id_name_) {
    throw schema_error("cannot replace the id column", location{.field = c.name()});
  }
  auto cols = columns_;
  auto unread = unread_columns();
  std::erase(unread, c.name());
  auto it = by_name_.find(c.name());
  if (it != by_name_.end()) {
    cols[it->second] = std::move(c);
  } else {
    cols.push_back(std::move(c));
  }
  return pool(std::move(cols), id_name_).with_unread_columns(std::move(unread));
}

pool pool::with_order(std::string_view name, const std::vector<std::string>& scale) const {
  const column& c = (*this)[name];
  auto cols = columns_;
  cols[by_name_.at(c.name())] =
      c.with_order(scale, [this](std::size_t r) { return "row \"" + std::string(id(r)) + "\""; });
  return pool(std::move(cols), id_name_).with_unread_columns(unread_columns());
}

namespace {

template <class T>
std::vector<T> gather(std::span<const T> values, std::span<const std::uint32_t> rows) {
  std::vector<T> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = values[rows[i]];
  return out;
}

column take_column(const column& c, std::span<const std::uint32_t> rows) {
  auto valid = gather(c.validity(), rows);
  switch (c.type()) {
    case column_type::number:
      return column::number(c.name(), buffer<double>(gather(c.numbers(), rows)));
    case column_type::integer:
      return column::integer(c.name(), buffer<std::int64_t>(gather(c.integers(), rows)),
                             std::move(valid));
    case column_type::boolean:
      return column::boolean(c.name(), gather(c.booleans(), rows), std::move(valid));
    case column_type::date:
      return column::date(
          c.name(), gather(c.dates(), rows), std::move(valid),
          c.has_times() ? gather(c.seconds_of_day(), rows) : std::vector<std::int32_t>{});
    case column_type::category:
      return column::category(c.name(), gather(c.codes(), rows), c.dictionary(), c.ordered());
    case column_type::text: {
      std::string blob;
      std::vector<std::uint64_t> offsets{0};
      offsets.reserve(rows.size() + 1);
      for (auto r : rows) {
        blob += c.text_at(r);
        offsets.push_back(blob.size());
      }
      return column::text(c.name(), std::move(blob), std::move(offsets), std::move(valid));
    }
    case column_type::category_list: {
      std::vector<std::uint32_t> offsets{0};
      std::vector<std::int32_t> codes;
      for (auto r : rows) {
        auto items = c.list_at(r);
        codes.insert(codes.end(), items.begin(), items.end());
        offsets.push_back(static_cast<std::uint32_t>(codes.size()));
      }
      return column::category_list(c.name(), std::move(offsets), std::move(codes), c.dictionary(),
                                   std::move(valid));
    }
  }
  throw error("unknown column type");
}

}  // namespace

pool pool::take(std::span<const std::uint32_t> rows) const {
  for (auto r : rows) {
    if (r >= rows_) {
      throw data_error("row " + std::to_string(r) + " is outside a pool of " +
                       std::to_string(rows_) + " rows");
    }
  }
  std::vector<column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(take_column(c, rows));
  return pool(std::move(cols), id_name_).with_unread_columns(unread_columns());
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const auto ca = detail::code_points(a);
  const auto cb = detail::code_points(b);
  std::vector<std::size_t> prev(cb.size() + 1), cur(cb.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= ca.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= cb.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (ca[i - 1] == cb[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[cb.size()];
}

}  // namespace khuyenhoc
