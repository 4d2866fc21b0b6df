// libFuzzer target for the CSV pool reader. The first byte picks the options (separator auto,
// ',' or ';'; mixed columns error or text; max_field_lines 4 or none; a chunk size of 1 to 8
// bytes); the rest is the file. Any khuyenhoc::error is a correct answer, but a parse_error must
// name its line. A pool that reads must write back as CSV that reads again to the same rows and
// types, and neither the result nor the error (message and location) may depend on the thread
// count or on where the chunks are cut. Anything else (another exception, a crash, a sanitizer
// report, a hang) is a bug.
#include <khuyenhoc/csv.hpp>
#include <khuyenhoc/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  khuyenhoc::csv_options o;
  o.separator = (mode & 3U) == 1 ? ',' : (mode & 3U) == 2 ? ';' : '\0';
  o.mixed_columns = (mode & 8U) != 0 ? khuyenhoc::csv_options::mixed_policy::text
                                     : khuyenhoc::csv_options::mixed_policy::error;
  o.warning = [](const std::string&) {};
  o.max_field_lines = (mode & 16U) != 0 ? 0 : 4;
  // One thread, one chunk: the reference; three threads and tiny chunks must agree with it.
  std::string first_error;
  try {
    o.threads = 1;
    o.chunk_bytes = 0;
    (void)khuyenhoc::read_csv_text(text, o, "fuzz.csv");
  } catch (const khuyenhoc::error& e) {
    first_error = e.what();
  }
  try {
    o.threads = 3;
    o.chunk_bytes = 1 + ((mode >> 5U) & 7U);
    (void)khuyenhoc::read_csv_text(text, o, "fuzz.csv");
    if (!first_error.empty()) std::abort();
  } catch (const khuyenhoc::error& e) {
    if (first_error != e.what()) std::abort();
  }
  try {
    o.threads = 1;
    o.chunk_bytes = 0;
    const auto a = khuyenhoc::read_csv_text(text, o, "fuzz.csv");
    o.threads = 3;
    o.chunk_bytes = 1 + ((mode >> 5U) & 7U);
    const auto b = khuyenhoc::read_csv_text(text, o, "fuzz.csv");
    const auto written = khuyenhoc::write_csv_text(a);
    if (written != khuyenhoc::write_csv_text(b)) std::abort();
    // Round trip: read back with the same types, the same bytes come out.
    khuyenhoc::csv_options back;
    back.id_column = a.id_name();
    back.max_field_lines = 0;
    for (const auto& c : a.columns()) back.schema.emplace_back(c.name(), c.type());
    const auto again = khuyenhoc::read_csv_text(written, back, "written.csv");
    if (again.size() != a.size() || khuyenhoc::write_csv_text(again) != written) std::abort();
  } catch (const khuyenhoc::parse_error& e) {
    if (e.where().line == 0) std::abort();
  } catch (const khuyenhoc::error&) {
  }
  return 0;
}
