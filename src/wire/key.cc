#include "wire/key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <sodium.h>

#include "base/scoped_fd.h"

namespace omx::wire {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Permission and ownership rules for a key file (like ssh's for private keys).
Status check_key_file_mode(const struct stat& st, const std::string& path) {
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kInvalid, fmt::format("key file {} is not a regular file", path));
  }
  if (st.st_mode & 077) {
    return make_error(ErrorCode::kRefused,
                      fmt::format("key file {} has mode {:04o}: it must not be accessible by group "
                                  "or others (run: chmod 600 {})",
                                  path, st.st_mode & 07777, path));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return make_error(ErrorCode::kRefused,
                      fmt::format("key file {} is owned by uid {}, not by uid {} or root", path,
                                  st.st_uid, geteuid()));
  }
  return ok_status();
}

}  // namespace

void init_crypto() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  OMX_CHECK(ok, "sodium_init failed");
}

Key::Key(std::span<const uint8_t, kKeySize> bytes) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

Key::~Key() { sodium_memzero(bytes_.data(), bytes_.size()); }

bool Key::operator==(const Key& o) const {
  return sodium_memcmp(bytes_.data(), o.bytes_.data(), kKeySize) == 0;
}

Result<Key> Key::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kKeySize) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("key must be {} hex characters, got {}", 2 * kKeySize,
                                  hex.size()));
  }
  Key k;
  for (size_t i = 0; i < kKeySize; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(ErrorCode::kInvalid,
                        fmt::format("key has a non-hex character at position {}",
                                    hi < 0 ? 2 * i : 2 * i + 1));
    }
    k.bytes_[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return k;
}

std::string Key::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * kKeySize);
  for (uint8_t b : bytes_) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Key generate_key() {
  init_crypto();
  std::array<uint8_t, kKeySize> b;
  randombytes_buf(b.data(), b.size());
  Key k(b);
  sodium_memzero(b.data(), b.size());
  return k;
}

Result<Key> load_key(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang us (it fails the regular-file check).
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return sys_error("open key file " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return sys_error("stat key file " + path);
  OMX_TRY(check_key_file_mode(st, path));
  char buf[2 * kKeySize + 3];  // one byte more than any valid file, to detect trailing junk
  size_t got = 0;
  while (got < sizeof(buf)) {
    ssize_t n = ::read(fd.get(), buf + got, sizeof(buf) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read key file " + path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  std::string_view text(buf, got);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  auto key = Key::from_hex(text);
  sodium_memzero(buf, sizeof(buf));
  if (!key.ok()) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("key file {}: {} (expected {} hex characters and a newline)",
                                  path, key.error().what, 2 * kKeySize));
  }
  return key;
}

Status save_key(const Key& key, const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return sys_error("create key file " + path);
  if (::fchmod(fd.get(), 0600) != 0) return sys_error("chmod key file " + path);
  std::string text = key.to_hex() + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write key file " + path);
    done += static_cast<size_t>(n);
  }
  sodium_memzero(text.data(), text.size());
  if (::fsync(fd.get()) != 0) return sys_error("fsync key file " + path);
  return ok_status();
}

}  // namespace omx::wire
