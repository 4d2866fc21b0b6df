// Pools through the Arrow C Data Interface: export shares the pool's buffers (each exported
// array holds a copy of its column, which shares storage), import converts each Arrow type to
// the pool's column types and shares float64/int64 values of a single batch.

#include "khuyenhoc/arrow.hpp"

#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/plan.hpp"
#include "khuyenhoc/rules.hpp"

#include <unicode/timezone.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace khuyenhoc {

namespace {

// ------------------------------------------------------------------------------------------
// Export
// ------------------------------------------------------------------------------------------

// Non-null pointer for empty buffers (consumers may refuse null data buffers).
alignas(64) const std::int64_t empty_storage[2] = {0, 0};

struct schema_holder {
  std::string format;
  std::string name;
  std::string metadata;
  std::vector<std::unique_ptr<ArrowSchema>> children;
  std::vector<ArrowSchema*> child_ptrs;
  std::unique_ptr<ArrowSchema> dictionary;
};

void release_schema(ArrowSchema* s) {
  if (s == nullptr || s->release == nullptr) return;
  auto* h = static_cast<schema_holder*>(s->private_data);
  for (auto& c : h->children) {
    if (c->release != nullptr) c->release(c.get());
  }
  if (h->dictionary && h->dictionary->release != nullptr)
    h->dictionary->release(h->dictionary.get());
  delete h;
  s->release = nullptr;
}

schema_holder* init_schema(ArrowSchema* out, std::string format, std::string name,
                           std::int64_t flags) {
  auto* h = new schema_holder{std::move(format), std::move(name), {}, {}, {}, {}};
  *out = ArrowSchema{h->format.c_str(), h->name.c_str(), nullptr,         flags, 0,
                     nullptr,           nullptr,         &release_schema, h};
  return h;
}

ArrowSchema* add_child(ArrowSchema* parent) {
  auto* h = static_cast<schema_holder*>(parent->private_data);
  h->children.push_back(std::make_unique<ArrowSchema>());
  h->child_ptrs.push_back(h->children.back().get());
  parent->n_children = static_cast<std::int64_t>(h->child_ptrs.size());
  parent->children = h->child_ptrs.data();
  return h->children.back().get();
}

ArrowSchema* add_dictionary(ArrowSchema* parent) {
  auto* h = static_cast<schema_holder*>(parent->private_data);
  h->dictionary = std::make_unique<ArrowSchema>();
  parent->dictionary = h->dictionary.get();
  return parent->dictionary;
}

struct array_holder {
  std::vector<std::shared_ptr<const void>> owners;
  std::vector<const void*> buffers;
  std::vector<std::unique_ptr<ArrowArray>> children;
  std::vector<ArrowArray*> child_ptrs;
  std::unique_ptr<ArrowArray> dictionary;
};

void release_array(ArrowArray* a) {
  if (a == nullptr || a->release == nullptr) return;
  auto* h = static_cast<array_holder*>(a->private_data);
  for (auto& c : h->children) {
    if (c->release != nullptr) c->release(c.get());
  }
  if (h->dictionary && h->dictionary->release != nullptr)
    h->dictionary->release(h->dictionary.get());
  delete h;
  a->release = nullptr;
}

array_holder* init_array(ArrowArray* out, std::int64_t length, std::int64_t null_count,
                         std::vector<const void*> buffers) {
  auto* h = new array_holder{};
  h->buffers = std::move(buffers);
  for (std::size_t i = 1; i < h->buffers.size(); ++i) {
    if (h->buffers[i] == nullptr) h->buffers[i] = empty_storage;
  }
  *out = ArrowArray{length,
                    null_count,
                    0,
                    static_cast<std::int64_t>(h->buffers.size()),
                    0,
                    h->buffers.data(),
                    nullptr,
                    nullptr,
                    &release_array,
                    h};
  return h;
}

ArrowArray* add_child(ArrowArray* parent) {
  auto* h = static_cast<array_holder*>(parent->private_data);
  h->children.push_back(std::make_unique<ArrowArray>());
  h->child_ptrs.push_back(h->children.back().get());
  parent->n_children = static_cast<std::int64_t>(h->child_ptrs.size());
  parent->children = h->child_ptrs.data();
  return h->children.back().get();
}

// Keeps `v` alive with the array and returns its data.
template <class T>
const T* keep(array_holder* h, std::vector<T> v) {
  auto sp = std::make_shared<const std::vector<T>>(std::move(v));
  const T* data = sp->data();
  h->owners.push_back(std::move(sp));
  return data;
}

std::vector<std::uint8_t> pack_bits(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> bits((bytes.size() + 7) / 8, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bits[i >> 3] |= static_cast<std::uint8_t>((bytes[i] != 0 ? 1U : 0U) << (i & 7U));
  }
  return bits;
}

// A utf8 (or large_utf8 when the bytes exceed int32) array of `strings`, no nulls.
void export_strings(const std::vector<std::string>& strings, ArrowSchema* schema,
                    ArrowArray* array) {
  std::size_t bytes = 0;
  for (const auto& s : strings) bytes += s.size();
  std::string blob;
  blob.reserve(bytes);
  for (const auto& s : strings) blob += s;
  const auto n = static_cast<std::int64_t>(strings.size());
  const bool large = bytes > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  if (schema != nullptr) init_schema(schema, large ? "U" : "u", "", 0);
  auto* h = init_array(array, n, 0, {nullptr, nullptr, nullptr});
  if (large) {
    std::vector<std::int64_t> offsets{0};
    offsets.reserve(strings.size() + 1);
    for (const auto& s : strings)
      offsets.push_back(offsets.back() + static_cast<std::int64_t>(s.size()));
    h->buffers[1] = keep(h, std::move(offsets));
  } else {
    std::vector<std::int32_t> offsets{0};
    offsets.reserve(strings.size() + 1);
    for (const auto& s : strings)
      offsets.push_back(offsets.back() + static_cast<std::int32_t>(s.size()));
    h->buffers[1] = keep(h, std::move(offsets));
  }
  auto sp = std::make_shared<const std::string>(std::move(blob));
  h->buffers[2] = sp->empty() ? static_cast<const void*>(empty_storage) : sp->data();
  h->owners.push_back(std::move(sp));
}

// Field metadata marking a pool text column, so that importing it back keeps it text (plain
// strings are otherwise inferred as categories when values repeat).
const std::string_view type_key = "khuyenhoc.type";

void append_int32(std::string& out, std::int32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

void set_metadata(ArrowSchema* s, std::string_view key, std::string_view value) {
  auto* h = static_cast<schema_holder*>(s->private_data);
  h->metadata.clear();
  append_int32(h->metadata, 1);
  append_int32(h->metadata, static_cast<std::int32_t>(key.size()));
  h->metadata += key;
  append_int32(h->metadata, static_cast<std::int32_t>(value.size()));
  h->metadata += value;
  s->metadata = h->metadata.data();
}

// The value of `key` in an Arrow metadata blob, if any.
std::optional<std::string_view> metadata_value(const char* metadata, std::string_view key) {
  if (metadata == nullptr) return {};
  auto read = [&metadata]() {
    std::int32_t v = 0;
    std::memcpy(&v, metadata, 4);
    metadata += 4;
    return v;
  };
  const auto n = read();
  for (std::int32_t i = 0; i < n; ++i) {
    const auto klen = read();
    const std::string_view k(metadata, static_cast<std::size_t>(klen));
    metadata += klen;
    const auto vlen = read();
    const std::string_view v(metadata, static_cast<std::size_t>(vlen));
    metadata += vlen;
    if (k == key) return v;
  }
  return {};
}

bool large_list(const column& c) {
  const auto offsets = c.list_offsets();
  return !offsets.empty() &&
         offsets.back() > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
}

void export_column_schema(const column& c, ArrowSchema* out) {
  const std::int64_t nullable = ARROW_FLAG_NULLABLE;
  switch (c.type()) {
    case column_type::number:
      init_schema(out, "g", c.name(), nullable);
      return;
    case column_type::integer:
      init_schema(out, "l", c.name(), nullable);
      return;
    case column_type::boolean:
      init_schema(out, "b", c.name(), nullable);
      return;
    case column_type::date:
      // With times of day: a timestamp without a time zone (Vietnam's wall clock, seconds).
      init_schema(out, c.has_times() ? "tss:" : "tdD", c.name(), nullable);
      return;
    case column_type::text:
      init_schema(out, "U", c.name(), nullable);
      set_metadata(out, type_key, "text");
      return;
    case column_type::category: {
      // Arrow's ordered flag sits on the field whose dictionary is ordered.
      init_schema(out, "i", c.name(), nullable | (c.ordered() ? ARROW_FLAG_DICTIONARY_ORDERED : 0));
      std::size_t bytes = 0;
      for (const auto& s : c.dictionary()) bytes += s.size();
      init_schema(
          add_dictionary(out),
          bytes > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) ? "U" : "u",
          "", 0);
      return;
    }
    case column_type::category_list: {
      init_schema(out, large_list(c) ? "+L" : "+l", c.name(), nullable);
      auto* item = add_child(out);
      init_schema(item, "i", "item", 0);
      std::size_t bytes = 0;
      for (const auto& s : c.dictionary()) bytes += s.size();
      init_schema(
          add_dictionary(item),
          bytes > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) ? "U" : "u",
          "", 0);
      return;
    }
  }
}

void export_column_array(const column& c, ArrowArray* out) {
  auto keep_column = std::make_shared<const column>(c);
  const column& k = *keep_column;
  const auto n = static_cast<std::int64_t>(k.size());
  const auto nulls = static_cast<std::int64_t>(k.null_count());
  array_holder* h = nullptr;
  auto validity = [&](array_holder* holder) -> const void* {
    return nulls == 0 ? nullptr : keep(holder, pack_bits(k.validity()));
  };
  switch (k.type()) {
    case column_type::number:
      h = init_array(out, n, nulls, {nullptr, k.numbers().data()});
      break;
    case column_type::integer:
      h = init_array(out, n, nulls, {nullptr, k.integers().data()});
      break;
    case column_type::boolean:
      h = init_array(out, n, nulls, {nullptr, nullptr});
      h->buffers[1] = keep(h, pack_bits(k.booleans()));
      break;
    case column_type::date:
      if (k.has_times()) {
        const auto days = k.dates();
        const auto secs = k.seconds_of_day();
        std::vector<std::int64_t> stamps(days.size());
        for (std::size_t i = 0; i < days.size(); ++i)
          stamps[i] = static_cast<std::int64_t>(days[i]) * 86'400 + secs[i];
        h = init_array(out, n, nulls, {nullptr, nullptr});
        h->buffers[1] = keep(h, std::move(stamps));
      } else {
        h = init_array(out, n, nulls, {nullptr, k.dates().data()});
      }
      break;
    case column_type::text:
      // uint64 offsets below 2^63 have the bit pattern of Arrow's int64 offsets.
      h = init_array(out, n, nulls, {nullptr, k.text_offsets().data(), k.text_blob().data()});
      break;
    case column_type::category: {
      h = init_array(out, n, nulls, {nullptr, k.codes().data()});
      h->dictionary = std::make_unique<ArrowArray>();
      export_strings(k.dictionary(), nullptr, h->dictionary.get());
      out->dictionary = h->dictionary.get();
      break;
    }
    case column_type::category_list: {
      const auto offsets = k.list_offsets();
      h = init_array(out, n, nulls, {nullptr, nullptr});
      if (large_list(k)) {
        h->buffers[1] = keep(h, std::vector<std::int64_t>(offsets.begin(), offsets.end()));
      } else {
        h->buffers[1] = offsets.data();  // uint32 below 2^31: Arrow's int32 offsets
      }
      auto* item = add_child(out);
      const auto codes = k.codes();
      auto* ih =
          init_array(item, static_cast<std::int64_t>(codes.size()), 0, {nullptr, codes.data()});
      ih->owners.push_back(keep_column);
      ih->dictionary = std::make_unique<ArrowArray>();
      export_strings(k.dictionary(), nullptr, ih->dictionary.get());
      item->dictionary = ih->dictionary.get();
      break;
    }
  }
  h->buffers[0] = validity(h);
  if (h->buffers.size() > 1 && h->buffers[1] == nullptr) h->buffers[1] = empty_storage;
  if (h->buffers.size() > 2 && h->buffers[2] == nullptr) h->buffers[2] = empty_storage;
  h->owners.push_back(std::move(keep_column));
}

struct stream_state {
  pool p;
  bool done = false;
  std::string last_error;
};

int stream_get_schema(ArrowArrayStream* s, ArrowSchema* out) {
  auto* st = static_cast<stream_state*>(s->private_data);
  try {
    export_arrow_schema(st->p, out);
    return 0;
  } catch (const std::exception& e) {
    st->last_error = e.what();
    return ENOMEM;
  }
}

int stream_get_next(ArrowArrayStream* s, ArrowArray* out) {
  auto* st = static_cast<stream_state*>(s->private_data);
  if (st->done) {
    out->release = nullptr;  // end of stream
    return 0;
  }
  try {
    export_arrow_array(st->p, out);
    st->done = true;
    return 0;
  } catch (const std::exception& e) {
    st->last_error = e.what();
    return ENOMEM;
  }
}

const char* stream_last_error(ArrowArrayStream* s) {
  auto* st = static_cast<stream_state*>(s->private_data);
  return st->last_error.empty() ? nullptr : st->last_error.c_str();
}

void stream_release(ArrowArrayStream* s) {
  if (s == nullptr || s->release == nullptr) return;
  delete static_cast<stream_state*>(s->private_data);
  s->release = nullptr;
}

// ------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------

using batch_ptr = std::shared_ptr<ArrowArray>;

batch_ptr adopt(ArrowArray* array) {
  auto* moved = new ArrowArray(*array);
  array->release = nullptr;  // moved: the caller's struct no longer owns anything
  return {moved, [](ArrowArray* a) {
            if (a->release != nullptr) a->release(a);
            delete a;
          }};
}

// One column's slice of one batch: element i is at array->offset + start + i.
struct slice {
  const ArrowArray* array = nullptr;
  std::int64_t start = 0;
  std::int64_t length = 0;

  [[nodiscard]] std::int64_t at(std::int64_t i) const { return array->offset + start + i; }
  [[nodiscard]] bool valid(std::int64_t i) const {
    if (array->null_count == 0 || array->buffers[0] == nullptr) return true;
    const auto j = at(i);
    return ((static_cast<const std::uint8_t*>(array->buffers[0])[j >> 3] >> (j & 7)) & 1) != 0;
  }
  template <class T>
  [[nodiscard]] T value(std::int64_t i) const {
    T out;
    std::memcpy(&out, static_cast<const char*>(array->buffers[1]) + at(i) * sizeof(T), sizeof(T));
    return out;
  }
  [[nodiscard]] bool bit(std::int64_t i) const {
    const auto j = at(i);
    return ((static_cast<const std::uint8_t*>(array->buffers[1])[j >> 3] >> (j & 7)) & 1) != 0;
  }
};

// Reads string element i of a utf8 ("u"), large_utf8 ("U") or string_view ("vu") slice.
std::string_view string_at(const slice& s, std::string_view format, std::int64_t i) {
  const auto j = s.at(i);
  if (format == "u") {
    const auto* off = static_cast<const std::int32_t*>(s.array->buffers[1]);
    return {static_cast<const char*>(s.array->buffers[2]) + off[j],
            static_cast<std::size_t>(off[j + 1] - off[j])};
  }
  if (format == "U") {
    const auto* off = static_cast<const std::int64_t*>(s.array->buffers[1]);
    return {static_cast<const char*>(s.array->buffers[2]) + off[j],
            static_cast<std::size_t>(off[j + 1] - off[j])};
  }
  // string_view: 16-byte views; inline when length <= 12, else (prefix, buffer, offset).
  const auto* view = static_cast<const char*>(s.array->buffers[1]) + j * 16;
  std::int32_t len = 0;
  std::memcpy(&len, view, 4);
  if (len <= 12) return {view + 4, static_cast<std::size_t>(len)};
  std::int32_t buffer_index = 0;
  std::int32_t offset = 0;
  std::memcpy(&buffer_index, view + 8, 4);
  std::memcpy(&offset, view + 12, 4);
  return {static_cast<const char*>(s.array->buffers[2 + buffer_index]) + offset,
          static_cast<std::size_t>(len)};
}

bool is_string_format(std::string_view f) {
  return f == "u" || f == "U" || f == "vu";
}

bool is_integer_format(std::string_view f) {
  return f.size() == 1 && std::string_view("cCsSiIlL").find(f[0]) != std::string_view::npos;
}

// Integer element i of any integer format, as int64 (uint64 above INT64_MAX: nullopt).
std::optional<std::int64_t> integer_at(const slice& s, char f, std::int64_t i) {
  switch (f) {
    case 'c':
      return s.value<std::int8_t>(i);
    case 'C':
      return s.value<std::uint8_t>(i);
    case 's':
      return s.value<std::int16_t>(i);
    case 'S':
      return s.value<std::uint16_t>(i);
    case 'i':
      return s.value<std::int32_t>(i);
    case 'I':
      return s.value<std::uint32_t>(i);
    case 'l':
      return s.value<std::int64_t>(i);
    default: {
      const auto v = s.value<std::uint64_t>(i);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return {};
      return static_cast<std::int64_t>(v);
    }
  }
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// UTC offset of Vietnam (Asia/Ho_Chi_Minh) at a UTC instant, in milliseconds, from ICU's time
// zone data (historical offsets included: +8 in parts of 1943–1975).
class vietnam_offset {
 public:
  vietnam_offset() : zone_(icu::TimeZone::createTimeZone("Asia/Ho_Chi_Minh")) {}
  std::int64_t at(std::int64_t utc_ms) {
    // Offsets are constant over long periods: cache the last answer for its hour.
    const auto hour = floor_div(utc_ms, 3'600'000);
    if (hour == cached_hour_) return cached_;
    UErrorCode status = U_ZERO_ERROR;
    std::int32_t raw = 0;
    std::int32_t dst = 0;
    zone_->getOffset(static_cast<UDate>(utc_ms), false, raw, dst, status);
    if (U_FAILURE(status)) throw error("ICU cannot give Vietnam's UTC offset for this instant");
    cached_hour_ = hour;
    cached_ = static_cast<std::int64_t>(raw) + dst;
    return cached_;
  }

 private:
  std::unique_ptr<icu::TimeZone> zone_;
  std::int64_t cached_hour_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t cached_ = 0;
};

// Where an imported row is: the nominee id once the id column is read, else "row N".
struct row_namer {
  const column* ids = nullptr;
  [[nodiscard]] location at(std::size_t row, const std::string& field) const {
    location loc{.field = field};
    if (ids != nullptr && ids->is_valid(row)) {
      loc.row_id = std::string(ids->text_at(row));
    } else {
      loc.row_id = "row " + std::to_string(row + 1);
    }
    return loc;
  }
};

// Maps strings to codes in first-seen order (dictionaries of several batches are unified).
struct dictionary_builder {
  std::vector<std::string> values;
  std::unordered_map<std::string, std::int32_t> index;
  std::int32_t code(std::string_view s) {
    auto [it, inserted] =
        index.try_emplace(std::string(s), static_cast<std::int32_t>(values.size()));
    if (inserted) values.emplace_back(s);
    return it->second;
  }
};

std::string unsupported_message(std::string_view f) {
  const std::string fmt = "Arrow format \"" + std::string(f) + "\"";
  if (f.starts_with("tD")) {
    return "durations (pandas Timedelta) have no pool column type (" + fmt +
           "); convert them to a number, e.g. days";
  }
  if (f.starts_with("ti")) return "intervals have no pool column type (" + fmt + ")";
  if (f.starts_with("tt")) return "times of day have no pool column type (" + fmt + ")";
  if (f.starts_with("d:")) {
    return "decimals have no pool column type (" + fmt + "); cast them to float64";
  }
  if (f == "e") return "float16 has no pool column type (" + fmt + "); cast it to float64";
  if (f == "z" || f == "Z" || f == "vz" || f.starts_with("w:")) {
    return "binary data has no pool column type (" + fmt + ")";
  }
  return "this Arrow type has no pool column type (" + fmt + ")";
}

// Strings of a dictionary array (utf8/large/view, or integers written in decimal).
std::vector<std::string> dictionary_strings(const ArrowSchema* schema, const ArrowArray* dict,
                                            const std::string& name) {
  const std::string_view f = schema->format;
  const slice s{dict, 0, dict->length};
  std::vector<std::string> out(static_cast<std::size_t>(dict->length));
  for (std::int64_t i = 0; i < dict->length; ++i) {
    if (!s.valid(i)) continue;  // a null dictionary entry: rows pointing to it are missing
    if (is_string_format(f)) {
      out[static_cast<std::size_t>(i)] = std::string(string_at(s, f, i));
    } else if (is_integer_format(f)) {
      const auto v = integer_at(s, f[0], i);
      out[static_cast<std::size_t>(i)] =
          v ? std::to_string(*v) : std::to_string(s.value<std::uint64_t>(i));
    } else {
      throw schema_error("a dictionary of " + std::string(f) +
                             " values cannot be a category (only strings or integers)",
                         location{.field = name});
    }
  }
  return out;
}

// Builds column `index` of the pool from the batches.
class column_importer {
 public:
  column_importer(const ArrowSchema* field, const std::vector<batch_ptr>& batches,
                  std::size_t index, std::size_t rows, const row_namer& names,
                  const arrow_import_options& options, bool is_id)
      : field_(field),
        batches_(batches),
        index_(index),
        rows_(rows),
        names_(names),
        options_(options),
        is_id_(is_id),
        name_(field->name != nullptr ? field->name : "") {}

  column run() {
    const std::string_view f = field_->format;
    if (field_->dictionary != nullptr) return category();
    if (f == "g" || f == "f") return number();
    if (f == "n" && is_id_) {
      // All missing (or no rows): text, so that the pool names the missing ids.
      return column::text(name_, std::vector<std::string>(rows_),
                          std::vector<std::uint8_t>(rows_, 0));
    }
    if (f == "n") return column::number(name_, buffer<double>(std::vector<double>(rows_, NAN)));
    if (is_integer_format(f)) return integer();
    if (f == "b") return boolean();
    if (f == "tdD" || f == "tdm" || f.starts_with("ts")) return date();
    if (is_string_format(f)) return text();
    if (f == "+l" || f == "+L") return list();
    throw schema_error(unsupported_message(f), location{.field = name_});
  }

 private:
  template <class F>
  void for_each_slice(F&& fn) const {
    std::size_t row = 0;
    for (const auto& b : batches_) {
      const slice s{b->children[index_], b->offset, b->length};
      fn(s, row);
      row += static_cast<std::size_t>(b->length);
    }
  }

  std::vector<std::uint8_t> validity() const {
    std::vector<std::uint8_t> valid(rows_, 1);
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i)
        valid[row + static_cast<std::size_t>(i)] = s.valid(i) ? 1 : 0;
    });
    return valid;
  }

  // The single batch's slice when its values can be shared (one batch, no copy needed).
  std::optional<slice> single() const {
    if (batches_.size() != 1) return {};
    const auto& b = batches_.front();
    return slice{b->children[index_], b->offset, b->length};
  }

  column number() {
    const bool f64 = std::string_view(field_->format) == "g";
    if (auto s = single(); f64 && s) {
      // Shared when every null slot already holds NaN (always so for pools' own exports).
      const auto* data = static_cast<const double*>(s->array->buffers[1]) + s->at(0);
      bool nan_where_null = true;
      if (s->array->null_count != 0) {
        for (std::int64_t i = 0; i < s->length && nan_where_null; ++i) {
          nan_where_null = s->valid(i) || std::isnan(data[i]);
        }
      }
      if (nan_where_null) {
        return column::number(name_, buffer<double>(data, rows_, batches_.front()));
      }
    }
    std::vector<double> values(rows_);
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i) {
        double v = NAN;
        if (s.valid(i)) v = f64 ? s.value<double>(i) : static_cast<double>(s.value<float>(i));
        values[row + static_cast<std::size_t>(i)] = v;
      }
    });
    return column::number(name_, buffer<double>(std::move(values)));
  }

  column integer() {
    const char f = field_->format[0];
    if (auto s = single(); f == 'l' && s) {
      const auto* data = static_cast<const std::int64_t*>(s->array->buffers[1]) + s->at(0);
      return column::integer(name_, buffer<std::int64_t>(data, rows_, batches_.front()),
                             validity());
    }
    std::vector<std::int64_t> values(rows_, 0);
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i) {
        if (!s.valid(i)) continue;
        const auto r = row + static_cast<std::size_t>(i);
        const auto v = integer_at(s, f, i);
        if (!v) {
          throw data_error(
              "the integer " + std::to_string(s.value<std::uint64_t>(i)) + " is beyond int64",
              names_.at(r, name_));
        }
        values[r] = *v;
      }
    });
    return column::integer(name_, buffer<std::int64_t>(std::move(values)), validity());
  }

  column boolean() {
    std::vector<std::uint8_t> values(rows_, 0);
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i)
        values[row + static_cast<std::size_t>(i)] = s.bit(i) ? 1 : 0;
    });
    return column::boolean(name_, std::move(values), validity());
  }

  column date() {
    const std::string_view f = field_->format;
    std::int64_t per_second = 0;  // date32 and date64 are handled apart
    bool zoned = false;
    if (f.starts_with("ts")) {
      per_second = f[2] == 's' ? 1 : f[2] == 'm' ? 1'000 : f[2] == 'u' ? 1'000'000 : 1'000'000'000;
      zoned = f.size() > 4;  // "tsu:" then the time zone name
    }
    std::optional<vietnam_offset> vn;
    if (zoned) vn.emplace();
    const auto valid = validity();
    std::vector<day_number> days(rows_, 0);
    // Timestamps keep their time of day (to the second, on Vietnam's wall clock for zoned
    // ones); the column has times when some present value is not at midnight.
    std::vector<std::int32_t> seconds(per_second != 0 ? rows_ : 0, 0);
    bool timed = false;
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i) {
        const auto r = row + static_cast<std::size_t>(i);
        if (valid[r] == 0) continue;
        std::int64_t day = 0;
        if (f == "tdD") {
          day = s.value<std::int32_t>(i);
        } else {
          std::int64_t v = s.value<std::int64_t>(i);
          if (f == "tdm") {
            day = floor_div(v, 86'400'000);
          } else {
            if (zoned) {
              // An instant: its date on Vietnam's wall clock at that instant.
              const auto ms =
                  per_second >= 1'000 ? floor_div(v, per_second / 1'000) : v * (1'000 / per_second);
              v += vn->at(ms) * per_second / 1'000;
            }
            day = floor_div(v, 86'400 * per_second);
            seconds[r] = static_cast<std::int32_t>((v - day * 86'400 * per_second) / per_second);
            timed = timed || seconds[r] != 0;
          }
        }
        if (day < min_supported_day || day > max_supported_day) {
          throw data_error("the date is outside the supported range 1400-01-01 to 9999-12-31",
                           names_.at(r, name_));
        }
        days[r] = static_cast<day_number>(day);
      }
    });
    if (!timed) seconds.clear();
    return column::date(name_, std::move(days), valid, std::move(seconds));
  }

  column category() {
    const std::string_view index_format = field_->format;
    if (!is_integer_format(index_format)) {
      throw schema_error("dictionary indices must be integers (Arrow format \"" +
                             std::string(index_format) + "\")",
                         location{.field = name_});
    }
    dictionary_builder dict;
    std::vector<std::int32_t> codes(rows_, -1);
    const bool ordered = (field_->flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
    for_each_slice([&](const slice& s, std::size_t row) {
      if (s.array->dictionary == nullptr) {
        throw schema_error("a dictionary-encoded column without its dictionary",
                           location{.field = name_});
      }
      const ArrowArray* d = s.array->dictionary;
      const auto strings = dictionary_strings(field_->dictionary, d, name_);
      const slice ds{d, 0, d->length};
      std::vector<std::int32_t> remap(strings.size(), -1);
      std::int32_t last = -1;
      for (std::size_t k = 0; k < strings.size(); ++k) {
        if (!ds.valid(static_cast<std::int64_t>(k))) continue;
        remap[k] = dict.code(strings[k]);
        // An ordered dictionary is the values' order: every batch must agree with it.
        if (ordered && remap[k] <= last) {
          throw data_error("the batches' ordered dictionaries put \"" + strings[k] +
                               "\" in different places; an ordered category needs one order",
                           location{.field = name_});
        }
        last = remap[k];
      }
      for (std::int64_t i = 0; i < s.length; ++i) {
        if (!s.valid(i)) continue;
        const auto r = row + static_cast<std::size_t>(i);
        const auto k = integer_at(s, index_format[0], i);
        if (!k || *k < 0 || static_cast<std::size_t>(*k) >= remap.size()) {
          throw data_error("dictionary index out of range", names_.at(r, name_));
        }
        codes[r] = remap[static_cast<std::size_t>(*k)];
      }
    });
    if (is_id_) {
      std::vector<std::string> values(rows_);
      std::vector<std::uint8_t> valid(rows_, 1);
      for (std::size_t r = 0; r < rows_; ++r) {
        if (codes[r] < 0) {
          valid[r] = 0;
        } else {
          values[r] = dict.values[static_cast<std::size_t>(codes[r])];
        }
      }
      return column::text(name_, values, std::move(valid));
    }
    return column::category(name_, std::move(codes), std::move(dict.values), ordered);
  }

  column text() {
    const std::string_view f = field_->format;
    std::string blob;
    std::vector<std::uint64_t> offsets;
    offsets.reserve(rows_ + 1);
    offsets.push_back(0);
    std::vector<std::uint8_t> valid(rows_, 1);
    for_each_slice([&](const slice& s, std::size_t row) {
      for (std::int64_t i = 0; i < s.length; ++i) {
        if (s.valid(i)) {
          blob += string_at(s, f, i);
        } else {
          valid[row + static_cast<std::size_t>(i)] = 0;
        }
        offsets.push_back(blob.size());
      }
    });
    const bool marked_text = metadata_value(field_->metadata, type_key) == "text";
    if (!is_id_ && options_.infer_categories && !marked_text) {
      // Category when few values repeat, as from_pandas and the CSV reader decide.
      std::size_t present = 0;
      for (const auto v : valid) present += v;
      const std::size_t limit = std::max<std::size_t>(16, present / 2);
      std::unordered_map<std::string_view, std::int32_t> seen;
      std::vector<std::string> dictionary;
      std::vector<std::int32_t> codes(rows_, -1);
      bool category = true;
      for (std::size_t r = 0; r < rows_ && category; ++r) {
        if (valid[r] == 0) continue;
        const std::string_view v(blob.data() + offsets[r], offsets[r + 1] - offsets[r]);
        auto [it, inserted] = seen.try_emplace(v, static_cast<std::int32_t>(dictionary.size()));
        if (inserted) {
          if (dictionary.size() >= limit) {
            category = false;
            break;
          }
          dictionary.emplace_back(v);
        }
        codes[r] = it->second;
      }
      if (category) return column::category(name_, std::move(codes), std::move(dictionary));
    }
    return column::text(name_, std::move(blob), std::move(offsets), std::move(valid));
  }

  column list() {
    const bool large = std::string_view(field_->format) == "+L";
    if (field_->n_children != 1) {
      throw schema_error("a list column must have one child", location{.field = name_});
    }
    const ArrowSchema* item = field_->children[0];
    const std::string_view item_format = item->format;
    const bool dictionary_items = item->dictionary != nullptr;
    if (!dictionary_items && !is_string_format(item_format)) {
      throw schema_error(
          "list items must be strings or dictionary-encoded strings, not Arrow "
          "format \"" +
              std::string(item_format) + "\"",
          location{.field = name_});
    }
    if (dictionary_items && !is_integer_format(item_format)) {
      throw schema_error("dictionary indices must be integers", location{.field = name_});
    }
    dictionary_builder dict;
    std::vector<std::uint32_t> offsets{0};
    offsets.reserve(rows_ + 1);
    std::vector<std::int32_t> codes;
    const auto valid = validity();
    for_each_slice([&](const slice& s, std::size_t row) {
      const ArrowArray* child = s.array->children[0];
      const slice items{child, 0, child->length};
      std::vector<std::int32_t> remap;
      if (dictionary_items) {
        const auto strings = dictionary_strings(item->dictionary, child->dictionary, name_);
        remap.resize(strings.size());
        for (std::size_t k = 0; k < strings.size(); ++k) remap[k] = dict.code(strings[k]);
      }
      for (std::int64_t i = 0; i < s.length; ++i) {
        const auto r = row + static_cast<std::size_t>(i);
        if (valid[r] != 0) {
          const auto j = s.at(i);
          std::int64_t lo = 0;
          std::int64_t hi = 0;
          if (large) {
            lo = static_cast<const std::int64_t*>(s.array->buffers[1])[j];
            hi = static_cast<const std::int64_t*>(s.array->buffers[1])[j + 1];
          } else {
            lo = static_cast<const std::int32_t*>(s.array->buffers[1])[j];
            hi = static_cast<const std::int32_t*>(s.array->buffers[1])[j + 1];
          }
          for (auto k = lo; k < hi; ++k) {
            if (!items.valid(k)) {
              throw data_error("a list holds a missing item", names_.at(r, name_));
            }
            if (dictionary_items) {
              const auto idx = integer_at(items, item_format[0], k);
              if (!idx || *idx < 0 || static_cast<std::size_t>(*idx) >= remap.size()) {
                throw data_error("dictionary index out of range", names_.at(r, name_));
              }
              codes.push_back(remap[static_cast<std::size_t>(*idx)]);
            } else {
              codes.push_back(dict.code(string_at(items, item_format, k)));
            }
          }
        }
        if (codes.size() > std::numeric_limits<std::uint32_t>::max()) {
          throw data_error("more than 2^32 list items in one column", location{.field = name_});
        }
        offsets.push_back(static_cast<std::uint32_t>(codes.size()));
      }
    });
    return column::category_list(name_, std::move(offsets), std::move(codes),
                                 std::move(dict.values), valid);
  }

  const ArrowSchema* field_;
  const std::vector<batch_ptr>& batches_;
  std::size_t index_;
  std::size_t rows_;
  const row_namer& names_;
  const arrow_import_options& options_;
  bool is_id_;
  std::string name_;
};

pool import_batches(const ArrowSchema* schema, const std::vector<batch_ptr>& batches,
                    const arrow_import_options& options) {
  if (schema == nullptr || schema->format == nullptr || std::string_view(schema->format) != "+s") {
    throw schema_error(std::string("an Arrow table must be a struct (format \"+s\"), not \"") +
                       (schema != nullptr && schema->format != nullptr ? schema->format : "") +
                       "\"");
  }
  std::size_t rows = 0;
  for (const auto& b : batches) {
    if (b->n_children != schema->n_children) {
      throw schema_error("a record batch has " + std::to_string(b->n_children) +
                         " columns where the schema has " + std::to_string(schema->n_children));
    }
    rows += static_cast<std::size_t>(b->length);
  }
  const auto n = static_cast<std::size_t>(schema->n_children);
  std::vector<std::optional<column>> built(n);
  row_namer names;
  // The id column first, so that later errors can name the nominee.
  std::size_t id_index = n;
  for (std::size_t i = 0; i < n; ++i) {
    const char* nm = schema->children[i]->name;
    if (nm != nullptr && options.id_column == nm) id_index = i;
  }
  if (id_index < n) {
    const auto* f = schema->children[id_index];
    const std::string_view fmt = f->format;
    column c = column_importer(f, batches, id_index, rows, names, options, true).run();
    if (c.type() == column_type::integer || c.type() == column_type::category ||
        c.type() == column_type::text) {
      built[id_index] = std::move(c);
      if (built[id_index]->type() == column_type::text) names.ids = &*built[id_index];
    } else {
      throw schema_error("the id column must hold strings or integers, not Arrow format \"" +
                             std::string(fmt) + "\"",
                         location{.field = options.id_column});
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (i == id_index) continue;
    built[i] = column_importer(schema->children[i], batches, i, rows, names, options, false).run();
  }
  std::vector<column> columns;
  columns.reserve(n);
  for (auto& c : built) columns.push_back(std::move(*c));
  return {std::move(columns), options.id_column};
}

}  // namespace

void export_arrow_schema(const pool& p, ArrowSchema* out) {
  init_schema(out, "+s", "", 0);
  for (const auto& c : p.columns()) export_column_schema(c, add_child(out));
}

void export_arrow_array(const pool& p, ArrowArray* out) {
  init_array(out, static_cast<std::int64_t>(p.size()), 0, {nullptr});
  for (const auto& c : p.columns()) export_column_array(c, add_child(out));
}

void export_arrow_stream(const pool& p, ArrowArrayStream* out) {
  *out = ArrowArrayStream{&stream_get_schema, &stream_get_next, &stream_last_error, &stream_release,
                          new stream_state{p, false, {}}};
}

pool import_arrow_array(const ArrowSchema* schema, ArrowArray* array,
                        const arrow_import_options& options) {
  std::vector<batch_ptr> batches;
  batches.push_back(adopt(array));
  return import_batches(schema, batches, options);
}

pool import_arrow_stream(ArrowArrayStream* stream, const arrow_import_options& options) {
  // Released on every path (the stream owns producer state).
  std::unique_ptr<ArrowArrayStream, void (*)(ArrowArrayStream*)> guard(stream,
                                                                       [](ArrowArrayStream* s) {
                                                                         if (s->release != nullptr)
                                                                           s->release(s);
                                                                       });
  auto fail = [&](int code, const char* what) {
    const char* msg = stream->get_last_error != nullptr ? stream->get_last_error(stream) : nullptr;
    throw data_error(std::string("the Arrow stream failed while ") + what + ": " +
                     (msg != nullptr ? msg : std::strerror(code)));
  };
  ArrowSchema schema{};
  if (const int rc = stream->get_schema(stream, &schema); rc != 0) fail(rc, "giving its schema");
  std::unique_ptr<ArrowSchema, void (*)(ArrowSchema*)> schema_guard(&schema, [](ArrowSchema* s) {
    if (s->release != nullptr) s->release(s);
  });
  std::vector<batch_ptr> batches;
  for (;;) {
    ArrowArray batch{};
    if (const int rc = stream->get_next(stream, &batch); rc != 0) fail(rc, "giving a batch");
    if (batch.release == nullptr) break;
    auto b = adopt(&batch);
    if (b->length > 0 || batches.empty()) batches.push_back(std::move(b));
  }
  if (batches.size() > 1 && batches.front()->length == 0) batches.erase(batches.begin());
  return import_batches(&schema, batches, options);
}

column import_arrow_column(ArrowArrayStream* stream, std::string name,
                           const arrow_import_options& options) {
  std::unique_ptr<ArrowArrayStream, void (*)(ArrowArrayStream*)> guard(stream,
                                                                       [](ArrowArrayStream* s) {
                                                                         if (s->release != nullptr)
                                                                           s->release(s);
                                                                       });
  auto fail = [&](int code, const char* what) {
    const char* msg = stream->get_last_error != nullptr ? stream->get_last_error(stream) : nullptr;
    throw data_error(std::string("the Arrow stream failed while ") + what + ": " +
                         (msg != nullptr ? msg : std::strerror(code)),
                     location{.field = name});
  };
  ArrowSchema field{};
  if (const int rc = stream->get_schema(stream, &field); rc != 0) fail(rc, "giving its schema");
  std::unique_ptr<ArrowSchema, void (*)(ArrowSchema*)> field_guard(&field, [](ArrowSchema* s) {
    if (s->release != nullptr) s->release(s);
  });
  // Each batch is the column itself: wrap it as the only child of a struct batch, so that the
  // table importer reads it (the wrapper's release releases the child).
  std::vector<batch_ptr> batches;
  std::size_t rows = 0;
  for (;;) {
    auto* child = new ArrowArray{};
    if (const int rc = stream->get_next(stream, child); rc != 0) {
      delete child;
      fail(rc, "giving a batch");
    }
    if (child->release == nullptr) {
      delete child;
      break;
    }
    rows += static_cast<std::size_t>(child->length);
    auto* children = new ArrowArray* [1] { child };
    batches.emplace_back(
        new ArrowArray{child->length, 0, 0, 0, 1, nullptr, children, nullptr, nullptr, nullptr},
        [](ArrowArray* a) {
          if (a->children[0]->release != nullptr) {
            a->children[0]->release(a->children[0]);
          }
          delete a->children[0];
          delete[] a->children;
          delete a;
        });
  }
  // Named as the caller wants: the importer reads the name from the field.
  ArrowSchema named = field;
  named.name = name.c_str();
  const row_namer names;
  return column_importer(&named, batches, 0, rows, names, options, false).run();
}

pool import_arrow_stream(ArrowArrayStream* stream, std::string_view id_column) {
  return import_arrow_stream(stream, arrow_import_options{.id_column = std::string(id_column)});
}

// ---- Result tables as pools ----

pool to_pool(const score_table& table) {
  const auto n = table.size();
  const pool& scored = table.scored_pool();
  const auto owner = table.owner();
  const auto& crit = table.criteria();
  std::vector<column> cols;
  cols.push_back(scored.id_column());
  cols.push_back(column::number("total", buffer<double>(table.total().data(), n, owner)));
  std::vector<std::int32_t> level(n);
  std::vector<std::uint8_t> unclassifiable(table.unclassifiable().begin(),
                                           table.unclassifiable().end());
  std::vector<std::string> reasons(n);
  for (std::size_t r = 0; r < n; ++r) {
    level[r] = table.level()[r];
    if (unclassifiable[r] != 0) reasons[r] = table.reason(r);
  }
  cols.push_back(column::category("level", level, crit.level_codes()));
  cols.push_back(column::category("level_name", std::move(level), crit.level_names()));
  cols.push_back(column::boolean("unclassifiable", std::move(unclassifiable)));
  cols.push_back(column::text("reason", reasons));
  cols.push_back(column::boolean("mandatory_met",
                                 {table.mandatory_met().begin(), table.mandatory_met().end()}));
  const auto subtotals = table.subtotals();
  for (std::size_t j = 0; j < crit.criterion_ids().size(); ++j) {
    cols.push_back(column::number(
        "subtotal." + crit.criterion_ids()[j],
        buffer<double>(subtotals.data() + static_cast<std::ptrdiff_t>(j * n), n, owner)));
  }
  const auto points = table.points();
  for (std::size_t k = 0; k < crit.indicator_ids().size(); ++k) {
    cols.push_back(column::number(
        "points." + crit.indicator_ids()[k],
        buffer<double>(points.data() + static_cast<std::ptrdiff_t>(k * n), n, owner)));
  }
  return {std::move(cols), scored.id_name()};
}

pool to_pool(const verdicts& v, const pool& nominees) {
  const auto n = v.rows();
  std::vector<column> cols;
  cols.push_back(nominees.id_column());
  cols.push_back(column::boolean("eligible", {v.eligible().begin(), v.eligible().end()}));
  const std::vector<std::string> statuses{"pass", "fail", "unknown", "not_applicable"};
  for (std::size_t k = 0; k < v.rule_count(); ++k) {
    const auto s = v.status_of_rule(k);
    cols.push_back(
        column::category(v.rule_ids()[k], std::vector<std::int32_t>(s.begin(), s.end()), statuses));
  }
  for (const auto& t : v.tables()) {
    if (t.numeric) {
      cols.push_back(column::number(t.output, buffer<double>(std::vector<double>(t.numbers))));
    } else {
      cols.push_back(column::category(t.output, t.codes, t.labels));
    }
  }
  // Each rule's reason where it did not pass, in rule order (as Verdicts.to_pandas joins them).
  std::vector<std::string> reasons(n);
  for (std::size_t k = 0; k < v.rule_count(); ++k) {
    const auto texts = v.reasons_of_rule(k);
    for (std::size_t r = 0; r < n; ++r) {
      if (texts[r].empty()) continue;
      if (!reasons[r].empty()) reasons[r] += "; ";
      reasons[r] += texts[r];
    }
  }
  cols.push_back(column::text("reasons", reasons));
  return {std::move(cols), nominees.id_name()};
}

pool to_pool(const std::vector<finding>& findings) {
  const auto n = findings.size();
  std::vector<std::string> ids(n);
  std::vector<std::string> subjects(n);
  std::vector<std::string> vi(n);
  std::vector<std::string> en(n);
  std::vector<std::string> files(n);
  std::vector<std::int32_t> severities(n);
  std::vector<std::int32_t> kinds(n);
  dictionary_builder kind_names;
  dictionary_builder task_names;
  std::vector<day_number> first(n, 0);
  std::vector<day_number> last(n, 0);
  std::vector<std::uint8_t> first_valid(n, 0);
  std::vector<std::uint8_t> last_valid(n, 0);
  std::vector<std::uint32_t> task_offsets{0};
  std::vector<std::int32_t> task_codes;
  std::vector<double> load(n);
  std::vector<std::int64_t> line(n, 0);
  std::vector<std::uint8_t> line_valid(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& f = findings[i];
    ids[i] = std::to_string(i + 1);
    severities[i] = static_cast<std::int32_t>(f.level);
    kinds[i] = kind_names.code(to_string(f.kind));
    if (f.first) {
      first[i] = to_day_number(*f.first);
      first_valid[i] = 1;
    }
    if (f.last) {
      last[i] = to_day_number(*f.last);
      last_valid[i] = 1;
    }
    for (const auto& t : f.tasks) task_codes.push_back(task_names.code(t));
    task_offsets.push_back(static_cast<std::uint32_t>(task_codes.size()));
    subjects[i] = f.subject;
    load[i] = f.load;
    vi[i] = f.message_vi;
    en[i] = f.message_en;
    files[i] = f.where.file;
    if (f.where.line != 0) {
      line[i] = static_cast<std::int64_t>(f.where.line);
      line_valid[i] = 1;
    }
  }
  std::vector<std::string> severity_names;
  for (const auto s : {severity::error, severity::warning, severity::info}) {
    severity_names.emplace_back(to_string(s));
  }
  std::vector<column> cols;
  cols.push_back(column::text("finding", ids));
  cols.push_back(column::category("severity", std::move(severities), std::move(severity_names)));
  cols.push_back(column::category("kind", std::move(kinds), std::move(kind_names.values)));
  cols.push_back(column::date("first", std::move(first), std::move(first_valid)));
  cols.push_back(column::date("last", std::move(last), std::move(last_valid)));
  cols.push_back(column::category_list("tasks", std::move(task_offsets), std::move(task_codes),
                                       std::move(task_names.values)));
  cols.push_back(column::text("subject", subjects));
  cols.push_back(column::number("load", buffer<double>(std::move(load))));
  cols.push_back(column::text("message_vi", vi));
  cols.push_back(column::text("message_en", en));
  cols.push_back(column::text("file", files));
  cols.push_back(
      column::integer("line", buffer<std::int64_t>(std::move(line)), std::move(line_valid)));
  return {std::move(cols), "finding"};
}

}  // namespace khuyenhoc
