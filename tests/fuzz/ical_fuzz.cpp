// Round-trip libFuzzer target for the iCalendar writer (plan::to_ical). The input is split on
// '\x1f' into task fields (id, time, title, lead) and on '\x1e' into tasks; the plan built from
// them is written as iCalendar and read back by a minimal RFC 5545 reader here: the text must be
// valid UTF-8, every line CRLF-ended and at most 75 octets, continuation lines start with a
// space, and each SUMMARY, unfolded and unescaped, must give back its task's title.
#include <khuyenhoc/detail/unicode.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/plan.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (true) {
    const auto e = s.find(sep, b);
    out.emplace_back(s.substr(b, e == std::string_view::npos ? e : e - b));
    if (e == std::string_view::npos) return out;
    b = e + 1;
  }
}

std::string unescape(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      ++i;
      out += v[i] == 'n' || v[i] == 'N' ? '\n' : v[i];
    } else {
      out += v[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (khuyenhoc::detail::find_invalid_utf8(text)) return 0;  // readers refuse such text first
  std::vector<std::vector<std::string>> rows;
  for (const auto& task : split(text, '\x1e')) {
    auto cells = split(task, '\x1f');
    cells.resize(4);
    rows.push_back(std::move(cells));
  }
  khuyenhoc::plan p;
  try {
    p = khuyenhoc::plan::from_rows({"id", "time", "title", "lead"}, rows, 2024, "fuzz");
  } catch (const khuyenhoc::error&) {
    return 0;
  }
  const std::string ics = p.to_ical({.dtstamp = "20240101T000000Z"});
  if (khuyenhoc::detail::find_invalid_utf8(ics)) std::abort();
  // Physical lines: CRLF-ended, at most 75 octets, no other CR or LF.
  std::vector<std::string> logical;
  std::size_t b = 0;
  while (b < ics.size()) {
    const auto e = ics.find("\r\n", b);
    if (e == std::string::npos) std::abort();
    const std::string_view line(ics.data() + b, e - b);
    if (line.size() > 75 || line.find_first_of("\r\n") != std::string_view::npos) std::abort();
    if (!line.empty() && line[0] == ' ') {
      if (logical.empty()) std::abort();
      logical.back() += line.substr(1);
    } else {
      logical.emplace_back(line);
    }
    b = e + 2;
  }
  // SUMMARY values give back the titles of the tasks with dates, in order.
  std::vector<std::string> summaries;
  for (const auto& l : logical) {
    if (khuyenhoc::detail::find_invalid_utf8(l)) std::abort();  // folded inside a character
    if (l.starts_with("SUMMARY:")) summaries.push_back(unescape(std::string_view(l).substr(8)));
  }
  std::size_t k = 0;
  for (const auto& t : p.tasks()) {
    if (!t.time || !(t.time->start || t.time->end)) continue;
    if (k >= summaries.size()) std::abort();
    std::string title = t.title.empty() ? t.id : t.title;
    std::erase(title, '\r');  // iCalendar text has no bare CR; the writer drops it
    const auto& s = summaries[k++];
    if (s != title && !(s.starts_with("Hạn: ") && s.substr(std::string("Hạn: ").size()) == title))
      std::abort();
  }
  if (k != summaries.size()) std::abort();
  return 0;
}
