#include "mfs/protocol.h"

#include <array>
#include <cstring>
#include <initializer_list>

#include <fmt/format.h>

#include "base/check.h"
#include "wire/codec.h"

namespace omx::mfs {
namespace {

// The request fields, in wire order per op (protocol.h's table).
enum class F : uint8_t {
  kPath, kTo, kTarget, kFh, kCookie, kMaxBytes, kFlags, kMode, kUmask, kOff, kSize32, kSize64,
  kData, kDatasync, kUid, kGid, kTimes, kMask,
};
// The reply fields, in wire order per op.
enum class R : uint8_t { kFh, kAttr, kEntries, kData, kWritten, kTarget, kStatfs };

struct OpInfo {
  const char* name;
  std::initializer_list<F> request;
  std::initializer_list<R> reply;
};

const std::array<OpInfo, kMaxOp + 1>& ops() {
  using enum F;
  static const std::array<OpInfo, kMaxOp + 1> t{{
      {"?", {}, {}},
      {"getattr", {kPath, kFh}, {R::kAttr}},
      {"opendir", {kPath}, {R::kFh}},
      {"readdir", {kFh, kCookie, kMaxBytes}, {R::kEntries}},
      {"releasedir", {kFh}, {}},
      {"open", {kPath, kFlags}, {R::kFh, R::kAttr}},
      {"create", {kPath, kFlags, kMode, kUmask}, {R::kFh, R::kAttr}},
      {"read", {kFh, kOff, kSize32}, {R::kData}},
      {"write", {kFh, kOff, kData}, {R::kWritten}},
      {"release", {kFh}, {}},
      {"fsync", {kFh, kDatasync}, {}},
      {"flush", {kFh}, {}},
      {"truncate", {kPath, kFh, kSize64}, {}},
      {"rename", {kPath, kTo, kFlags}, {}},
      {"unlink", {kPath}, {}},
      {"rmdir", {kPath}, {}},
      {"mkdir", {kPath, kMode, kUmask}, {R::kAttr}},
      {"symlink", {kTarget, kPath}, {R::kAttr}},
      {"readlink", {kPath}, {R::kTarget}},
      {"link", {kPath, kTo}, {R::kAttr}},
      {"chmod", {kPath, kFh, kMode}, {}},
      {"chown", {kPath, kFh, kUid, kGid}, {}},
      {"utimens", {kPath, kFh, kTimes}, {}},
      {"statfs", {kPath}, {R::kStatfs}},
      {"access", {kPath, kMask}, {}},
  }};
  return t;
}

Error bad(std::string_view what, std::string detail) {
  return make_error(ErrorCode::kProtocol, fmt::format("mfs {}: {}", what, detail));
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status check_target(std::string_view t) {
  if (t.empty()) return bad("symlink target", "empty");
  if (t.size() > kMaxPath) return bad("symlink target", fmt::format("{} bytes > {}", t.size(), kMaxPath));
  if (has_nul(t)) return bad("symlink target", "contains NUL");
  return {};
}

Status check_nsec(uint32_t nsec) {
  if (nsec < 1000000000u || nsec == kUtimeNow || nsec == kUtimeOmit) return {};
  return bad("utimens", fmt::format("nsec {} out of range", nsec));
}

void put_field(wire::Writer& w, F f, const Request& r) {
  switch (f) {
    case F::kPath: w.str(r.path); break;
    case F::kTo: w.str(r.to); break;
    case F::kTarget: w.str(r.target); break;
    case F::kFh: w.u64(r.fh); break;
    case F::kCookie: w.u64(r.cookie); break;
    case F::kMaxBytes: w.u32(r.max_bytes); break;
    case F::kFlags: w.u32(r.flags); break;
    case F::kMode: w.u32(r.mode); break;
    case F::kUmask: w.u32(r.umask); break;
    case F::kOff: w.u64(r.off); break;
    case F::kSize32: w.u32(static_cast<uint32_t>(r.size)); break;
    case F::kSize64: w.u64(r.size); break;
    case F::kData: w.bytes(r.data); break;
    case F::kDatasync: w.u8(r.datasync); break;
    case F::kUid: w.u32(r.uid); break;
    case F::kGid: w.u32(r.gid); break;
    case F::kTimes:
      for (const Timespec& t : r.times) {
        w.i64(t.sec);
        w.u32(t.nsec);
      }
      break;
    case F::kMask: w.u32(r.mask); break;
  }
}

Result<std::string> get_path(wire::Reader& rd, std::string_view field) {
  // One byte more than the limit is read so that "too long" is reported by check_path.
  OMX_ASSIGN(std::string p, rd.str(field, kMaxPath + 1));
  OMX_TRY(check_path(p));
  return p;
}

Status get_times(wire::Reader& rd, Request& r) {
  for (Timespec& t : r.times) {
    OMX_ASSIGN(t.sec, rd.i64("sec"));
    OMX_ASSIGN(t.nsec, rd.u32("nsec"));
    OMX_TRY(check_nsec(t.nsec));
  }
  return {};
}

Status get_field(wire::Reader& rd, F f, Request& r, std::span<const uint8_t>* view) {
  switch (f) {
    case F::kPath: { OMX_ASSIGN(r.path, get_path(rd, "path")); return {}; }
    case F::kTo: { OMX_ASSIGN(r.to, get_path(rd, "to")); return {}; }
    case F::kTarget: {
      OMX_ASSIGN(r.target, rd.str("target", kMaxPath + 1));
      return check_target(r.target);
    }
    case F::kFh: { OMX_ASSIGN(r.fh, rd.u64("fh")); return {}; }
    case F::kCookie: { OMX_ASSIGN(r.cookie, rd.u64("cookie")); return {}; }
    case F::kMaxBytes: {
      OMX_ASSIGN(r.max_bytes, rd.u32("max_bytes"));
      if (r.max_bytes > kMaxReaddir) return bad("readdir", fmt::format("max_bytes {} > {}", r.max_bytes, kMaxReaddir));
      return {};
    }
    case F::kFlags: { OMX_ASSIGN(r.flags, rd.u32("flags")); return {}; }
    case F::kMode: { OMX_ASSIGN(r.mode, rd.u32("mode")); return {}; }
    case F::kUmask: { OMX_ASSIGN(r.umask, rd.u32("umask")); return {}; }
    case F::kOff: { OMX_ASSIGN(r.off, rd.u64("off")); return {}; }
    case F::kSize32: {
      OMX_ASSIGN(r.size, rd.u32("size"));
      if (r.size > kMaxRead) return bad("read", fmt::format("size {} > {}", r.size, kMaxRead));
      return {};
    }
    case F::kSize64: { OMX_ASSIGN(r.size, rd.u64("size")); return {}; }
    case F::kData: {
      OMX_ASSIGN(auto b, rd.bytes("data", kMaxWrite));
      if (view) *view = b;
      else r.data.assign(b.begin(), b.end());
      return {};
    }
    case F::kDatasync: {
      OMX_ASSIGN(r.datasync, rd.u8("datasync"));
      if (r.datasync > 1) return bad("fsync", fmt::format("datasync {} is not 0 or 1", r.datasync));
      return {};
    }
    case F::kUid: { OMX_ASSIGN(r.uid, rd.u32("uid")); return {}; }
    case F::kGid: { OMX_ASSIGN(r.gid, rd.u32("gid")); return {}; }
    case F::kTimes: return get_times(rd, r);
    case F::kMask: { OMX_ASSIGN(r.mask, rd.u32("mask")); return {}; }
  }
  return bad("request", "unknown field");
}

void put_attr(wire::Writer& w, const Attr& a) {
  w.u64(a.ino);
  w.u32(a.mode);
  w.u32(a.nlink);
  w.u32(a.uid);
  w.u32(a.gid);
  w.u64(a.rdev);
  w.u64(a.size);
  w.u64(a.blocks);
  w.u32(a.blksize);
  w.i64(a.atime_ns);
  w.i64(a.mtime_ns);
  w.i64(a.ctime_ns);
}

Status get_attr(wire::Reader& rd, Attr& a) {
  OMX_ASSIGN(a.ino, rd.u64("ino"));
  OMX_ASSIGN(a.mode, rd.u32("mode"));
  OMX_ASSIGN(a.nlink, rd.u32("nlink"));
  OMX_ASSIGN(a.uid, rd.u32("uid"));
  OMX_ASSIGN(a.gid, rd.u32("gid"));
  OMX_ASSIGN(a.rdev, rd.u64("rdev"));
  OMX_ASSIGN(a.size, rd.u64("size"));
  OMX_ASSIGN(a.blocks, rd.u64("blocks"));
  OMX_ASSIGN(a.blksize, rd.u32("blksize"));
  OMX_ASSIGN(a.atime_ns, rd.i64("atime_ns"));
  OMX_ASSIGN(a.mtime_ns, rd.i64("mtime_ns"));
  OMX_ASSIGN(a.ctime_ns, rd.i64("ctime_ns"));
  return {};
}

void put_statfs(wire::Writer& w, const StatFs& s) {
  for (uint64_t v : {s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree}) w.u64(v);
  w.u32(s.namemax);
}

Status get_statfs(wire::Reader& rd, StatFs& s) {
  for (uint64_t* v : {&s.bsize, &s.frsize, &s.blocks, &s.bfree, &s.bavail, &s.files, &s.ffree}) {
    OMX_ASSIGN(*v, rd.u64("statfs"));
  }
  OMX_ASSIGN(s.namemax, rd.u32("namemax"));
  return {};
}

Status check_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxName) return bad("readdir", fmt::format("name of {} bytes", n.size()));
  if (has_nul(n) || n.find('/') != std::string_view::npos) return bad("readdir", "name contains NUL or '/'");
  return {};
}

Status get_entries(wire::Reader& rd, Reply& r) {
  OMX_ASSIGN(uint32_t n, rd.u32("n"));
  // Every entry takes at least this much: a count the payload cannot hold is refused before
  // anything is allocated.
  constexpr size_t kMinEntry = 4 + 1 + 8 + 1 + 8 + kAttrSize;
  if (n > rd.remaining() / kMinEntry) return bad("readdir", fmt::format("{} entries cannot fit", n));
  r.entries.resize(n);
  for (DirEntry& e : r.entries) {
    OMX_ASSIGN(e.name, rd.str("name", kMaxName));
    OMX_TRY(check_name(e.name));
    OMX_ASSIGN(e.ino, rd.u64("ino"));
    OMX_ASSIGN(e.type, rd.u8("type"));
    OMX_ASSIGN(e.next_cookie, rd.u64("next_cookie"));
    OMX_TRY(get_attr(rd, e.attr));
  }
  OMX_ASSIGN(uint8_t eof, rd.u8("eof"));
  if (eof > 1) return bad("readdir", fmt::format("eof {} is not 0 or 1", eof));
  r.eof = eof != 0;
  return {};
}

void put_reply_field(wire::Writer& w, R f, const Reply& r) {
  switch (f) {
    case R::kFh: w.u64(r.fh); break;
    case R::kAttr: put_attr(w, r.attr); break;
    case R::kEntries:
      w.u32(static_cast<uint32_t>(r.entries.size()));
      for (const DirEntry& e : r.entries) {
        w.str(e.name);
        w.u64(e.ino);
        w.u8(e.type);
        w.u64(e.next_cookie);
        put_attr(w, e.attr);
      }
      w.u8(r.eof ? 1 : 0);
      break;
    case R::kData: w.bytes(r.data); break;
    case R::kWritten: w.u32(r.written); break;
    case R::kTarget: w.str(r.target); break;
    case R::kStatfs: put_statfs(w, r.statfs); break;
  }
}

Status get_reply_field(wire::Reader& rd, R f, Reply& r, std::span<const uint8_t>* view) {
  switch (f) {
    case R::kFh: { OMX_ASSIGN(r.fh, rd.u64("fh")); return {}; }
    case R::kAttr: return get_attr(rd, r.attr);
    case R::kEntries: return get_entries(rd, r);
    case R::kData: {
      OMX_ASSIGN(auto b, rd.bytes("data", kMaxRead));
      if (view) *view = b;
      else r.data.assign(b.begin(), b.end());
      return {};
    }
    case R::kWritten: { OMX_ASSIGN(r.written, rd.u32("written")); return {}; }
    case R::kTarget: {
      OMX_ASSIGN(r.target, rd.str("target", kMaxPath + 1));
      return check_target(r.target);
    }
    case R::kStatfs: return get_statfs(rd, r.statfs);
  }
  return bad("reply", "unknown field");
}

}  // namespace

bool is_known_op(uint16_t op) { return op >= kMinOp && op <= kMaxOp; }

std::string op_name(uint16_t op) {
  if (!is_known_op(op)) return fmt::format("op({})", op);
  return ops()[op].name;
}

Status check_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return bad("path", "not absolute");
  if (path.size() > kMaxPath) return bad("path", fmt::format("{} bytes > {}", path.size(), kMaxPath));
  if (has_nul(path)) return bad("path", "contains NUL");
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (path.substr(i, j - i) == "..") return bad("path", "has a '..' component");
    i = j + 1;
  }
  return {};
}

std::vector<uint8_t> encode_request(const Request& r) {
  wire::Writer w(64 + r.path.size() + r.to.size() + r.target.size() + r.data.size());
  w.u64(r.id);
  w.u16(static_cast<uint16_t>(r.op));
  uint16_t op = static_cast<uint16_t>(r.op);
  if (is_known_op(op))
    for (F f : ops()[op].request) put_field(w, f, r);
  return std::move(w).take();
}

size_t encoded_write_size(size_t data_size) { return 8 + 2 + 8 + 8 + 4 + data_size; }

void encode_write_into(const Request& r, std::span<const uint8_t> data, std::span<uint8_t> out) {
  OMX_CHECK(out.size() == encoded_write_size(data.size()), "encode_write_into: wrong buffer size");
  OMX_CHECK(data.size() <= UINT32_MAX, "encode_write_into: data too large");
  uint8_t* p = out.data();
  wire::store_le64(p, r.id);
  wire::store_le16(p + 8, static_cast<uint16_t>(Op::kWrite));
  wire::store_le64(p + 10, r.fh);
  wire::store_le64(p + 18, r.off);
  wire::store_le32(p + 26, static_cast<uint32_t>(data.size()));
  if (!data.empty()) std::memcpy(p + 30, data.data(), data.size());
}

Result<RequestHead> peek_request(std::span<const uint8_t> payload) {
  wire::Reader rd(payload, "mfs request");
  RequestHead h;
  OMX_ASSIGN(h.id, rd.u64("id"));
  OMX_ASSIGN(h.op, rd.u16("op"));
  return h;
}

Result<Request> decode_request(std::span<const uint8_t> payload) {
  return decode_request(payload, nullptr);
}

Result<Request> decode_request(std::span<const uint8_t> payload, std::span<const uint8_t>* data) {
  wire::Reader rd(payload, "mfs request");
  Request r;
  OMX_ASSIGN(r.id, rd.u64("id"));
  OMX_ASSIGN(uint16_t op, rd.u16("op"));
  if (!is_known_op(op)) return make_error(ErrorCode::kInvalid, fmt::format("mfs request: unknown op {}", op));
  r.op = static_cast<Op>(op);
  for (F f : ops()[op].request) OMX_TRY(get_field(rd, f, r, data));
  OMX_TRY(rd.expect_end());
  return r;
}

std::vector<uint8_t> encode_reply(Op op, const Reply& r) {
  wire::Writer w(64 + r.data.size() + r.target.size());
  w.u64(r.id);
  w.u32(static_cast<uint32_t>(r.err));
  uint16_t o = static_cast<uint16_t>(op);
  if (r.err == 0 && is_known_op(o))
    for (R f : ops()[o].reply) put_reply_field(w, f, r);
  return std::move(w).take();
}

Result<Reply> decode_reply(Op op, std::span<const uint8_t> payload) {
  return decode_reply(op, payload, nullptr);
}

Result<Reply> decode_reply(Op op, std::span<const uint8_t> payload, std::span<const uint8_t>* data) {
  wire::Reader rd(payload, "mfs reply");
  Reply r;
  OMX_ASSIGN(r.id, rd.u64("id"));
  OMX_ASSIGN(uint32_t err, rd.u32("err"));
  r.err = static_cast<int32_t>(err);
  if (r.err < 0 || r.err > 4095) return bad("reply", fmt::format("errno {} out of range", r.err));
  uint16_t o = static_cast<uint16_t>(op);
  if (!is_known_op(o)) return make_error(ErrorCode::kInvalid, fmt::format("mfs reply: unknown op {}", o));
  if (r.err == 0)
    for (R f : ops()[o].reply) OMX_TRY(get_reply_field(rd, f, r, data));
  OMX_TRY(rd.expect_end());
  return r;
}

}  // namespace omx::mfs
