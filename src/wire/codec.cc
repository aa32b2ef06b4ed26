#include "wire/codec.h"

#include <fmt/format.h>

namespace omx::wire {

void Writer::u16(uint16_t v) {
  uint8_t b[2];
  store_le16(b, v);
  buf_.insert(buf_.end(), b, b + 2);
}

void Writer::u32(uint32_t v) {
  uint8_t b[4];
  store_le32(b, v);
  buf_.insert(buf_.end(), b, b + 4);
}

void Writer::u64(uint64_t v) {
  uint8_t b[8];
  store_le64(b, v);
  buf_.insert(buf_.end(), b, b + 8);
}

void Writer::bytes(std::span<const uint8_t> b) {
  OMX_CHECK(b.size() <= UINT32_MAX, "wire field of %zu bytes does not fit a u32 length", b.size());
  u32(static_cast<uint32_t>(b.size()));
  raw(b);
}

void Writer::str(std::string_view s) {
  bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

void Writer::raw(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }

Error Reader::fail(std::string_view field, std::string detail) {
  if (!error_) {
    error_ = make_error(ErrorCode::kProtocol,
                        fmt::format("decode {}: field '{}' at offset {}: {}", what_, field, pos_,
                                    detail));
  }
  return *error_;
}

const uint8_t* Reader::take(std::string_view field, size_t n) {
  if (error_) return nullptr;
  if (n > remaining()) {
    fail(field, fmt::format("needs {} bytes, {} left", n, remaining()));
    return nullptr;
  }
  const uint8_t* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

Result<uint8_t> Reader::u8(std::string_view field) {
  const uint8_t* p = take(field, 1);
  if (!p) return *error_;
  return *p;
}

Result<uint16_t> Reader::u16(std::string_view field) {
  const uint8_t* p = take(field, 2);
  if (!p) return *error_;
  return load_le16(p);
}

Result<uint32_t> Reader::u32(std::string_view field) {
  const uint8_t* p = take(field, 4);
  if (!p) return *error_;
  return load_le32(p);
}

Result<uint64_t> Reader::u64(std::string_view field) {
  const uint8_t* p = take(field, 8);
  if (!p) return *error_;
  return load_le64(p);
}

Result<int64_t> Reader::i64(std::string_view field) {
  OMX_ASSIGN(uint64_t v, u64(field));
  return static_cast<int64_t>(v);
}

Result<std::span<const uint8_t>> Reader::bytes(std::string_view field, uint32_t max_len) {
  OMX_ASSIGN(uint32_t len, u32(field));
  if (len > max_len) {
    pos_ -= 4;  // report the offset of the length prefix
    return fail(field, fmt::format("length {} exceeds the limit of {}", len, max_len));
  }
  if (len > remaining()) {
    pos_ -= 4;
    return fail(field, fmt::format("length {} but only {} bytes follow", len, remaining() - 4));
  }
  return raw(field, len);
}

Result<std::string> Reader::str(std::string_view field, uint32_t max_len) {
  OMX_ASSIGN(auto b, bytes(field, max_len));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Result<std::span<const uint8_t>> Reader::raw(std::string_view field, size_t n) {
  const uint8_t* p = take(field, n);
  if (!p) return *error_;
  return std::span<const uint8_t>(p, n);
}

Status Reader::expect_end() {
  if (error_) return *error_;
  if (remaining() != 0) return fail("<end>", fmt::format("{} unexpected trailing bytes", remaining()));
  return ok_status();
}

Status Reader::status() const {
  if (error_) return *error_;
  return ok_status();
}

}  // namespace omx::wire
