// The selection report (report.hpp): one self-contained HTML5 document, deterministic bytes.
#include "khuyenhoc/report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string_view>

#include "khuyenhoc/detail/format_vi.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/version.hpp"

namespace khuyenhoc {

namespace {

// Escapes text for HTML element content and quoted attribute values.
void escape_to(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  escape_to(out, text);
  return out;
}

// A score with at most 4 decimals, as Vietnamese documents write it (65,58); "—" for NaN.
std::string fmt_number(double v) {
  if (std::isnan(v)) return "—";
  return detail::format_decimal_vi(v, 4);
}

// Counts with a dot between thousands (200.000); ranks, ids and years are not counts.
template <class T>
std::string fmt_int(T v) {
  return detail::format_int_vi(static_cast<std::int64_t>(v));
}

template <class T>
std::string fmt_plain(T v) {
  return std::to_string(v);
}

// A bilingual label: Vietnamese, English underneath (smaller).
std::string label(std::string_view vi, std::string_view en) {
  return esc(vi) + "<span class=\"en\">" + esc(en) + "</span>";
}

std::string_view role_vi(std::string_view role) {
  if (role == "pool") return "Danh sách hồ sơ";
  if (role == "criteria") return "Bộ tiêu chí";
  if (role == "rules") return "Bộ điều kiện";
  return role;
}

std::string_view role_en(std::string_view role) {
  if (role == "pool") return "Pool of nominees";
  if (role == "criteria") return "Criteria set";
  if (role == "rules") return "Rule set";
  return "";
}

struct status_label {
  selection_status status;
  std::string_view vi, en;
};

constexpr std::array<status_label, 6> not_selected_labels{{
    {selection_status::ineligible, "Không đủ điều kiện (bị loại theo điều kiện)",
     "Ineligible (rejected by a rule)"},
    {selection_status::no_score, "Không xếp loại được (thiếu điểm)", "No score (unclassifiable)"},
    {selection_status::below_minimum, "Dưới điểm tối thiểu", "Below the minimum score"},
    {selection_status::outside_quota, "Ngoài chỉ tiêu (dưới điểm chuẩn)",
     "Outside the quota (below the cut-off)"},
    {selection_status::tied_out, "Bằng điểm chuẩn, loại theo quy tắc đồng điểm",
     "Tied at the cut-off, excluded by the tie policy"},
    {selection_status::capped, "Ngoài chỉ tiêu do giới hạn tỷ lệ của nhóm", "Over the group's cap"},
}};

std::string_view mode_name(quota_mode m) {
  switch (m) {
    case quota_mode::global:
      return "Xét chung toàn bộ danh sách";
    case quota_mode::fixed:
      return "Chỉ tiêu cố định cho từng nhóm";
    case quota_mode::apportion:
      return "Phân bổ chỉ tiêu theo tỷ lệ giữa các nhóm";
  }
  return "";
}

std::string_view method_name(apportion_method m) {
  switch (m) {
    case apportion_method::largest_remainder:
      return "Phần dư lớn nhất (Hamilton)";
    case apportion_method::dhondt:
      return "Số chia D'Hondt (Jefferson)";
    case apportion_method::sainte_lague:
      return "Số chia Sainte-Laguë (Webster)";
  }
  return "";
}

std::string_view ties_name(tie_policy t) {
  switch (t) {
    case tie_policy::include:
      return "Chọn tất cả hồ sơ bằng điểm chuẩn";
    case tie_policy::exclude:
      return "Loại tất cả hồ sơ bằng điểm chuẩn";
    case tie_policy::break_ties:
      return "Xét theo thứ tự ưu tiên (tiêu chí phụ)";
  }
  return "";
}

template <class M>
std::string join_map(const M& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    if (!out.empty()) out += ", ";
    out += k + "=";
    if constexpr (std::is_floating_point_v<std::decay_t<decltype(v)>>) {
      out += fmt_number(v);
    } else {
      out += std::to_string(v);
    }
  }
  return out;
}

constexpr std::string_view css = R"css(
:root { --ink: #1a1a1a; --muted: #5a5a5a; --line: #c8c8c8; --head: #eef2f7; --ok: #1b6e2d; }
* { box-sizing: border-box; }
body { font-family: "Times New Roman", "Noto Serif", "DejaVu Serif", serif; color: var(--ink);
       margin: 0 auto; max-width: 60rem; padding: 1.5rem; line-height: 1.35; font-size: 15px; }
header { text-align: center; margin-bottom: 1.2rem; }
header .org { text-transform: uppercase; font-weight: bold; letter-spacing: .02em; }
h1 { font-size: 1.6rem; margin: .4rem 0 .2rem; text-transform: uppercase; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--ink);
     padding-bottom: .15rem; }
.en { display: block; font-size: .78em; font-weight: normal; color: var(--muted);
      font-style: italic; text-transform: none; letter-spacing: 0; }
h1 .en, h2 .en { display: inline; margin-left: .5em; }
h2 .en::before { content: "/ "; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .6rem; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .25rem .4rem; vertical-align: top;
         text-align: left; }
th { background: var(--head); font-weight: bold; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.hash { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: .8rem;
          word-break: break-all; }
tr.total td { font-weight: bold; background: #f7f7f7; }
.check { color: var(--ok); font-weight: bold; }
.check.bad { color: #a40000; }
dl.params { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.params dt { font-weight: bold; }
dl.params dd { margin: 0; }
.note { color: var(--muted); font-size: .85rem; }
.signatures { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
              gap: 1rem; margin-top: 1rem; text-align: center; break-inside: avoid; }
.signatures .box { min-height: 8rem; display: flex; flex-direction: column;
                   justify-content: space-between; }
.signatures .role { font-weight: bold; }
.signatures .sign-line { border-top: 1px dotted var(--muted); padding-top: .2rem;
                         font-size: .8rem; color: var(--muted); }
.national { display: grid; grid-template-columns: 1fr 1.4fr; gap: 1rem; text-align: center;
            margin-bottom: .6rem; }
.national .issuer { text-transform: uppercase; }
.national .country { font-weight: bold; }
.national .motto-line { font-weight: bold; display: inline-block;
                        border-bottom: 1px solid var(--ink); padding-bottom: .1rem; }
.place-date { text-align: right; font-style: italic; margin: .4rem 0 1rem; }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--line);
         padding-top: .4rem; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  table { font-size: 9.5pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th { background: #e6e6e6 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .signatures, .place-date { break-inside: avoid; }
}
)css";

// An order key as the report describes it to a council.
std::string describe_key_vi(const order_key& k) {
  const bool desc = k.direction == sort_direction::descending;
  switch (k.how) {
    case order_key::kind::lottery:
      return "bốc thăm";
    case order_key::kind::vietnamese_name:
      return k.column + " (thứ tự tên" + (desc ? ", ngược" : "") + ")";
    case order_key::kind::text:
      return k.column + " (thứ tự chữ cái" + (desc ? ", ngược" : "") + ")";
    case order_key::kind::value:
      break;
  }
  return k.column + (desc ? " (giảm dần)" : " (tăng dần)");
}

// "29/11/2026" → "ngày 29 tháng 11 năm 2026"; other text as it is; empty → dotted blanks.
std::string place_date_line(const std::string& place, const std::string& date) {
  std::string out = place.empty() ? "……………" : place;
  out += ", ";
  if (date.empty()) return out + "ngày …… tháng …… năm ………";
  int d = 0, m = 0, y = 0;
  char s1 = 0, s2 = 0;
  std::size_t used = 0;
  if (std::sscanf(date.c_str(), "%d%c%d%c%d", &d, &s1, &m, &s2, &y) == 5 && s1 == '/' &&
      s2 == '/') {
    used = 1;
  }
  if (used && d >= 1 && d <= 31 && m >= 1 && m <= 12 && y > 0) {
    return out + "ngày " + (d < 10 ? "0" : "") + std::to_string(d) + " tháng " +
           (m < 10 ? "0" : "") + std::to_string(m) + " năm " + std::to_string(y);
  }
  return out + date;
}

void heading(std::string& o, std::string_view id, std::string_view vi, std::string_view en) {
  o += "<section id=\"";
  o += id;
  o += "\">\n<h2>" + esc(vi) + "<span class=\"en\">" + esc(en) + "</span></h2>\n";
}

void th(std::string& o, std::string_view vi, std::string_view en, bool num = false) {
  o += num ? "<th class=\"num\">" : "<th>";
  o += label(vi, en) + "</th>";
}

void td(std::string& o, std::string_view text, std::string_view cls = {}) {
  if (cls.empty()) {
    o += "<td>";
  } else {
    o += "<td class=\"";
    o += cls;
    o += "\">";
  }
  escape_to(o, text);
  o += "</td>";
}

void param(std::string& o, std::string_view vi, std::string_view en, std::string_view value) {
  o += "<dt>" + label(vi, en) + "</dt><dd>" + esc(value) + "</dd>\n";
}

}  // namespace

std::string to_string(const order_key& key) {
  switch (key.how) {
    case order_key::kind::lottery:
      return "lottery";
    case order_key::kind::vietnamese_name:
      return "name:" + key.column;
    case order_key::kind::text:
      return "text:" + key.column + (key.direction == sort_direction::descending ? " desc" : "");
    case order_key::kind::value:
      return key.column + (key.direction == sort_direction::descending ? " desc" : " asc");
  }
  return key.column;
}

std::string selection_report_html(const selection& s, const selection_policy& policy,
                                  const report_metadata& meta) {
  const std::size_t n = s.size();
  if (!meta.names.empty() && meta.names.size() != n) {
    throw spec_error("report: " + std::to_string(meta.names.size()) + " names for " +
                     std::to_string(n) + " rows");
  }
  if (!meta.classification.empty() && meta.classification.size() != n) {
    throw spec_error("report: " + std::to_string(meta.classification.size()) +
                     " classifications for " + std::to_string(n) + " rows");
  }
  const std::string group_label =
      !meta.group_label.empty() ? meta.group_label : (policy.per.empty() ? "" : policy.per);

  // Counts by status.
  std::array<std::uint64_t, 7> by_status{};
  for (const auto st : s.status) ++by_status[static_cast<std::size_t>(st)];
  const std::uint64_t selected = by_status[static_cast<std::size_t>(selection_status::selected)];
  std::uint64_t not_selected = 0;
  for (const auto& l : not_selected_labels) {
    not_selected += by_status[static_cast<std::size_t>(l.status)];
  }

  std::string o;
  o.reserve(16384 + selected * 220);
  o += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<meta name=\"generator\" content=\"khuyenhoc ";
  o += version_string;
  o += "\">\n<title>" + esc(meta.title) + "</title>\n<style>";
  o += css;
  o += "</style>\n</head>\n<body>\n<header>\n";
  // The national header of an administrative document: the issuing body on the left, the
  // country's name and motto on the right, then the place and date.
  o += "<div class=\"national\">\n<div class=\"issuer\">";
  if (!meta.governing_body.empty()) o += "<div>" + esc(meta.governing_body) + "</div>";
  if (!meta.organisation.empty()) o += "<div class=\"org\">" + esc(meta.organisation) + "</div>";
  o += "</div>\n<div class=\"motto\"><div class=\"country\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
       "</div><div class=\"motto-line\">Độc lập - Tự do - Hạnh phúc</div></div>\n</div>\n";
  o += "<p class=\"place-date\" id=\"place-date\">" + esc(place_date_line(meta.place, meta.date)) +
       "</p>\n";
  o += "<h1>" + esc(meta.title) + "<span class=\"en\">Selection report</span></h1>\n";
  o += "<p class=\"summary\" id=\"summary\">" + fmt_int(n) + " hồ sơ, " + fmt_int(selected) +
       " được chọn <span class=\"en\">" + fmt_int(n) + " nominees, " + fmt_int(selected) +
       " selected</span></p>\n</header>\n<main>\n";

  // 1. Inputs and their checksums.
  heading(o, "inputs", "1. Dữ liệu đầu vào", "Inputs and their SHA-256 checksums");
  if (meta.inputs.empty()) {
    o += "<p class=\"note\">Không ghi nhận tệp đầu vào. <span class=\"en\">No input files "
         "recorded.</span></p>\n";
  } else {
    o += "<table id=\"inputs-table\">\n<thead><tr>";
    th(o, "Vai trò", "Role");
    th(o, "Tệp", "File");
    th(o, "Dung lượng (byte)", "Size (bytes)", true);
    th(o, "SHA-256", "SHA-256");
    o += "</tr></thead>\n<tbody>\n";
    for (const auto& in : meta.inputs) {
      o += "<tr data-role=\"" + esc(in.role) + "\"><td>" + esc(role_vi(in.role));
      const auto en = role_en(in.role);
      if (!en.empty()) o += "<span class=\"en\">" + esc(en) + "</span>";
      o += "</td>";
      td(o, in.name);
      td(o, in.bytes == 0 ? "—" : fmt_int(in.bytes), "num");
      td(o, in.sha256.empty() ? "—" : in.sha256, "hash");
      o += "</tr>\n";
    }
    o += "</tbody>\n</table>\n";
  }
  o += "</section>\n";

  // 2. Criteria and rule sets.
  heading(o, "specs", "2. Bộ tiêu chí và điều kiện", "Criteria and rule sets");
  if (meta.specs.empty()) {
    o += "<p class=\"note\">Không ghi nhận. <span class=\"en\">None recorded.</span></p>\n";
  } else {
    o += "<table id=\"specs-table\">\n<thead><tr>";
    th(o, "Loại", "Kind");
    th(o, "Mã", "Id");
    th(o, "Tên", "Name");
    th(o, "Phiên bản", "Version");
    o += "</tr></thead>\n<tbody>\n";
    for (const auto& sp : meta.specs) {
      o += "<tr><td>" + esc(role_vi(sp.kind));
      const auto en = role_en(sp.kind);
      if (!en.empty()) o += "<span class=\"en\">" + esc(en) + "</span>";
      o += "</td>";
      td(o, sp.id.empty() ? "—" : sp.id);
      td(o, sp.name.empty() ? "—" : sp.name);
      td(o, sp.version.empty() ? "(không ghi / none)" : sp.version);
      o += "</tr>\n";
    }
    o += "</tbody>\n</table>\n";
  }
  o += "</section>\n";

  // 3. Selection parameters.
  heading(o, "parameters", "3. Tham số xét chọn", "Selection parameters");
  o += "<dl class=\"params\">\n";
  std::int64_t seats = policy.seats;
  if (!policy.levels.empty()) {
    seats = 0;
    for (const auto& l : policy.levels) seats += l.seats;
  }
  if (policy.mode == quota_mode::fixed) {
    seats = 0;
    for (const auto& [g, q] : policy.fixed) seats += q;
  }
  param(o, "Số suất", "Seats", fmt_int(seats));
  param(o, "Cách giao chỉ tiêu", "Quota mode", mode_name(policy.mode));
  param(o, "Chia theo nhóm", "Groups (per)", policy.per.empty() ? "— (một nhóm)" : policy.per);
  if (policy.mode == quota_mode::apportion) {
    param(o, "Phương pháp phân bổ", "Apportionment method", method_name(policy.method));
    param(o, "Trọng số nhóm", "Group weights",
          !policy.weights.empty()
              ? join_map(policy.weights)
              : (policy.weigh_eligible ? "số hồ sơ đủ điều kiện của nhóm" : "số hồ sơ của nhóm"));
  }
  if (policy.mode == quota_mode::fixed) {
    param(o, "Chỉ tiêu cố định", "Fixed quotas", join_map(policy.fixed));
  }
  if (policy.group_min != 0) {
    param(o, "Tối thiểu mỗi nhóm", "Minimum per group", fmt_int(policy.group_min));
  }
  if (policy.group_max) {
    param(o, "Tối đa mỗi nhóm", "Maximum per group", fmt_int(*policy.group_max));
  }
  if (policy.cap_share) {
    param(o, "Tỷ lệ tối đa được chọn của mỗi nhóm", "Cap share",
          fmt_number(*policy.cap_share * 100) + "%");
  }
  param(o, "Điểm tối thiểu", "Minimum score",
        std::isinf(policy.min_score) && policy.min_score < 0 ? "không áp dụng"
                                                             : fmt_number(policy.min_score));
  param(o, "Xử lý đồng điểm tại điểm chuẩn", "Ties at the cut-off", ties_name(policy.ties));
  {
    std::string order = "tổng điểm (giảm dần)";
    for (const auto& k : policy.order) order += "; " + describe_key_vi(k);
    order += "; mã hồ sơ";
    param(o, "Thứ tự xếp hạng", "Ranking order", order);
  }
  const bool lottery =
      std::any_of(policy.order.begin(), policy.order.end(),
                  [](const order_key& k) { return k.how == order_key::kind::lottery; });
  param(o, "Hạt giống bốc thăm", "Lottery seed",
        fmt_plain(s.lottery_seed) + (lottery ? "" : " (không dùng bốc thăm)"));
  if (!policy.levels.empty()) {
    std::string lv;
    for (const auto& l : policy.levels) {
      if (!lv.empty()) lv += ", ";
      lv += l.name + ": " + fmt_int(l.seats) + " suất";
      if (!std::isinf(l.min_score)) lv += " (≥ " + fmt_number(l.min_score) + ")";
    }
    param(o, "Các mức giải", "Award levels", lv);
  }
  o += "</dl>\n</section>\n";

  // 4. Row conservation.
  heading(o, "conservation", "4. Kiểm đếm hồ sơ", "Row conservation");
  o += "<table id=\"conservation-table\">\n<thead><tr>";
  th(o, "Nội dung", "Item");
  th(o, "Số hồ sơ", "Nominees", true);
  o += "</tr></thead>\n<tbody>\n";
  o += "<tr data-count=\"input\"><td>" + label("Tổng số hồ sơ đầu vào", "Input rows") +
       "</td><td class=\"num\">" + fmt_int(n) + "</td></tr>\n";
  o += "<tr data-count=\"selected\"><td>" + label("Được chọn", "Selected") +
       "</td><td class=\"num\">" + fmt_int(selected) + "</td></tr>\n";
  o += "<tr data-count=\"not_selected\"><td>" + label("Không được chọn", "Not selected") +
       "</td><td class=\"num\">" + fmt_int(not_selected) + "</td></tr>\n";
  for (const auto& l : not_selected_labels) {
    o += "<tr data-count=\"";
    o += to_string(l.status);
    o += "\"><td>&nbsp;&nbsp;— " + label(l.vi, l.en) + "</td><td class=\"num\">" +
         fmt_int(by_status[static_cast<std::size_t>(l.status)]) + "</td></tr>\n";
  }
  const bool balanced = selected + not_selected == n;
  o += "<tr class=\"total\"><td>" +
       label("Đối chiếu: đầu vào = được chọn + không được chọn",
             "Check: input = selected + not selected") +
       "</td><td class=\"num\"><span class=\"check" + std::string(balanced ? "" : " bad") +
       "\" id=\"conservation-check\">" + fmt_int(n) + " = " + fmt_int(selected) + " + " +
       fmt_int(not_selected) + (balanced ? " ✓" : " ✗") + "</span></td></tr>\n";
  o += "</tbody>\n</table>\n</section>\n";

  // 5. The eligibility funnel.
  heading(o, "funnel", "5. Phễu điều kiện", "Eligibility funnel: rejections per rule");
  if (meta.funnel.empty()) {
    o += "<p class=\"note\">Không áp dụng bộ điều kiện: mọi hồ sơ đủ điều kiện. <span "
         "class=\"en\">No rule set: everyone eligible.</span></p>\n";
  } else {
    o += "<p class=\"note\">Các điều kiện xét lần lượt; mỗi dòng đếm trong số hồ sơ còn lại. "
         "<span class=\"en\">Rules in order; each row counts among the nominees still in the "
         "running.</span></p>\n<table id=\"funnel-table\">\n<thead><tr>";
    th(o, "Điều kiện", "Rule");
    th(o, "Nội dung", "Description");
    th(o, "Loại", "Severity");
    th(o, "Không đạt", "Failed", true);
    th(o, "Thiếu dữ liệu", "Unknown", true);
    th(o, "Còn lại", "Remaining", true);
    o += "</tr></thead>\n<tbody>\n";
    o += "<tr><td colspan=\"5\">" + label("Hồ sơ đầu vào", "Input rows") +
         "</td><td class=\"num\">" + fmt_int(n) + "</td></tr>\n";
    for (const auto& r : meta.funnel) {
      o += "<tr data-rule=\"" + esc(r.id) + "\">";
      td(o, r.id);
      td(o, r.description);
      o += "<td>" + (r.warn_only ? label("Cảnh báo", "warn") : label("Loại", "reject")) + "</td>";
      td(o, fmt_int(r.failed), "num");
      td(o, fmt_int(r.unknown), "num");
      td(o, fmt_int(r.remaining), "num");
      o += "</tr>\n";
    }
    o += "</tbody>\n</table>\n";
  }
  o += "</section>\n";

  // 6. Seats and cut-offs per group.
  heading(o, "seats", "6. Chỉ tiêu và điểm chuẩn theo nhóm", "Seats and cut-off score per group");
  const bool named_levels = !policy.levels.empty();
  o += "<table id=\"seats-table\">\n<thead><tr>";
  if (named_levels) th(o, "Mức giải", "Level");
  th(o, "Nhóm", group_label.empty() ? std::string_view("Group") : std::string_view(group_label));
  th(o, "Số hồ sơ", "Nominees", true);
  th(o, "Đủ điều kiện", "Eligible", true);
  th(o, "Chỉ tiêu", "Seats", true);
  th(o, "Được chọn", "Selected", true);
  th(o, "Điểm chuẩn", "Cut-off", true);
  o += "</tr></thead>\n<tbody>\n";
  {
    std::string current_level;
    std::int64_t q_sum = 0, sel_sum = 0;
    bool first = true;
    auto total_row = [&](const std::string& level) {
      o += "<tr class=\"total\">";
      if (named_levels) td(o, level);
      o += "<td>" + label("Cộng", "Total") + "</td><td></td><td></td>";
      td(o, fmt_int(q_sum), "num");
      td(o, fmt_int(sel_sum), "num");
      o += "<td></td></tr>\n";
    };
    for (const auto& g : s.outcomes) {
      if (!first && g.level != current_level) {
        total_row(current_level);
        q_sum = sel_sum = 0;
      }
      first = false;
      current_level = g.level;
      q_sum += g.quota;
      sel_sum += g.selected;
      o += "<tr data-group=\"" + esc(g.group) + "\">";
      if (named_levels) td(o, g.level);
      td(o, g.group.empty() ? "(tất cả / all)" : g.group);
      td(o, fmt_int(g.nominees), "num");
      td(o, fmt_int(g.eligible), "num");
      td(o, fmt_int(g.quota), "num");
      td(o, fmt_int(g.selected), "num");
      td(o, fmt_number(g.cutoff), "num");
      o += "</tr>\n";
    }
    if (!first) total_row(current_level);
  }
  o += "</tbody>\n</table>\n</section>\n";

  // 7. The selected list, by level then rank.
  heading(o, "selected", "7. Danh sách được chọn", "Selected nominees");
  std::vector<std::size_t> rows;
  rows.reserve(selected);
  for (std::size_t r = 0; r < n; ++r) {
    if (s.selected[r]) rows.push_back(r);
  }
  // Per-row text: the selection's own vectors, or the metadata's functions.
  auto id_at = [&](std::size_t r) -> std::string_view {
    return s.ids.empty() && meta.id_of ? meta.id_of(r) : std::string_view(s.ids[r]);
  };
  auto group_at = [&](std::size_t r) -> std::string_view {
    return s.groups.empty() && meta.group_of ? meta.group_of(r) : std::string_view(s.groups[r]);
  };
  const bool has_names = !meta.names.empty() || static_cast<bool>(meta.name_of);
  const bool has_classification =
      !meta.classification.empty() || static_cast<bool>(meta.classification_of);
  auto name_at = [&](std::size_t r) -> std::string_view {
    return meta.names.empty() ? meta.name_of(r) : std::string_view(meta.names[r]);
  };
  auto classification_at = [&](std::size_t r) -> std::string_view {
    return meta.classification.empty() ? meta.classification_of(r)
                                       : std::string_view(meta.classification[r]);
  };
  std::sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
    if (s.level[a] != s.level[b]) return s.level[a] < s.level[b];
    if (s.rank[a] != s.rank[b]) return s.rank[a] < s.rank[b];
    return id_at(a) < id_at(b);
  });
  const bool has_groups = !policy.per.empty();
  o += "<table id=\"selected-table\">\n<thead><tr>";
  th(o, "STT", "No.", true);
  th(o, "Hạng", "Rank", true);
  if (has_groups) th(o, "Hạng trong nhóm", "Group rank", true);
  th(o, "Mã hồ sơ", "Id");
  if (has_names) th(o, "Họ và tên", "Name");
  if (has_groups)
    th(o, "Nhóm", group_label.empty() ? std::string_view("Group") : std::string_view(group_label));
  th(o, "Điểm", "Score", true);
  if (named_levels) th(o, "Mức giải", "Level");
  if (has_classification) th(o, "Xếp loại", "Classification");
  o += "</tr></thead>\n<tbody>\n";
  std::size_t no = 0;
  for (const auto r : rows) {
    o += "<tr>";
    td(o, fmt_plain(++no), "num");
    td(o, fmt_plain(s.rank[r]), "num");
    if (has_groups) td(o, fmt_plain(s.group_rank[r]), "num");
    td(o, id_at(r));
    if (has_names) td(o, name_at(r));
    if (has_groups) td(o, group_at(r));
    td(o, fmt_number(s.score[r]), "num");
    const auto lv = s.level[r];
    if (named_levels)
      td(o, lv >= 0 && static_cast<std::size_t>(lv) < s.levels.size()
                ? s.levels[static_cast<std::size_t>(lv)]
                : std::string("—"));
    if (has_classification) td(o, classification_at(r));
    o += "</tr>\n";
  }
  if (rows.empty()) {
    const std::size_t columns = 4 + (named_levels ? 1 : 0) + (has_groups ? 2 : 0) +
                                (has_names ? 1 : 0) + (has_classification ? 1 : 0);
    o += "<tr><td colspan=\"" + std::to_string(columns) + "\">" +
         label("Không có hồ sơ nào được chọn", "Nobody selected") + "</td></tr>\n";
  }
  o += "</tbody>\n</table>\n</section>\n";

  // 8. Signatures.
  heading(o, "signatures", "8. Xác nhận của Hội đồng", "Council signatures");
  o += "<div class=\"signatures\">\n";
  const std::vector<std::string> default_roles{"Người lập biểu", "Thư ký Hội đồng",
                                               "Chủ tịch Hội đồng"};
  const auto& roles = meta.signatures.empty() ? default_roles : meta.signatures;
  for (const auto& role : roles) {
    o += "<div class=\"box\"><div class=\"role\">" + esc(role) +
         "</div><div class=\"sign-line\">(Ký, ghi rõ họ tên / signature and full "
         "name)</div></div>\n";
  }
  o += "</div>\n</section>\n</main>\n<footer>\n";
  o += "Lập bằng khuyenhoc " + esc(version_string) +
       ". Báo cáo chỉ phụ thuộc dữ liệu đầu vào và tham số; mã SHA-256 cho phép kiểm tra lại "
       "đúng các tệp đã dùng. <span class=\"en\">Made with khuyenhoc " +
       esc(version_string) +
       ". The report depends only on its inputs and parameters; the SHA-256 checksums identify "
       "the exact files used.</span>\n";
  if (!meta.generated_at.empty()) {
    o += "<p id=\"generated-at\">" +
         label("Thời điểm lập: " + meta.generated_at, "Generated at: " + meta.generated_at) +
         "</p>\n";
  }
  o += "</footer>\n</body>\n</html>\n";
  return o;
}

void write_selection_report(const std::string& path, const selection& s,
                            const selection_policy& policy, const report_metadata& meta) {
  const std::string html = selection_report_html(s, policy, meta);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw error("cannot open the report file for writing", location{.file = path});
  f.write(html.data(), static_cast<std::streamsize>(html.size()));
  f.close();
  if (!f) throw error("cannot write the report file", location{.file = path});
}

}  // namespace khuyenhoc
