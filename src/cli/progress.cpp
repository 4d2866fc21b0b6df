// Phase progress of the CLI on stderr (see progress.hpp).
#include "progress.hpp"

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace khuyenhoc::cli {

namespace {

std::string seconds(std::chrono::steady_clock::duration d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << std::chrono::duration<double>(d).count() << " s";
  return s.str();
}

}  // namespace

bool stderr_is_terminal() {
#ifdef _WIN32
  return _isatty(_fileno(stderr)) != 0;
#else
  return isatty(fileno(stderr)) != 0;
#endif
}

phase_progress::phase_progress(bool enabled, bool live)
    : enabled_(enabled), live_(live), start_(clock::now()) {}

void phase_progress::begin(std::string what) {
  if (!enabled_) return;
  if (open_) end("");
  what_ = std::move(what);
  open_ = true;
  phase_start_ = last_print_ = clock::now();
  last_step_ = -1;
  if (live_) print(what_ + " ...", false);
}

void phase_progress::update(std::size_t done, std::size_t total) {
  if (!enabled_ || !open_) return;
  const int pct =
      total == 0 ? 100
                 : static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
  const auto now = clock::now();
  if (live_) {
    if (now - last_print_ < std::chrono::milliseconds(100) && done < total) return;
  } else {
    const int step = pct / 10;  // a line per 10% in logs
    if (step == last_step_ || done >= total) return;
    last_step_ = step;
  }
  last_print_ = now;
  print(what_ + ": " + std::to_string(pct) + "% (" + seconds(now - phase_start_) + ")", false);
}

void phase_progress::end(const std::string& note) {
  if (!enabled_ || !open_) return;
  open_ = false;
  print(what_ + ": " + (note.empty() ? "done" : note) + " (" +
            seconds(clock::now() - phase_start_) + ")",
        true);
}

void phase_progress::finish() {
  if (!enabled_) return;
  if (open_) end("");
  print("done in " + seconds(clock::now() - start_), true);
}

std::function<void(std::size_t, std::size_t)> phase_progress::callback() {
  return [this](std::size_t done, std::size_t total) { update(done, total); };
}

void phase_progress::print(const std::string& line, bool final_line) {
  if (live_) {
    // Rewrite the line in place; pad with spaces over a longer previous text.
    std::string text = "\r" + line;
    if (line.size() < last_width_) text += std::string(last_width_ - line.size(), ' ');
    last_width_ = final_line ? 0 : line.size();
    std::cerr << text << (final_line ? "\n" : "") << std::flush;
  } else {
    std::cerr << line << '\n' << std::flush;
  }
}

}  // namespace khuyenhoc::cli
