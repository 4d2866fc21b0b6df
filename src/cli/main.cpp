// The khuyenhoc command-line tool.
#include <csignal>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "khuyenhoc: criteria scoring, eligibility rules, ranking and selection, and plan "
      "checking for khuyến học, khuyến tài work"};
  app.set_version_flag("--version", std::string("khuyenhoc ") + khuyenhoc::version_string);
  app.require_subcommand(1);
  khuyenhoc::cli::add_generate(app);
  khuyenhoc::cli::add_summary(app);
  khuyenhoc::cli::add_select(app);
  khuyenhoc::cli::add_plan(app);
  // Ctrl-C or a kill while outputs are being written: the previous files stay, and the
  // half-written temporaries are removed before the process ends.
  khuyenhoc::remove_temporaries_on_signals();
  // A file-size limit (ulimit -f) then fails write() with EFBIG, reported like a full disk,
  // instead of killing the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : khuyenhoc::cli::exit_bad_input;
  } catch (const khuyenhoc::io_error& e) {
    std::cerr << "khuyenhoc: error: " << e.what() << '\n';
    return khuyenhoc::cli::exit_io;
  } catch (const khuyenhoc::error& e) {
    std::cerr << "khuyenhoc: error: " << e.what() << '\n';
    return khuyenhoc::cli::exit_bad_input;
  } catch (const std::bad_alloc&) {
    std::cerr << "khuyenhoc: error: out of memory (no output file was replaced)\n";
    return khuyenhoc::cli::exit_out_of_memory;
  } catch (const std::exception& e) {
    std::cerr << "khuyenhoc: internal error: " << e.what() << '\n';
    return khuyenhoc::cli::exit_internal;
  }
  return 0;
}
