#pragma once
/// \file error.hpp
/// The one exception hierarchy of khuyenhoc. Every error carries where it happened:
/// a file, line and column for text inputs, or a row id and column name for data.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace khuyenhoc {

/// Where an error happened. Every field is optional; empty/zero means unknown.
struct location {
  std::string file{};      ///< file name, or "<string>" for in-memory text
  std::size_t line = 0;    ///< 1-based line
  std::size_t column = 0;  ///< 1-based column (in characters)
  std::string row_id{};    ///< nominee id (data errors)
  std::string field{};     ///< column or key name

  /// "file:line:column" (with what is known), then `column "field"`, then `row "id"`.
  [[nodiscard]] std::string str() const {
    std::string out;
    if (!file.empty()) out += file;
    if (line != 0) {
      if (!out.empty()) out += ':';
      out += std::to_string(line);
      if (column != 0) out += ':' + std::to_string(column);
    }
    if (!row_id.empty()) {
      if (!out.empty()) out += ": ";
      out += "row \"" + row_id + "\"";
    }
    if (!field.empty()) {
      if (!out.empty()) out += ": ";
      out += "column \"" + field + "\"";
    }
    return out;
  }
};

/// Base of every khuyenhoc exception. `what()` is "location: message".
class error : public std::runtime_error {
 public:
  explicit error(const std::string& message, location where = {})
      : std::runtime_error(compose(message, where)), message_(message), where_(std::move(where)) {}

  /// The message without the location prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// Where it happened.
  [[nodiscard]] const location& where() const noexcept { return where_; }

 private:
  static std::string compose(const std::string& message, const location& where) {
    std::string loc = where.str();
    return loc.empty() ? message : loc + ": " + message;
  }
  std::string message_;
  location where_;
};

/// Malformed text: CSV, YAML, a rule expression, a time expression.
class parse_error : public error {
 public:
  using error::error;
};

/// A name or type that does not fit the pool's schema (unknown column, wrong type).
class schema_error : public error {
 public:
  using error::error;
};

/// One problem among several reported together (see `spec_error::problems`).
struct error_info {
  std::string kind{};  ///< "parse", "schema", "spec" or "data": the exception it would be alone
  std::string message{};
  location where{};
  /// A problem of an option (kind "spec", only `where.field` known).
  [[nodiscard]] bool is_option() const noexcept {
    return kind == "spec" && where.file.empty() && where.line == 0 && where.row_id.empty() &&
           !where.field.empty();
  }
  /// "location: message", as `error::what()` would be; a problem of an option (kind "spec",
  /// only `field` known) reads "option \"seats\": message".
  [[nodiscard]] std::string str() const {
    if (is_option()) return "option \"" + where.field + "\": " + message;
    const std::string loc = where.str();
    return loc.empty() ? message : loc + ": " + message;
  }
};

/// An invalid specification: criteria set, rule set, selection policy. Preparing a run
/// collects every problem of its specification and throws them together: `what()` lists them
/// one per line, `problems()` gives each with its location.
class spec_error : public error {
 public:
  using error::error;
  explicit spec_error(std::vector<error_info> problems)
      : error(compose_all(problems), problems.size() == 1 && !problems.front().is_option()
                                         ? problems.front().where
                                         : location{}),
        problems_(std::move(problems)) {}

  /// Every problem found (one item when the error was thrown alone).
  [[nodiscard]] std::vector<error_info> problems() const {
    if (!problems_.empty()) return problems_;
    return {error_info{.kind = "spec", .message = message(), .where = where()}};
  }

 private:
  static std::string compose_all(const std::vector<error_info>& problems) {
    if (problems.size() == 1) {
      return problems.front().is_option() ? problems.front().str() : problems.front().message;
    }
    std::string out = std::to_string(problems.size()) + " problems in the specification:";
    for (const auto& p : problems) out += "\n  " + p.str();
    return out;
  }
  std::vector<error_info> problems_;
};

/// Invalid data values: duplicate or empty ids, a value of the wrong kind in a row.
class data_error : public error {
 public:
  using error::error;
};

/// A file that cannot be read or written: missing, unreadable, a full disk, an output that
/// would overwrite an input, a file larger than a reader's `max_bytes`. The location names the
/// file; `os_errno()` is the operating system's error number (0 when the refusal is ours).
class io_error : public error {
 public:
  explicit io_error(const std::string& message, location where = {}, int os_errno = 0)
      : error(message, std::move(where)), os_errno_(os_errno) {}
  /// The errno value of the failed system call (ENOENT, ENOSPC, EACCES, ...), or 0.
  [[nodiscard]] int os_errno() const noexcept { return os_errno_; }

 private:
  int os_errno_ = 0;
};

/// A resource limit of the library was reached (an input larger than `max_bytes`, a YAML
/// alias expansion past its bound). The message names the limit and the option that sets it.
class limit_error : public error {
 public:
  using error::error;
};

}  // namespace khuyenhoc
