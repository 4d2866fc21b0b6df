#include "khuyenhoc/io.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace khuyenhoc;

namespace {

class io_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("khuyenhoc_io_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, ec);
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string p(const std::string& name) const { return (dir / name).string(); }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void put(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  /// Names in the directory (to see that no temporary is left behind).
  [[nodiscard]] std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir;
};

TEST_F(io_test, writes_a_new_file_and_replaces_an_old_one) {
  write_file_atomic(p("a.csv"), "one\n");
  EXPECT_EQ(slurp(p("a.csv")), "one\n");
  write_file_atomic(p("a.csv"), "two\n");
  EXPECT_EQ(slurp(p("a.csv")), "two\n");
  EXPECT_EQ(listing(), std::vector<std::string>{"a.csv"});
}

TEST_F(io_test, keeps_the_mode_of_a_replaced_file) {
  put(p("a.csv"), "old");
  fs::permissions(p("a.csv"),
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  write_file_atomic(p("a.csv"), "new");
  EXPECT_EQ(fs::status(p("a.csv")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST_F(io_test, nothing_replaced_before_commit_and_temporaries_removed_without_it) {
  put(p("a.csv"), "old a");
  put(p("b.csv"), "old b");
  {
    output_set out;
    out.add(p("a.csv")) << "new a";
    out.add(p("b.csv")) << "new b";
    EXPECT_EQ(slurp(p("a.csv")), "old a");
    EXPECT_EQ(listing().size(), 4U);  // two temporaries beside the two files
  }  // destroyed without commit, as when an exception unwinds a command
  EXPECT_EQ(slurp(p("a.csv")), "old a");
  EXPECT_EQ(slurp(p("b.csv")), "old b");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.csv", "b.csv"}));
}

TEST_F(io_test, commit_replaces_all) {
  output_set out;
  out.add(p("a.csv")) << "new a";
  out.add(p("b.html")) << std::string(200000, 'x');  // more than one buffer
  out.commit();
  EXPECT_EQ(slurp(p("a.csv")), "new a");
  EXPECT_EQ(slurp(p("b.html")), std::string(200000, 'x'));
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.csv", "b.html"}));
}

TEST_F(io_test, refuses_an_input_as_output_by_path_spelling_and_hard_link) {
  put(p("in.csv"), "input");
  fs::create_hard_link(p("in.csv"), p("link.csv"));
  fs::create_directories(dir / "sub");
  const std::vector<std::string> inputs{p("in.csv")};
  for (const auto& out : {p("in.csv"), p("link.csv"), (dir / "sub" / ".." / "in.csv").string(),
                          (dir / "." / "in.csv").string()}) {
    try {
      write_file_atomic(out, "overwritten", inputs);
      FAIL() << out;
    } catch (const io_error& e) {
      EXPECT_NE(std::string(e.what()).find("refusing to overwrite the input file"),
                std::string::npos);
      EXPECT_EQ(e.where().file, out);
    }
  }
  EXPECT_EQ(slurp(p("in.csv")), "input");
  EXPECT_NO_THROW(check_not_an_input(p("other.csv"), inputs));
}

TEST_F(io_test, refuses_a_symlink_to_an_input) {
  put(p("in.csv"), "input");
  fs::create_symlink(p("in.csv"), p("sym.csv"));
  EXPECT_THROW(check_not_an_input(p("sym.csv"), {p("in.csv")}), io_error);
  EXPECT_EQ(slurp(p("in.csv")), "input");
}

TEST_F(io_test, writes_through_a_symlink_keeping_the_link) {
  put(p("real.csv"), "old");
  fs::create_symlink(p("real.csv"), p("sym.csv"));
  write_file_atomic(p("sym.csv"), "new");
  EXPECT_TRUE(fs::is_symlink(p("sym.csv")));
  EXPECT_EQ(slurp(p("real.csv")), "new");
}

TEST_F(io_test, refuses_the_same_output_twice) {
  output_set out;
  out.add(p("a.csv"));
  EXPECT_THROW(out.add((dir / "." / "a.csv").string()), io_error);
}

TEST_F(io_test, missing_or_unwritable_directory_is_a_located_error_with_errno) {
  try {
    write_file_atomic(p("nope/a.csv"), "x");
    FAIL();
  } catch (const io_error& e) {
    EXPECT_EQ(e.os_errno(), ENOENT);
    EXPECT_EQ(e.where().file, p("nope/a.csv"));
  }
  if (::geteuid() != 0) {  // root ignores directory permissions
    fs::create_directories(dir / "ro");
    fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    try {
      write_file_atomic(p("ro/a.csv"), "x");
      FAIL();
    } catch (const io_error& e) {
      EXPECT_EQ(e.os_errno(), EACCES);
    }
  }
  EXPECT_THROW(write_file_atomic(dir.string(), "x"), io_error);  // a directory
}

TEST_F(io_test, a_file_size_limit_fails_the_commit_and_keeps_the_old_files) {
  // RLIMIT_FSIZE makes write() fail with EFBIG, as a full disk fails it with ENOSPC.
  put(p("a.csv"), "old a");
  put(p("b.csv"), "old b");
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 100000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  int err = 0;
  try {
    output_set out;
    out.add(p("a.csv")) << "new a";
    out.add(p("b.csv")) << std::string(300000, 'y');
    out.commit();
  } catch (const io_error& e) {
    err = e.os_errno();
    EXPECT_NE(std::string(e.what()).find("b.csv"), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(err, EFBIG);
  EXPECT_EQ(slurp(p("a.csv")), "old a");
  EXPECT_EQ(slurp(p("b.csv")), "old b");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.csv", "b.csv"}));
}

TEST_F(io_test, a_device_is_written_in_place) {
  EXPECT_NO_THROW(write_file_atomic("/dev/null", "nothing to keep"));
  EXPECT_TRUE(listing().empty());
}

}  // namespace

// A large output is handed to the disk while it is written (every 8 MB): the bytes are those
// written, in order, whatever the sizes of the writes (small ones buffered, large ones direct).
TEST_F(io_test, a_large_output_handed_to_the_disk_while_written_is_whole) {
  std::string expected;
  {
    output_set out;
    std::ostream& s = out.add(p("big.csv"));
    std::size_t k = 0;
    while (expected.size() < (std::size_t{26} << 20)) {
      const std::size_t len = (k % 3 == 0) ? 3 * (1 << 20) + k : (k % 3 == 1) ? 17 : 70000 + k;
      std::string piece(len, static_cast<char>('a' + k % 26));
      piece.back() = '\n';
      s.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      expected += piece;
      ++k;
    }
    EXPECT_TRUE(s.good());
    out.commit();
  }
  EXPECT_EQ(fs::file_size(p("big.csv")), expected.size());
  EXPECT_TRUE(slurp(p("big.csv")) == expected);  // not EXPECT_EQ: no 26 MB diff on failure
  EXPECT_EQ(listing(), std::vector<std::string>{"big.csv"});
}

// The file-size limit met after some megabytes were handed to the disk still fails the commit
// and keeps the old file.
TEST_F(io_test, a_write_error_after_pages_were_handed_to_the_disk_keeps_the_old_file) {
  put(p("a.csv"), "old a");
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 20 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  int err = 0;
  try {
    output_set out;
    std::ostream& s = out.add(p("a.csv"));
    const std::string block(1 << 20, 'z');
    for (int i = 0; i < 24 && s; ++i)
      s.write(block.data(), static_cast<std::streamsize>(block.size()));
    out.commit();
  } catch (const io_error& e) {
    err = e.os_errno();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(err, EFBIG);
  EXPECT_EQ(slurp(p("a.csv")), "old a");
  EXPECT_EQ(listing(), std::vector<std::string>{"a.csv"});
}

// Large outputs are gathered in aligned blocks written with O_DIRECT where the file system takes
// it, and with ordinary writes where it does not (tmpfs on older kernels): either way the file
// holds the bytes written, in order, whatever mix of single characters, small and large writes
// and flushes made them, including a last partial block.
TEST_F(io_test, a_large_output_is_whole_with_or_without_direct_writes) {
  std::vector<fs::path> dirs{dir};
  std::error_code ec;
  const fs::path shm = fs::path("/dev/shm") / dir.filename();
  if (fs::is_directory("/dev/shm", ec) && fs::create_directories(shm, ec)) dirs.push_back(shm);
  for (const auto& d : dirs) {
    SCOPED_TRACE(d.string());
    const std::string path = (d / "result.csv").string();
    std::string expected;
    {
      output_set out;
      std::ostream& s = out.add(path);
      for (std::size_t k = 0; expected.size() < (std::size_t{9} << 20) + 12345; ++k) {
        if (k % 5 == 0) {
          s.put(static_cast<char>('A' + k % 26));
          expected += static_cast<char>('A' + k % 26);
        } else {
          const std::size_t len = (k % 5 == 1) ? 4095 : (k % 5 == 2) ? 1 << 20 : 333 + k;
          const std::string piece(len, static_cast<char>('a' + k % 26));
          s.write(piece.data(), static_cast<std::streamsize>(piece.size()));
          expected += piece;
        }
        if (k % 7 == 0) s.flush();
      }
      EXPECT_TRUE(s.good());
      out.commit();
    }
    EXPECT_EQ(fs::file_size(path), expected.size());
    EXPECT_TRUE(slurp(path) == expected);  // not EXPECT_EQ: no 9 MB diff on failure
  }
  if (dirs.size() > 1) fs::remove_all(shm, ec);
}
