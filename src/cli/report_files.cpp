// Checksums of the input files named in a selection report: SHA-256 from OpenSSL's libcrypto
// (linked into the CLI only; the library computes no hashes).
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "khuyenhoc/error.hpp"

namespace khuyenhoc::cli {

report_input describe_input(const std::string& role, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw error("cannot open the file to compute its checksum", location{.file = path});
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw error("SHA-256 is not available from OpenSSL", location{.file = path});
  }
  std::array<char, 1 << 16> buf{};
  std::uint64_t bytes = 0;
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(f.gcount());
    if (got == 0) break;
    bytes += got;
    if (EVP_DigestUpdate(ctx.get(), buf.data(), got) != 1) {
      throw error("SHA-256 update failed", location{.file = path});
    }
  }
  if (f.bad()) throw error("cannot read the file to compute its checksum", location{.file = path});
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1) {
    throw error("SHA-256 final failed", location{.file = path});
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string digest;
  for (unsigned int i = 0; i < len; ++i) {
    digest += hex[md[i] >> 4];
    digest += hex[md[i] & 0xF];
  }
  return report_input{.role = role, .name = path, .sha256 = digest, .bytes = bytes};
}

}  // namespace khuyenhoc::cli
