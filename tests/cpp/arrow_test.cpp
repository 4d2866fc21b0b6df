#include "khuyenhoc/arrow.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace khuyenhoc;

namespace {

const double missing_value = std::numeric_limits<double>::quiet_NaN();

pool every_type() {
  std::vector<column> cols;
  cols.push_back(column::text("id", {"A", "B", "C", "D"}));
  cols.push_back(
      column::number("điểm", buffer<double>(std::vector<double>{9.0, missing_value, 7.5, -1})));
  cols.push_back(column::integer(
      "grade", buffer<std::int64_t>(std::vector<std::int64_t>{12, 11, 0, -3}), {1, 1, 0, 1}));
  cols.push_back(column::category("district", {0, 1, -1, 1}, {"Hồng Bàng", "Lê Chân"}));
  cols.push_back(column::category_list("prizes", {0, 2, 2, 3, 3}, {0, 1, 0}, {"Quốc gia", "Tỉnh"},
                                       {1, 1, 1, 0}));
  cols.push_back(column::boolean("orphan", {0, 1, 0, 1}, {1, 1, 1, 0}));
  cols.push_back(column::date("dob", {0, 365, 0, -208188}, {1, 1, 0, 1}));
  cols.push_back(column::text("note", {"xin chào", "", "", "ghi chú"}, {1, 1, 0, 1}));
  return pool(std::move(cols), "id");
}

void expect_same(const pool& a, const pool& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.column_names(), b.column_names());
  EXPECT_EQ(a.id_name(), b.id_name());
  for (const auto& ca : a.columns()) {
    const auto& cb = b[ca.name()];
    EXPECT_EQ(ca.type(), cb.type()) << ca.name();
    for (std::size_t r = 0; r < a.size(); ++r) {
      EXPECT_EQ(ca.is_valid(r), cb.is_valid(r)) << ca.name() << " row " << r;
      EXPECT_EQ(ca.format(r), cb.format(r)) << ca.name() << " row " << r;
    }
  }
}

pool round_trip(const pool& p, arrow_import_options options = {}) {
  ArrowArrayStream stream{};
  export_arrow_stream(p, &stream);
  return import_arrow_stream(&stream, options);
}

// A hand-made producer: owns its buffers; release marks itself released.
struct test_array {
  std::vector<std::vector<std::uint8_t>> storage;
  std::vector<const void*> buffers;
  std::vector<ArrowArray*> children;
  int* released = nullptr;

  template <class T>
  const void* add(const std::vector<T>& v) {
    storage.emplace_back(v.size() * sizeof(T) + 8);
    std::memcpy(storage.back().data(), v.data(), v.size() * sizeof(T));
    return storage.back().data();
  }
};

void release_test_array(ArrowArray* a) {
  auto* t = static_cast<test_array*>(a->private_data);
  for (auto* c : t->children) {
    if (c->release != nullptr) c->release(c);
    delete c;
  }
  if (t->released != nullptr) ++*t->released;
  delete t;
  a->release = nullptr;
}

ArrowArray* make_array(std::int64_t length, std::int64_t nulls, test_array* t) {
  auto* a = new ArrowArray{length,
                           nulls,
                           0,
                           static_cast<std::int64_t>(t->buffers.size()),
                           static_cast<std::int64_t>(t->children.size()),
                           t->buffers.data(),
                           t->children.empty() ? nullptr : t->children.data(),
                           nullptr,
                           &release_test_array,
                           t};
  return a;
}

struct test_schema {
  std::vector<std::string> strings;
  std::vector<ArrowSchema*> children;
};

void release_test_schema(ArrowSchema* s) {
  auto* t = static_cast<test_schema*>(s->private_data);
  for (auto* c : t->children) {
    if (c->release != nullptr) c->release(c);
    delete c;
  }
  delete t;
  s->release = nullptr;
}

ArrowSchema* make_schema(const char* format, const char* name) {
  auto* t = new test_schema{{format, name}, {}};
  return new ArrowSchema{t->strings[0].c_str(),
                         t->strings[1].c_str(),
                         nullptr,
                         2,
                         0,
                         nullptr,
                         nullptr,
                         &release_test_schema,
                         t};
}

// A two-column batch: id (utf8) and one int64/timestamp-like column of 64-bit values.
struct two_columns {
  ArrowSchema schema{};
  ArrowArray array{};
};

two_columns make_batch(const char* format, const std::vector<std::int64_t>& values,
                       int* released = nullptr) {
  std::vector<std::int32_t> offsets{0};
  std::string blob;
  for (std::size_t i = 0; i < values.size(); ++i) {
    blob += "N" + std::to_string(i);
    offsets.push_back(static_cast<std::int32_t>(blob.size()));
  }
  auto* ids = new test_array;
  ids->buffers = {nullptr, ids->add(offsets),
                  ids->add(std::vector<char>(blob.begin(), blob.end()))};
  auto* vals = new test_array;
  vals->buffers = {nullptr, vals->add(values)};
  auto* top = new test_array;
  top->buffers = {nullptr};
  top->released = released;
  const auto n = static_cast<std::int64_t>(values.size());
  top->children = {make_array(n, 0, ids), make_array(n, 0, vals)};
  two_columns out;
  ArrowArray* made = make_array(n, 0, top);
  out.array = *made;  // the struct is moved onto the stack; its heap copy is freed
  delete made;
  auto* s = new test_schema{{"+s", ""}, {make_schema("u", "id"), make_schema(format, "when")}};
  out.schema = ArrowSchema{s->strings[0].c_str(),
                           s->strings[1].c_str(),
                           nullptr,
                           0,
                           2,
                           s->children.data(),
                           nullptr,
                           &release_test_schema,
                           s};
  return out;
}

}  // namespace

TEST(arrow, schema_formats) {
  ArrowSchema s{};
  export_arrow_schema(every_type(), &s);
  ASSERT_EQ(s.n_children, 8);
  EXPECT_STREQ(s.format, "+s");
  const char* want[] = {"U", "g", "l", "i", "+l", "b", "tdD", "U"};
  for (int i = 0; i < 8; ++i) EXPECT_STREQ(s.children[i]->format, want[i]) << i;
  EXPECT_STREQ(s.children[1]->name, "điểm");
  ASSERT_NE(s.children[3]->dictionary, nullptr);
  EXPECT_STREQ(s.children[3]->dictionary->format, "u");
  ASSERT_EQ(s.children[4]->n_children, 1);
  EXPECT_STREQ(s.children[4]->children[0]->format, "i");
  ASSERT_NE(s.children[4]->children[0]->dictionary, nullptr);
  s.release(&s);
  EXPECT_EQ(s.release, nullptr);
}

TEST(arrow, round_trip_every_type) {
  const auto p = every_type();
  const auto q = round_trip(p);
  expect_same(p, q);
  EXPECT_EQ(q["district"].dictionary(), p["district"].dictionary());
  EXPECT_EQ(q["prizes"].dictionary(), p["prizes"].dictionary());
  EXPECT_FALSE(q["prizes"].is_valid(3));
  EXPECT_TRUE(q["prizes"].is_valid(1));  // an empty list is not a missing one
  EXPECT_EQ(q["prizes"].list_at(1).size(), 0U);
  EXPECT_EQ(q["dob"].dates()[3], -208188);
  EXPECT_EQ(q["note"].text_at(0), "xin chào");
}

TEST(arrow, exported_buffers_are_shared_and_outlive_the_pool) {
  ArrowArray a{};
  const double* numbers = nullptr;
  const std::int32_t* codes = nullptr;
  {
    const auto p = every_type();
    numbers = p["điểm"].numbers().data();
    codes = p["district"].codes().data();
    export_arrow_array(p, &a);
  }  // the pool is gone; the array keeps its storage
  ASSERT_EQ(a.n_children, 8);
  EXPECT_EQ(a.length, 4);
  const ArrowArray* num = a.children[1];
  EXPECT_EQ(num->buffers[1], numbers);
  EXPECT_EQ(num->null_count, 1);
  EXPECT_EQ(static_cast<const std::uint8_t*>(num->buffers[0])[0], 0b1101);
  EXPECT_EQ(static_cast<const double*>(num->buffers[1])[2], 7.5);
  EXPECT_EQ(a.children[3]->buffers[1], codes);
  const ArrowArray* orphan = a.children[5];
  EXPECT_EQ(static_cast<const std::uint8_t*>(orphan->buffers[1])[0] & 0b0111, 0b0010);
  const ArrowArray* dict = a.children[3]->dictionary;
  ASSERT_NE(dict, nullptr);
  EXPECT_EQ(dict->length, 2);
  const auto* off = static_cast<const std::int32_t*>(dict->buffers[1]);
  EXPECT_EQ(std::string(static_cast<const char*>(dict->buffers[2]) + off[1],
                        static_cast<std::size_t>(off[2] - off[1])),
            "Lê Chân");
  a.release(&a);
  EXPECT_EQ(a.release, nullptr);
}

TEST(arrow, stream_gives_one_batch_then_ends) {
  ArrowArrayStream s{};
  export_arrow_stream(every_type(), &s);
  ArrowArray a{};
  ASSERT_EQ(s.get_next(&s, &a), 0);
  ASSERT_NE(a.release, nullptr);
  a.release(&a);
  ASSERT_EQ(s.get_next(&s, &a), 0);
  EXPECT_EQ(a.release, nullptr);
  EXPECT_EQ(s.get_last_error(&s), nullptr);
  s.release(&s);
  EXPECT_EQ(s.release, nullptr);
}

TEST(arrow, empty_pool_round_trips) {
  std::vector<column> cols;
  cols.push_back(column::text("id", std::vector<std::string>{}));
  cols.push_back(column::number("x", buffer<double>(std::vector<double>{})));
  cols.push_back(column::category("c", {}, {}));
  const pool p(std::move(cols), "id");
  const auto q = round_trip(p);
  EXPECT_EQ(q.size(), 0U);
  EXPECT_EQ(q["x"].type(), column_type::number);
  EXPECT_EQ(q["c"].type(), column_type::category);
}

TEST(arrow, imported_single_batch_numbers_are_shared) {
  std::vector<column> cols;
  cols.push_back(column::text("id", {"A", "B"}));
  cols.push_back(column::number("x", buffer<double>(std::vector<double>{1.5, 2.5})));
  const pool p(std::move(cols), "id");
  const auto q = round_trip(p);
  // The imported column borrows the exported buffer, which is the original pool's.
  EXPECT_EQ(q["x"].numbers().data(), p["x"].numbers().data());
  // With missing values too (their slots hold NaN), and the pool's integers.
  const auto e = every_type();
  const auto f = round_trip(e);
  EXPECT_EQ(f["điểm"].numbers().data(), e["điểm"].numbers().data());
  EXPECT_EQ(f["grade"].integers().data(), e["grade"].integers().data());
  EXPECT_FALSE(f["điểm"].is_valid(1));
}

TEST(arrow, text_becomes_category_when_values_repeat_unless_asked_not_to) {
  std::vector<std::string> ids;
  std::vector<std::string> notes;
  for (int i = 0; i < 40; ++i) {
    ids.push_back("N" + std::to_string(i));
    notes.push_back(i % 2 == 0 ? "Giỏi" : "Khá");
  }
  std::vector<column> cols;
  cols.push_back(column::text("id", ids));
  cols.push_back(column::text("conduct", notes));
  const pool p(std::move(cols), "id");
  // A pool's text column is marked in the field metadata and stays text.
  EXPECT_EQ(round_trip(p)["conduct"].type(), column_type::text);
  // Plain strings from elsewhere (no marker) become a category when values repeat.
  auto import_plain = [&p](arrow_import_options options) {
    ArrowSchema s{};
    ArrowArray a{};
    export_arrow_schema(p, &s);
    export_arrow_array(p, &a);
    s.children[1]->metadata = nullptr;
    s.children[0]->metadata = nullptr;
    auto out = import_arrow_array(&s, &a, options);
    s.release(&s);
    return out;
  };
  const auto q = import_plain({});
  EXPECT_EQ(q["conduct"].type(), column_type::category);
  EXPECT_EQ(q["conduct"].category_at(3), "Khá");
  EXPECT_EQ(q["id"].type(), column_type::text);
  const auto r = import_plain({.id_column = "id", .infer_categories = false});
  EXPECT_EQ(r["conduct"].type(), column_type::text);
}

TEST(arrow, zoned_timestamps_become_the_vietnam_date) {
  // 2024-09-30T23:00:00Z is 2024-10-01 06:00 in Hà Nội (+7): a deadline of 30/09 is missed.
  // 2024-10-01T16:59:59Z is still 1 October there, 17:00:00Z is 2 October.
  const std::int64_t t = 1'727'737'200;  // 2024-09-30T23:00:00Z
  auto b = make_batch("tss:UTC", {t, t + 18 * 3600 - 1, t + 18 * 3600, -1});
  const auto p = import_arrow_array(&b.schema, &b.array);
  b.schema.release(&b.schema);
  const auto& d = p["when"];
  ASSERT_EQ(d.type(), column_type::date);
  // The times of day are kept, on Vietnam's wall clock (to the second).
  ASSERT_TRUE(d.has_times());
  EXPECT_EQ(d.format(0), "2024-10-01 06:00");
  EXPECT_EQ(d.format(1), "2024-10-01 23:59:59");
  EXPECT_EQ(d.format(2), "2024-10-02 00:00");
  // 1969-12-31T23:59:59Z is 07:59:59 on 1 Jan there (+8)
  EXPECT_EQ(d.format(3), "1970-01-01 07:59:59");
  EXPECT_EQ(d.dates()[0], 19'997);  // 2024-10-01: rules comparing with dates see the date
}

TEST(arrow, zoned_timestamps_use_historical_offsets) {
  // Sài Gòn kept +8 from 1959 to 13 June 1975: 1970-06-01T16:30Z is already 2 June there.
  const std::int64_t t = (151LL * 86'400 + 16 * 3'600 + 1'800) * 1'000'000;  // microseconds
  auto b = make_batch("tsu:Asia/Ho_Chi_Minh", {t});
  const auto p = import_arrow_array(&b.schema, &b.array);
  b.schema.release(&b.schema);
  EXPECT_EQ(p["when"].format(0), "1970-06-02 00:30");
}

TEST(arrow, naive_timestamps_keep_their_wall_clock_date) {
  const std::int64_t t = 1'727'737'200LL * 1'000'000'000;  // 2024-09-30 23:00, no zone
  auto b = make_batch("tsn:", {t, -1});
  const auto p = import_arrow_array(&b.schema, &b.array);
  b.schema.release(&b.schema);
  EXPECT_EQ(p["when"].format(0), "2024-09-30 23:00");
  EXPECT_EQ(p["when"].format(1), "1969-12-31 23:59:59");  // to the second, rounded down
}

TEST(arrow, dates_out_of_range_are_located_errors) {
  auto b = make_batch("tdm", {0, 253'402'300'800'000LL});  // 10000-01-01
  try {
    (void)import_arrow_array(&b.schema, &b.array);
    FAIL() << "no error";
  } catch (const data_error& e) {
    EXPECT_EQ(e.where().row_id, "N1");
    EXPECT_EQ(e.where().field, "when");
  }
  b.schema.release(&b.schema);
}

TEST(arrow, durations_are_refused_naming_the_column) {
  int released = 0;
  auto b = make_batch("tDu", {1, 2}, &released);
  try {
    (void)import_arrow_array(&b.schema, &b.array);
    FAIL() << "no error";
  } catch (const schema_error& e) {
    EXPECT_EQ(e.where().field, "when");
    EXPECT_NE(std::string(e.what()).find("Timedelta"), std::string::npos);
  }
  EXPECT_EQ(released, 1);  // ownership was taken: released even on error
  b.schema.release(&b.schema);
}

TEST(arrow, unsigned_integers_beyond_int64_are_errors) {
  auto b = make_batch("L", {5, -1});  // the second is 2^64-1 as uint64
  EXPECT_THROW((void)import_arrow_array(&b.schema, &b.array), data_error);
  b.schema.release(&b.schema);
  auto c = make_batch("L", {5, 7});
  const auto p = import_arrow_array(&c.schema, &c.array);
  c.schema.release(&c.schema);
  EXPECT_EQ(p["when"].integers()[1], 7);
}

TEST(arrow, missing_id_column_is_a_schema_error) {
  auto b = make_batch("l", {1});
  EXPECT_THROW((void)import_arrow_array(&b.schema, &b.array, {.id_column = "mã"}), schema_error);
  b.schema.release(&b.schema);
}

namespace {

// A stream of two batches whose category dictionaries differ (as Arrow allows).
struct two_batch_stream {
  pool first;
  pool second;
  int next = 0;
};

}  // namespace

TEST(arrow, batches_are_concatenated_and_dictionaries_unified) {
  std::vector<column> a;
  a.push_back(column::text("id", {"A", "B"}));
  a.push_back(column::category("d", {0, 1}, {"x", "y"}));
  a.push_back(column::number("v", buffer<double>(std::vector<double>{1, missing_value})));
  std::vector<column> b;
  b.push_back(column::text("id", {"C"}));
  b.push_back(column::category("d", {1}, {"z", "x"}));
  b.push_back(column::number("v", buffer<double>(std::vector<double>{3})));
  auto* state = new two_batch_stream{pool(std::move(a), "id"), pool(std::move(b), "id")};
  ArrowArrayStream s{};
  s.get_schema = [](ArrowArrayStream* self, ArrowSchema* out) {
    export_arrow_schema(static_cast<two_batch_stream*>(self->private_data)->first, out);
    return 0;
  };
  s.get_next = [](ArrowArrayStream* self, ArrowArray* out) {
    auto* st = static_cast<two_batch_stream*>(self->private_data);
    if (st->next == 0) export_arrow_array(st->first, out);
    if (st->next == 1) export_arrow_array(st->second, out);
    if (st->next >= 2) out->release = nullptr;
    ++st->next;
    return 0;
  };
  s.get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
  s.release = [](ArrowArrayStream* self) {
    delete static_cast<two_batch_stream*>(self->private_data);
    self->release = nullptr;
  };
  s.private_data = state;
  const auto p = import_arrow_stream(&s, "id");
  EXPECT_EQ(s.release, nullptr);
  ASSERT_EQ(p.size(), 3U);
  EXPECT_EQ(p["d"].category_at(0), "x");
  EXPECT_EQ(p["d"].category_at(1), "y");
  EXPECT_EQ(p["d"].category_at(2), "x");
  EXPECT_EQ(p["d"].dictionary().size(), 3U);  // x, y, z
  EXPECT_FALSE(p["v"].is_valid(1));
  EXPECT_EQ(p["v"].numbers()[2], 3.0);
  EXPECT_EQ(p.id(2), "C");
}

TEST(arrow, stream_errors_carry_the_producers_message) {
  ArrowArrayStream s{};
  s.get_schema = [](ArrowArrayStream*, ArrowSchema*) { return 5; };
  s.get_next = [](ArrowArrayStream*, ArrowArray*) { return 5; };
  s.get_last_error = [](ArrowArrayStream*) -> const char* { return "disk on fire"; };
  s.release = [](ArrowArrayStream* self) { self->release = nullptr; };
  try {
    (void)import_arrow_stream(&s, "id");
    FAIL() << "no error";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos);
  }
  EXPECT_EQ(s.release, nullptr);
}

namespace {

// A stream of one column: the pool's exported column `index`, in one batch.
struct column_stream_state {
  pool p;
  std::size_t index;
  bool done = false;
};

}  // namespace

TEST(arrow, one_column_is_imported_from_its_own_stream) {
  auto* state = new column_stream_state{every_type(), 4};  // prizes: a list column
  ArrowArrayStream s{};
  s.get_schema = [](ArrowArrayStream* self, ArrowSchema* out) {
    auto* st = static_cast<column_stream_state*>(self->private_data);
    ArrowSchema table{};
    export_arrow_schema(st->p, &table);
    *out = *table.children[st->index];  // move the child out; the parent no longer releases it
    table.children[st->index]->release = nullptr;
    table.release(&table);
    return 0;
  };
  s.get_next = [](ArrowArrayStream* self, ArrowArray* out) {
    auto* st = static_cast<column_stream_state*>(self->private_data);
    if (st->done) {
      out->release = nullptr;
      return 0;
    }
    ArrowArray table{};
    export_arrow_array(st->p, &table);
    *out = *table.children[st->index];
    table.children[st->index]->release = nullptr;
    table.release(&table);
    st->done = true;
    return 0;
  };
  s.get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
  s.release = [](ArrowArrayStream* self) {
    delete static_cast<column_stream_state*>(self->private_data);
    self->release = nullptr;
  };
  s.private_data = state;
  const auto c = import_arrow_column(&s, "giải");
  EXPECT_EQ(s.release, nullptr);
  EXPECT_EQ(c.name(), "giải");
  ASSERT_EQ(c.type(), column_type::category_list);
  const auto p = every_type();
  for (std::size_t r = 0; r < p.size(); ++r) EXPECT_EQ(c.format(r), p["prizes"].format(r)) << r;
}

TEST(arrow, timestamps_at_midnight_stay_dates_and_datetimes_round_trip) {
  // All at midnight: a plain date column (date32 when exported).
  auto b = make_batch("tss:", {19'997LL * 86'400, 19'998LL * 86'400});
  const auto p = import_arrow_array(&b.schema, &b.array);
  b.schema.release(&b.schema);
  EXPECT_FALSE(p["when"].has_times());
  EXPECT_EQ(p["when"].format(1), "2024-10-02");
  ArrowSchema s{};
  export_arrow_schema(p, &s);
  EXPECT_STREQ(s.children[1]->format, "tdD");
  s.release(&s);

  // With times: exported as a naive timestamp in seconds, read back the same.
  auto c = make_batch("tsm:", {19'997LL * 86'400'000 + 61'000, -1, 0});
  const auto q = import_arrow_array(&c.schema, &c.array);
  c.schema.release(&c.schema);
  ASSERT_TRUE(q["when"].has_times());
  EXPECT_EQ(q["when"].format(0), "2024-10-01 00:01:01");
  export_arrow_schema(q, &s);
  EXPECT_STREQ(s.children[1]->format, "tss:");
  s.release(&s);
  ArrowArrayStream stream{};
  export_arrow_stream(q, &stream);
  const auto back = import_arrow_stream(&stream, "id");
  ASSERT_TRUE(back["when"].has_times());
  for (std::size_t r = 0; r < 3; ++r) EXPECT_EQ(back["when"].format(r), q["when"].format(r));
  EXPECT_EQ(back["when"].seconds_of_day()[1], 86'399);
}
