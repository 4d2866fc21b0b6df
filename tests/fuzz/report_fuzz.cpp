// libFuzzer target for the selection pipeline and its report: the input is a pool CSV (ids,
// a group column, names); the run selects by totals made from the bytes, with the input's own
// text in every place a user's text reaches the report (ids, names, groups, title,
// organisation, level names). The report must be valid UTF-8, and no user text may open a tag:
// every '<' of the document starts one of the report's own elements, and no '"' or '<' of the
// input survives unescaped. The result CSV must hold one row per nominee.
#include <khuyenhoc/csv.hpp>
#include <khuyenhoc/detail/unicode.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/run.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The elements the report writes: anything else after '<' came from user text.
bool own_tag(std::string_view rest) {
  static constexpr std::string_view tags[] = {
      "!DOCTYPE", "html",   "/html", "head",   "/head",  "meta",    "title",   "/title",
      "style",    "/style", "body",  "/body",  "header", "/header", "h1",      "/h1",
      "h2",       "/h2",    "span",  "/span",  "p",      "/p",      "section", "/section",
      "table",    "/table", "thead", "/thead", "tbody",  "/tbody",  "tr",      "/tr",
      "th",       "/th",    "td",    "/td",    "dl",     "/dl",     "dt",      "/dt",
      "dd",       "/dd",    "div",   "/div",   "main",   "/main",   "footer",  "/footer"};
  for (const auto t : tags) {
    if (rest.starts_with(t) && rest.size() > t.size() &&
        (rest[t.size()] == '>' || rest[t.size()] == ' ')) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace kh = khuyenhoc;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kh::pool p;
  try {
    kh::csv_options opt;
    opt.id_column = "id";
    opt.threads = 1;
    p = kh::read_csv_text(text, opt);
  } catch (const kh::error&) {
    return 0;  // malformed pools are the CSV fuzzer's business
  }
  std::vector<double> totals(p.size());
  for (std::size_t r = 0; r < p.size(); ++r) {
    totals[r] = static_cast<double>((r * 2654435761U + size) % 17) / 4.0;  // many ties
  }
  kh::run_spec spec;
  spec.policy.seats = static_cast<std::int64_t>(size % 7);
  spec.policy.ties = static_cast<kh::tie_policy>(size % 3);
  spec.policy.order = {kh::parse_order_key("lottery")};
  std::string group, name;
  for (const auto& c : p.columns()) {
    if (c.name() == "id") continue;
    if (group.empty() && c.type() == kh::column_type::category) group = c.name();
    if (name.empty() &&
        (c.type() == kh::column_type::text || c.type() == kh::column_type::category)) {
      name = c.name();
    }
  }
  if (!group.empty()) spec.policy.per = group;
  spec.policy.mode = kh::default_quota_mode(spec.policy);
  if (size % 2 == 1) spec.policy.levels = {{.name = std::string(text.substr(0, 16)), .seats = 2}};
  const std::string user(text.substr(0, 40));
  spec.report.title = user;
  spec.report.organisation = user;
  spec.report.place = user;
  spec.report.date = user;
  spec.report.name_column = name.empty() ? "full_name" : name;
  try {
    const auto run = kh::prepared_run::prepare(spec, p);
    const auto result = run.execute(p, {.totals = totals});
    const std::string html = result.report_html();
    if (kh::detail::find_invalid_utf8(html)) std::abort();
    for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
      if (!own_tag(std::string_view(html).substr(i + 1))) std::abort();
    }
    const std::string csv = result.csv();
    if (static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) < p.size() + 1) {
      std::abort();  // a row per nominee, plus the header (quoted cells may hold more breaks)
    }
  } catch (const kh::error&) {
    return 0;  // e.g. a level name that is empty or invalid: refused, not rendered
  }
  return 0;
}
