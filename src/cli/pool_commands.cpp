// `khuyenhoc generate` and `khuyenhoc summary`.
#include <cerrno>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/generate.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/summary.hpp"

namespace khuyenhoc::cli {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b <= s.size()) {
    auto e = s.find(',', b);
    if (e == std::string::npos) e = s.size();
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

}  // namespace

CLI::Validator existing_file_or_stdin() {
  return CLI::Validator(
      [](const std::string& path) { return path == "-" ? std::string() : CLI::ExistingFile(path); },
      "FILE or - (stdin)", "existing file or -");
}

pool read_pool_arg(const std::string& path, const csv_options& options) {
  if (path != "-") return read_csv(path, options);
  std::ostringstream text;
  text << std::cin.rdbuf();
  if (std::cin.bad()) throw io_error("cannot read standard input", location{.file = "<stdin>"});
  return read_csv_text(text.str(), options, "<stdin>");
}

void write_stdout(std::string_view bytes, const std::string& what) {
  std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::cout.flush();
  if (!std::cout) {
    throw io_error("cannot write " + what + " to standard output", location{.file = "<stdout>"},
                   errno);
  }
}

std::function<void(std::size_t, std::size_t)> progress_printer(std::string what) {
  return [what = std::move(what), last = -1](std::size_t done, std::size_t total) mutable {
    const int pct =
        total == 0
            ? 100
            : static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    if (pct == last) return;  // the reader reports every MB: print only a new percent
    last = pct;
    std::cerr << "\r" << what << ": " << pct << "%" << (done >= total ? "\n" : "") << std::flush;
  };
}

void add_generate(CLI::App& app) {
  struct args_t {
    std::size_t size = 200000;
    std::uint64_t seed = 0;
    int districts = 0;
    std::string out;
  };
  auto args = std::make_shared<args_t>();
  auto* cmd = app.add_subcommand("generate",
                                 "Generate a synthetic province-wide pool of nominees "
                                 "(deterministic by seed) as CSV");
  cmd->add_option("--size,-n", args->size, "Number of nominees")->capture_default_str();
  cmd->add_option("--seed,-s", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--districts", args->districts, "Number of districts (0: 14-30 from the seed)")
      ->check(CLI::Range(0, 30))
      ->capture_default_str();
  cmd->add_option("--out,-o", args->out,
                  "Output CSV file (-: standard output, written as it is made, not atomically)")
      ->required();
  cmd->callback([args] {
    const auto t0 = std::chrono::steady_clock::now();
    if (args->out == "-") {
      const auto p = generate_pool(args->size, {.seed = args->seed, .districts = args->districts});
      write_stdout(write_csv_text(p), "the pool");
      std::cerr << "generated " << p.size() << " nominees\n";
      return;
    }
    // The output's temporary is made first, so an unwritable place fails before the (possibly
    // long) generation; the old file is replaced only once the new one is whole (io.hpp).
    output_set out;
    auto& stream = out.add(args->out);
    const auto p = generate_pool(args->size, {.seed = args->seed, .districts = args->districts});
    const std::string text = write_csv_text(p);
    stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.commit();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    std::cerr << "generated " << p.size() << " nominees in " << p["district"].dictionary().size()
              << " districts -> " << args->out << " (" << dt.count() << " s)\n";
  });
}

void add_summary(CLI::App& app) {
  struct args_t {
    std::string pool;
    std::string id = "id";
    std::string by = "district";
    std::string columns = "school,gpa,exam_score,mode:conduct,prizes,documents,orphan";
    bool progress = false;
  };
  auto args = std::make_shared<args_t>();
  auto* cmd = app.add_subcommand("summary", "Load a pool CSV and print a summary per group");
  cmd->add_option("--pool,-p", args->pool, "Pool CSV file (-: standard input)")
      ->required()
      ->check(existing_file_or_stdin());
  cmd->add_option("--id", args->id, "Id column")->capture_default_str();
  cmd->add_option("--by", args->by, "Category column to group by")->capture_default_str();
  cmd->add_option("--columns", args->columns,
                  "Comma-separated measures: a column name (default statistic for its type) or "
                  "stat:column with stat one of mean, share, distinct, mode, nonempty, missing")
      ->capture_default_str();
  cmd->add_flag("--progress", args->progress, "Show reading progress on stderr");
  cmd->callback([args] {
    const auto t0 = std::chrono::steady_clock::now();
    csv_options opt;
    opt.id_column = args->id;
    if (args->progress) opt.progress = progress_printer("reading " + args->pool);
    const auto p = read_pool_arg(args->pool, opt);
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    std::vector<summary_measure> measures;
    for (const auto& spec : split_list(args->columns)) {
      measures.push_back(parse_summary_measure(p, spec));
    }
    std::cout << "Pool " << args->pool << ": " << p.size() << " nominees, " << p.column_count()
              << " columns (loaded in " << dt.count() << " s)\n\n";
    std::cout << format_summary(summarize(p, args->by, measures));
  });
}

}  // namespace khuyenhoc::cli
