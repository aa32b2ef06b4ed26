// Codec: explicit little-endian encoding of wire fields. Every multi-byte integer on the wire is
// written byte by byte in little-endian order (never by copying a host struct), so the encoding
// does not depend on compiler layout, padding or host byte order.
//
//   Writer w;  w.u32(node); w.str(path); w.bytes(blob);   -> w.data()
//   Reader r(payload, "syscall request");
//   OMX_ASSIGN(uint32_t node, r.u32("node"));
//   OMX_ASSIGN(std::string path, r.str("path"));
//   OMX_TRY(r.expect_end());
//
// Variable-length fields (`bytes`, `str`) carry a u32 length prefix. The Reader is bounds-checked:
// it never reads past the end of its input, and a length prefix larger than what is left is
// rejected before anything is allocated, so decoding allocates at most the size of its input.
// Every read returns a Result naming the field that failed; the first error is also kept
// ("sticky"): once a read failed, every later read fails with that same error, so a sequence of
// reads can be checked once at the end with `status()`.
//
// Threading: Writer and Reader are plain values; use one from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace omx::wire {

// Fixed-position little-endian stores and loads (for fixed headers).
inline void store_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_le32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve) { buf_.reserve(reserve); }

  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }  // two's complement
  // u32 length prefix, then the bytes. OMX_CHECKs that the length fits in u32.
  void bytes(std::span<const uint8_t> b);
  void str(std::string_view s);
  // The bytes alone, no prefix (fixed-size fields such as nonces).
  void raw(std::span<const uint8_t> b);

  size_t size() const { return buf_.size(); }
  std::span<const uint8_t> data() const { return buf_; }
  std::vector<uint8_t> take() && { return std::move(buf_); }

 private:
  std::vector<uint8_t> buf_;
};

class Reader {
 public:
  // `what` names the message being decoded, for error messages ("hello", "syscall request").
  explicit Reader(std::span<const uint8_t> data, std::string_view what = "message")
      : data_(data), what_(what) {}

  Result<uint8_t> u8(std::string_view field);
  Result<uint16_t> u16(std::string_view field);
  Result<uint32_t> u32(std::string_view field);
  Result<uint64_t> u64(std::string_view field);
  Result<int64_t> i64(std::string_view field);
  // u32 length prefix; the result views the input (no copy). `max_len` bounds the length.
  Result<std::span<const uint8_t>> bytes(std::string_view field, uint32_t max_len = UINT32_MAX);
  Result<std::string> str(std::string_view field, uint32_t max_len = UINT32_MAX);
  // Exactly n bytes, no prefix; views the input.
  Result<std::span<const uint8_t>> raw(std::string_view field, size_t n);

  // Error unless every byte was consumed and no read failed.
  Status expect_end();
  // The first error so far (sticky), or ok.
  Status status() const;
  bool ok() const { return !error_.has_value(); }

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  // Reserves n bytes for `field`; returns a pointer to them or nullptr (and records the error).
  const uint8_t* take(std::string_view field, size_t n);
  Error fail(std::string_view field, std::string detail);

  std::span<const uint8_t> data_;
  std::string_view what_;
  size_t pos_ = 0;
  std::optional<Error> error_;
};

}  // namespace omx::wire
