#pragma once
// Subcommands of the khuyenhoc tool: each add_* registers one on the app and runs it through
// the library's public API (no logic lives only in the CLI).

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/report.hpp"

namespace khuyenhoc::cli {

/// Exit codes (docs/cli.md, docs/reliability.md): 0 success, 1 findings (checks), 2 bad input
/// or usage, 3 internal error, 4 a file could not be read or written (missing input, full disk,
/// unwritable directory, an output equal to an input; previous outputs are left intact),
/// 5 out of memory. A signal (Ctrl-C) ends the process as killed by it (shell status 130).
inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_bad_input = 2;
inline constexpr int exit_internal = 3;
inline constexpr int exit_io = 4;
inline constexpr int exit_out_of_memory = 5;

/// A progress callback that prints "what: NN%" on one stderr line.
std::function<void(std::size_t, std::size_t)> progress_printer(std::string what);

/// "-" as an input file: standard input. Otherwise the file must exist.
CLI::Validator existing_file_or_stdin();

/// Reads a pool from `path`, or from standard input when `path` is "-" (located as "<stdin>").
pool read_pool_arg(const std::string& path, const csv_options& options);

/// Writes `bytes` to standard output and flushes it. \throws io_error if it cannot be written
/// (a closed pipe, a full disk).
void write_stdout(std::string_view bytes, const std::string& what);

void add_generate(CLI::App& app);
void add_summary(CLI::App& app);
void add_select(CLI::App& app);
void add_plan(CLI::App& app);

}  // namespace khuyenhoc::cli
