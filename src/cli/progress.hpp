#pragma once
// Progress of the phases of a long command (reading, scoring, rules, selecting, writing), on
// stderr only: never on stdout nor in an output file.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace khuyenhoc::cli {

/// True when stderr is a terminal (progress is then on by default and rewrites one line).
bool stderr_is_terminal();

/// Reports phases on stderr. Disabled: prints nothing. Live (a terminal): one line per phase,
/// rewritten in place with the percent and the elapsed time, at most every 0.1 s. Not live (a
/// log file, a pipe): one line per 10% step and one when the phase ends.
class phase_progress {
 public:
  /// `enabled`: report at all; `live`: rewrite the line in place (stderr is a terminal).
  phase_progress(bool enabled, bool live);

  /// Whether anything is reported.
  [[nodiscard]] bool enabled() const { return enabled_; }

  /// Starts a phase, e.g. "reading pool.csv" (ends the previous one if it was not ended).
  void begin(std::string what);

  /// Progress in the current phase: `done` of `total` units (shown as a percent).
  void update(std::size_t done, std::size_t total);

  /// Ends the current phase with a note such as "200000 rows" and the phase's elapsed time.
  void end(const std::string& note);

  /// Ends the last phase and prints the total elapsed time.
  void finish();

  /// A callback for csv_options::progress (bytes done, bytes total) that calls update.
  std::function<void(std::size_t, std::size_t)> callback();

 private:
  using clock = std::chrono::steady_clock;
  void print(const std::string& line, bool final_line);

  bool enabled_ = false;
  bool live_ = false;
  bool open_ = false;
  std::string what_{};
  clock::time_point start_{};
  clock::time_point phase_start_{};
  clock::time_point last_print_{};
  int last_step_ = -1;
  std::size_t last_width_ = 0;
};

}  // namespace khuyenhoc::cli
