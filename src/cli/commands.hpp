#pragma once
// Subcommands of the khuyenhoc tool: each add_* registers one on the app and runs it through
// the library's public API (no logic lives only in the CLI).

#include <CLI/CLI.hpp>

namespace khuyenhoc::cli {

/// Exit codes: 0 success, 1 findings (checks), 2 bad input or usage.
inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_bad_input = 2;

void add_generate(CLI::App& app);
void add_summary(CLI::App& app);

}  // namespace khuyenhoc::cli
