#pragma once
/// \file io.hpp
/// Writing files so that nothing is lost: every output goes to a temporary file in the same
/// directory and is renamed into place only once all outputs of a command were written, flushed
/// and synced without error. An interrupted or failing run leaves the previous files intact, and
/// an output that would overwrite one of the command's inputs is refused before anything is
/// written.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "khuyenhoc/error.hpp"

namespace khuyenhoc {

/// Output files written together: each add() opens a temporary file in the same directory as its
/// path; commit() flushes, fsyncs and checks every stream, then renames all into place (if any
/// check fails, none is renamed and io_error is thrown); the destructor removes uncommitted
/// temporaries. An output equal to an input (same path, or same device+inode, e.g. a hard link
/// or another spelling of the path) or to another output is refused by add() with io_error
/// before anything is written.
///
/// A path that is a symbolic link is written through: the link's target is replaced and the
/// link kept. A new file gets the mode 0666 minus the umask; a replaced file keeps its mode.
/// A path that exists and is not a regular file (/dev/stdout, a pipe) is written in place.
/// Not thread-safe: one thread writes one set.
class output_set {
 public:
  explicit output_set(std::vector<std::string> inputs = {});
  output_set(const output_set&) = delete;
  output_set& operator=(const output_set&) = delete;
  ~output_set();
  /// The binary stream to write `path`'s content to. Valid until commit() or destruction.
  /// \throws io_error if `path` is an input or an output already added, or its temporary file
  /// cannot be created (missing or unwritable directory).
  std::ostream& add(const std::string& path);
  /// Flushes, fsyncs and checks every stream, then renames each temporary onto its path and
  /// syncs the directories. Nothing is renamed unless every stream was written whole.
  /// \throws io_error (names the file and the OS reason: ENOSPC, EACCES, EFBIG ...)
  void commit();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One file written atomically (an output_set of one). \throws io_error
void write_file_atomic(const std::string& path, std::string_view bytes,
                       const std::vector<std::string>& inputs = {});

/// Throws io_error if `output` is the same file as one of `inputs` (path or device+inode).
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs);

/// For command-line programs: installs SIGINT, SIGTERM and SIGHUP handlers that delete the
/// temporary files of uncommitted output_sets, then re-raise the signal (so the exit status still
/// says "killed by SIGINT"). The previous output files are intact either way; this only avoids
/// leaving ".name.tmp-XXXXXXXX" files behind. A library does not install signal handlers on its
/// own: an embedding program (or Python) keeps its handlers unless it calls this. A signal that
/// is ignored (nohup) stays ignored.
void remove_temporaries_on_signals();

/// The whole content of a user's file, as bytes. Every reader of the library (CSV pools,
/// criteria, rule sets, plans, calendars) opens files through this one function, so a missing
/// or unreadable file gives the same error everywhere: io_error located at the path, with the
/// message "cannot read the file: <OS reason>" and os_errno() set (ENOENT, EACCES, EISDIR ...).
/// \param max_bytes refuse a file larger than this with limit_error (0: no limit); the size is
///        checked before reading, and again while reading a pipe or a growing file.
/// 	hrows io_error, limit_error
[[nodiscard]] std::string read_user_file(const std::string& path, std::uint64_t max_bytes = 0);

}  // namespace khuyenhoc
