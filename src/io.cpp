// Atomic, checked output files. POSIX calls are used directly (not std::ofstream) because the
// error of every write, of fsync and of close must be seen and named: an ofstream reports only
// "failed", and a full disk on a small file shows up at close(), which ofstream ignores.

#include "khuyenhoc/io.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <random>
#include <streambuf>
#include <system_error>

namespace khuyenhoc {

namespace {

namespace fs = std::filesystem;

std::string os_reason(int err) {
  return std::generic_category().message(err);
}

[[noreturn]] void throw_os(const std::string& what, const std::string& path, int err) {
  throw io_error(what + ": " + os_reason(err), location{.file = path}, err);
}

/// The path a write to `path` really replaces: the target of a symbolic link, else `path`.
std::string resolve_output(const std::string& path) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    auto target = fs::canonical(path, ec);
    if (!ec) return target.string();
  }
  return path;
}

/// A normalised spelling: absolute, `.`/`..` and symlinks resolved where the path exists.
std::string spelling(const std::string& path) {
  std::error_code ec;
  auto p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : p.lexically_normal().string();
}

bool same_file(const std::string& a, const std::string& b) {
  if (spelling(a) == spelling(b)) return true;
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/// A stream buffer over a file descriptor that remembers the first write error (errno).
///
/// With `staged` (the temporary file of an atomic output), the bytes are gathered in an aligned
/// buffer of a megabyte and every full buffer is written with O_DIRECT where the file
/// system takes it: the disk reads the buffer itself, without the kernel copying the result into
/// the page cache first (a 2 GB result: about 0.1 s of kernel time instead of 1.4-3.8 s, and no
/// dirty pages for the fsync of commit() to write). A file system that refuses O_DIRECT (tmpfs,
/// some network file systems), or a write it refuses (EINVAL), turns the buffer back to ordinary
/// writes, whose pages are then handed to the disk every few megabytes as the file grows
/// (sync_file_range on Linux, a hint that does not wait) so that the fsync finds little left to
/// write. The last, partial buffer is written by drain() with ordinary writes; flush() before
/// that writes nothing (the bytes wait for a full buffer or for commit()).
class fd_buf : public std::streambuf {
 public:
  explicit fd_buf(int fd, bool staged = false) : fd_(fd), staged_(staged) {
    if (staged_) {
      stage_.reset(static_cast<char*>(std::aligned_alloc(alignment, stage_size)));
      if (!stage_) throw std::bad_alloc();
      setp(stage_.get(), stage_.get() + stage_size);
    } else {
      setp(buf_.data(), buf_.data() + buf_.size());
    }
  }
  fd_buf(const fd_buf&) = delete;
  fd_buf& operator=(const fd_buf&) = delete;
  ~fd_buf() override = default;

  [[nodiscard]] int error() const { return err_; }
  /// Writes everything buffered, the last partial block too; false (and error() set) on failure.
  bool drain() {
    if (direct_ && !set_direct(false)) return false;
    return write_buffered();
  }

 protected:
  int_type overflow(int_type ch) override {
    if (!(staged_ ? write_stage() : write_buffered())) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (staged_) {  // fill the stage, write it whenever it is full
      std::streamsize done = 0;
      while (done < n) {
        const auto room = static_cast<std::streamsize>(epptr() - pptr());
        const auto take = std::min(room, n - done);
        std::memcpy(pptr(), s + done, static_cast<std::size_t>(take));
        pbump(static_cast<int>(take));
        done += take;
        if (pptr() == epptr() && !write_stage()) return done;
      }
      return n;
    }
    const auto room = epptr() - pptr();
    if (n <= room) {
      std::memcpy(pptr(), s, static_cast<std::size_t>(n));
      pbump(static_cast<int>(n));
      return n;
    }
    if (!write_buffered()) return 0;
    if (static_cast<std::size_t>(n) >= buf_.size()) {
      return write_all(s, static_cast<std::size_t>(n)) ? n : 0;
    }
    std::memcpy(pptr(), s, static_cast<std::size_t>(n));
    pbump(static_cast<int>(n));
    return n;
  }
  int sync() override {
    if (staged_) return err_ == 0 ? 0 : -1;  // the bytes wait for a full stage or drain()
    return write_buffered() ? 0 : -1;
  }

 private:
  static constexpr std::size_t alignment = 4096;  // a multiple of any logical block
  static constexpr std::size_t stage_size = std::size_t{1} << 20;  // a multiple of alignment

  /// Writes the put area with ordinary writes and empties it.
  bool write_buffered() {
    const char* p = pbase();
    const auto left = static_cast<std::size_t>(pptr() - pbase());
    setp(pbase(), epptr());
    if (err_ != 0) return false;
    return write_all(p, left);
  }
  /// Writes the full stage, with O_DIRECT while the file system takes it.
  bool write_stage() {
    if (err_ != 0) return false;
#if defined(__linux__) && defined(O_DIRECT)
    if (!direct_tried_) {
      direct_tried_ = true;
      if (written_ % alignment == 0) (void)set_direct(true);  // refused: ordinary writes
    }
    if (direct_) {
      const char* p = pbase();
      std::size_t n = static_cast<std::size_t>(pptr() - pbase());
      while (n > 0) {
        const ssize_t w = ::write(fd_, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EINVAL) break;  // refused for this file: ordinary writes from here
        if (w < 0) {
          err_ = errno;
          setp(pbase(), epptr());
          return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        written_ += static_cast<std::uint64_t>(w);
        handed_ = written_;                                          // on the disk already
        if (n % alignment != 0 || written_ % alignment != 0) break;  // short, unaligned write
      }
      if (n == 0) {
        setp(pbase(), epptr());
        return true;
      }
      // What is left goes with ordinary writes, and so does the rest of the file.
      direct_ = false;
      if (!set_direct(false)) return false;
      std::memmove(pbase(), p, n);
      setp(pbase(), epptr());
      pbump(static_cast<int>(n));
    }
#endif
    return write_buffered();
  }
  /// Turns O_DIRECT on or off for fd_; false (and error() set when turning it off) on failure.
  bool set_direct([[maybe_unused]] bool on) {
#if defined(__linux__) && defined(O_DIRECT)
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) < 0) {
      if (!on) err_ = errno;
      return false;
    }
    direct_ = on;
#endif
    return true;
  }
  bool write_all(const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        err_ = errno;
        return false;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
      written_ += static_cast<std::uint64_t>(w);
    }
    start_write_back();
    return true;
  }
  void start_write_back() noexcept {
#if defined(__linux__)
    constexpr std::uint64_t step = std::uint64_t{8} << 20;
    if (!staged_ || written_ - handed_ < step) return;
    // Best effort: an error here is met again, and reported, by the fsync of commit().
    (void)::sync_file_range(fd_, static_cast<off_t>(handed_),
                            static_cast<off_t>(written_ - handed_), SYNC_FILE_RANGE_WRITE);
    handed_ = written_;
#endif
  }
  struct free_deleter {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  int fd_;
  bool staged_ = false;
  bool direct_tried_ = false;  // O_DIRECT was tried (on the first full stage)
  bool direct_ = false;        // fd_ is in O_DIRECT mode
  std::uint64_t written_ = 0;  // bytes written to fd_
  std::uint64_t handed_ = 0;   // bytes on their way to the disk (sync_file_range, O_DIRECT)
  int err_ = 0;
  std::unique_ptr<char, free_deleter> stage_;  // staged: the aligned buffer
  std::array<char, 1 << 16> buf_{};            // otherwise
};

std::string random_suffix() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  const unsigned v = rd() ^ (counter.fetch_add(1) * 2654435761U);
  std::array<char, 16> s{};
  std::snprintf(s.data(), s.size(), "%08x", v);
  return s.data();
}

// ---------------------------------------------------------------- signal-time clean-up
// The temporaries of live output_sets, readable from a signal handler: fixed slots, each
// claimed with an atomic state, so the handler neither allocates nor locks.
constexpr std::size_t max_pending = 64;
constexpr std::size_t max_path = 4096;
enum slot_state : int { slot_free = 0, slot_busy = 1, slot_ready = 2 };
struct pending_slot {
  std::atomic<int> state{slot_free};
  std::array<char, max_path> path{};
};
std::array<pending_slot, max_pending> pending;  // NOLINT(cert-err58-cpp)

/// Registers a temporary; returns its slot or -1 when all are taken or the path is too long
/// (then only the destructor removes it, as without handlers).
int register_pending(const std::string& path) noexcept {
  if (path.size() + 1 > max_path) return -1;
  for (std::size_t i = 0; i < max_pending; ++i) {
    int expected = slot_free;
    if (pending[i].state.compare_exchange_strong(expected, slot_busy)) {
      std::memcpy(pending[i].path.data(), path.c_str(), path.size() + 1);
      pending[i].state.store(slot_ready);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void unregister_pending(int slot) noexcept {
  if (slot >= 0) pending[static_cast<std::size_t>(slot)].state.store(slot_free);
}

extern "C" void remove_pending_and_reraise(int sig) {
  for (auto& p : pending) {
    int expected = slot_ready;
    if (p.state.compare_exchange_strong(expected, slot_busy)) ::unlink(p.path.data());
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

struct entry {
  std::string path;       // as given (for messages)
  std::string target;     // the file really replaced
  std::string temporary;  // where the bytes go until commit
  int fd = -1;
  int slot = -1;        // in the signal-time clean-up registry
  bool direct = false;  // not a regular file (a pipe, a device): written in place, not renamed
  std::unique_ptr<fd_buf> buf;
  std::unique_ptr<std::ostream> stream;
};

}  // namespace

struct output_set::impl {
  std::vector<std::string> inputs;
  std::vector<entry> entries;
  bool committed = false;

  void discard() noexcept {
    for (auto& e : entries) {
      e.stream.reset();
      e.buf.reset();
      if (e.fd >= 0) ::close(e.fd);
      e.fd = -1;
      if (!e.temporary.empty()) ::unlink(e.temporary.c_str());
      e.temporary.clear();
      unregister_pending(e.slot);
      e.slot = -1;
    }
  }
};

output_set::output_set(std::vector<std::string> inputs) : impl_(std::make_unique<impl>()) {
  impl_->inputs = std::move(inputs);
}

output_set::~output_set() {
  if (!impl_->committed) impl_->discard();
}

std::ostream& output_set::add(const std::string& path) {
  if (path.empty()) throw io_error("empty output path");
  if (impl_->committed) throw io_error("output set already committed", location{.file = path});
  check_not_an_input(path, impl_->inputs);
  for (const auto& e : impl_->entries) {
    if (same_file(path, e.path) || same_file(resolve_output(path), e.target)) {
      throw io_error("the same file is given for two outputs (\"" + e.path + "\" and \"" + path +
                         "\"); each output needs its own file",
                     location{.file = path});
    }
  }
  entry e;
  e.path = path;
  e.target = resolve_output(path);
  std::error_code ec;
  if (fs::is_directory(e.target, ec)) {
    throw io_error("is a directory, not a file", location{.file = path}, EISDIR);
  }
  const fs::path target(e.target);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string base = target.filename().string();
  // Keep the mode of a file being replaced; a new one gets 0666 minus the umask (open's rule).
  struct stat old {};
  const bool exists = ::stat(e.target.c_str(), &old) == 0;
  if (exists && !S_ISREG(old.st_mode)) {
    // A terminal, a pipe, /dev/null: nothing to replace atomically, so write to it directly.
    e.fd = ::open(e.target.c_str(), O_WRONLY | O_CLOEXEC);
    if (e.fd < 0) throw_os("cannot open for writing", path, errno);
    e.direct = true;
    e.buf = std::make_unique<fd_buf>(e.fd);
    e.stream = std::make_unique<std::ostream>(e.buf.get());
    impl_->entries.push_back(std::move(e));
    return *impl_->entries.back().stream;
  }
  for (int attempt = 0;; ++attempt) {
    e.temporary = (dir / ("." + base + ".tmp-" + random_suffix())).string();
    e.fd = ::open(e.temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (e.fd >= 0) break;
    const int err = errno;
    if (err == EEXIST && attempt < 100) continue;
    e.temporary.clear();
    throw_os("cannot create a file in \"" + dir.string() + "\"", path, err);
  }
  e.slot = register_pending(e.temporary);
  if (exists) (void)::fchmod(e.fd, old.st_mode & 07777);
  e.buf = std::make_unique<fd_buf>(e.fd, /*staged=*/true);
  e.stream = std::make_unique<std::ostream>(e.buf.get());
  impl_->entries.push_back(std::move(e));
  return *impl_->entries.back().stream;
}

void output_set::commit() {
  if (impl_->committed) throw io_error("output set already committed");
  // 1. Every stream written whole, flushed to disk and closed without error: else none moves.
  for (auto& e : impl_->entries) {
    int err = 0;
    const char* step = "cannot write";
    if (!e.buf->drain() || e.buf->error() != 0) {
      err = e.buf->error();
    } else if (e.stream->bad() || e.stream->fail()) {
      err = EIO;
    } else if (!e.direct && ::fsync(e.fd) != 0) {
      err = errno;
      step = "cannot save";
    }
    const int fd = e.fd;
    e.fd = -1;
    if (::close(fd) != 0 && err == 0) {
      err = errno;
      step = "cannot save";
    }
    if (err != 0) {
      impl_->discard();
      throw_os(std::string(step) + " the file (the previous file, if any, is left unchanged)",
               e.path, err);
    }
  }
  // 2. Rename into place. Same directory, so each rename is atomic.
  std::vector<std::string> dirs;
  for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
    auto& e = impl_->entries[i];
    if (e.direct) continue;
    if (::rename(e.temporary.c_str(), e.target.c_str()) != 0) {
      const int err = errno;
      impl_->discard();
      std::string done;
      for (std::size_t j = 0; j < i; ++j) done += (j ? ", " : "") + impl_->entries[j].path;
      throw_os("cannot move the written file into place" +
                   (done.empty() ? std::string() : " (already replaced: " + done + ")"),
               e.path, err);
    }
    e.temporary.clear();
    unregister_pending(e.slot);
    e.slot = -1;
    const fs::path t(e.target);
    dirs.push_back(t.has_parent_path() ? t.parent_path().string() : std::string("."));
  }
  impl_->committed = true;
  // 3. Make the renames durable. A directory that cannot be opened or synced (some file
  // systems refuse fsync on directories) does not undo a rename that has happened.
  for (const auto& d : dirs) {
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      (void)::fsync(fd);
      ::close(fd);
    }
  }
}

void write_file_atomic(const std::string& path, std::string_view bytes,
                       const std::vector<std::string>& inputs) {
  output_set out(inputs);
  out.add(path).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.commit();
}

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  const std::string target = resolve_output(output);
  for (const auto& in : inputs) {
    if (in.empty()) continue;
    if (same_file(output, in) || same_file(target, in)) {
      throw io_error(
          "refusing to overwrite the input file \"" + in + "\"; choose another output path",
          location{.file = output});
    }
  }
}

void remove_temporaries_on_signals() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup
    struct sigaction sa {};
    sa.sa_handler = remove_pending_and_reraise;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

std::string read_user_file(const std::string& path, std::uint64_t max_bytes) {
  const auto fail = [&](int err) {
    throw io_error("cannot read the file: " + os_reason(err), location{.file = path}, err);
  };
  const auto too_big = [&](std::uint64_t size) {
    throw limit_error("the file is larger than the limit of " + std::to_string(max_bytes) +
                          " bytes (" + std::to_string(size) +
                          " bytes or more); raise max_bytes to read it",
                      location{.file = path});
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(errno);
  if (S_ISDIR(st.st_mode)) fail(EISDIR);
  std::string text;
  if (S_ISREG(st.st_mode)) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (max_bytes != 0 && size > max_bytes) too_big(size);
    text.reserve(static_cast<std::size_t>(size));
  }
  std::array<char, 1 << 16> buf{};
  for (;;) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    if (r == 0) break;
    if (max_bytes != 0 && text.size() + static_cast<std::size_t>(r) > max_bytes)
      too_big(text.size() + static_cast<std::size_t>(r));
    text.append(buf.data(), static_cast<std::size_t>(r));
  }
  return text;
}

}  // namespace khuyenhoc
