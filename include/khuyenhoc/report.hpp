#pragma once
/// \file report.hpp
/// The selection report: one self-contained HTML5 file per selection, what a review council
/// (hội đồng xét chọn) reads and signs. It lists the inputs with their SHA-256 checksums, the
/// names and versions of the criteria and rule sets, the selection parameters, the eligibility
/// funnel (rejections per rule), seats and cut-off scores per group, counts proving that every
/// input row is accounted for (selected + not selected, by reason), the selected list, and a
/// place for signatures. It opens with the national header of an administrative document
/// (issuing body; CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc; place and
/// date), and writes numbers and dates as Vietnamese documents do (200.000; 65,58; 29/11/2026).
/// Labels are Vietnamese with English underneath; the CSS is inline, there are no scripts or
/// external assets, every value is HTML-escaped, and it prints on A4.
///
/// The output is a function of its arguments only: the same selection and metadata give the
/// same bytes. Nothing is read from the clock; a generation time appears only when the caller
/// puts one in `report_metadata::generated_at`. Checksums are computed by the caller (the CLI
/// uses OpenSSL, Python uses hashlib), so the library itself needs no crypto.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/selection.hpp"

namespace khuyenhoc {

/// One input file of the selection.
struct report_input {
  std::string role{};       ///< "pool", "criteria", "rules" (translated) or any other label
  std::string name{};       ///< the file as the caller names it (path or file name)
  std::string sha256{};     ///< hex SHA-256 of the file's bytes ("" if not known)
  std::uint64_t bytes = 0;  ///< size in bytes (0: not shown)
};

/// A criteria set or rule set the selection used, with the metadata of its YAML file.
struct report_spec {
  std::string kind{};     ///< "criteria" or "rules" (translated) or any other label
  std::string id{};       ///< the set's id ("" if it has none)
  std::string name{};     ///< the set's display name
  std::string version{};  ///< the set's `version` key ("" if it has none)
};

/// One rule of the eligibility funnel, in the rule set's order.
struct report_rule {
  std::string id{};
  std::string description{};
  bool warn_only = false;     ///< severity `warn`: reported, removes no one
  std::uint64_t failed = 0;   ///< of those remaining before this rule, how many fail it
  std::uint64_t unknown = 0;  ///< of those remaining before, how many are undecidable
  std::uint64_t remaining = 0;
};

/// The document's own text: the header, the place/date line, the signatures. The same fields
/// are the pipeline's `report_options` (run.hpp), so both doors and the renderer use one list.
struct report_header {
  /// Heading and <title>, e.g. "Danh sách học sinh được đề nghị biểu dương năm 2024".
  std::string title = "Báo cáo kết quả xét chọn";
  /// The governing body, first line of the header's left block (e.g. "UBND THÀNH PHỐ HẢI PHÒNG").
  std::string governing_body{};
  /// The issuing body (e.g. "SỞ GIÁO DỤC VÀ ĐÀO TẠO"), under the governing body.
  std::string organisation{};
  /// Place of the place/date line under the national header; empty: a dotted blank.
  std::string place{};
  /// Signing date "dd/mm/yyyy" (shown "ngày 29 tháng 11 năm 2026") or any text; empty: blanks.
  std::string date{};
  /// Signature boxes (roles); empty: "Người lập biểu", "Thư ký Hội đồng", "Chủ tịch Hội đồng".
  std::vector<std::string> signatures{};
  /// Shown only when not empty (keep empty for byte-identical reports of the same inputs).
  std::string generated_at{};
};

/// What the report says besides the selection itself. Every field is optional.
struct report_metadata : report_header {
  std::vector<report_input> inputs{};
  std::vector<report_spec> specs{};
  std::vector<report_rule> funnel{};  ///< empty: no rule set (everyone eligible)
  /// Display name per input row (parallel to `selection::ids`); empty: the column is left out.
  std::vector<std::string> names{};
  /// Classification (xếp loại) per input row, e.g. the criteria level name; empty: left out.
  std::vector<std::string> classification{};
  /// Header of the group column (e.g. "district"); empty: the policy's group column.
  std::string group_label{};
  /// Row → text, used instead of the per-row vectors when those are empty: the id and group
  /// (when `selection::ids` is empty, as in a run's selection, which keeps no per-row copies),
  /// the display name and the classification (instead of `names` / `classification`, which
  /// are asked only for selected rows).
  std::function<std::string_view(std::size_t)> id_of{}, group_of{}, name_of{}, classification_of{};
};

/// Renders the report of `s` (selected by `policy`) as one HTML5 document (UTF-8).
/// \throws spec_error when `names` or `classification` is not empty and its length differs from
/// the number of rows of `s`.
[[nodiscard]] std::string selection_report_html(const selection& s, const selection_policy& policy,
                                                const report_metadata& meta);

/// Writes `selection_report_html` to `path`. \throws error if the file cannot be written.
void write_selection_report(const std::string& path, const selection& s,
                            const selection_policy& policy, const report_metadata& meta);

/// Text form of an order key as `parse_order_key` reads it ("gpa desc", "name:full_name", ...).
[[nodiscard]] std::string to_string(const order_key& key);

}  // namespace khuyenhoc
