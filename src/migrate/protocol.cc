#include "migrate/protocol.h"

#include <sys/stat.h>

#include <cstring>

#include <fmt/format.h>

#include "wire/codec.h"

namespace omx::migrate {

std::vector<uint8_t> encode(const Offer& o) {
  wire::Writer w;
  w.u32(o.uid);
  w.u32(o.gid);
  w.u32(static_cast<uint32_t>(o.groups.size()));
  for (uint32_t g : o.groups) w.u32(g);
  w.u32(static_cast<uint32_t>(o.files.size()));
  for (const FileIdentity& f : o.files) {
    w.str(f.path);
    w.u64(f.size);
    w.i64(f.mtime_ns);
  }
  w.u8(o.policy.balance ? 1 : 0);
  w.u8(o.policy.locked ? 1 : 0);
  w.u8(o.policy.hint);
  w.u64(o.policy.cpu_ms);
  if (!o.shared_dirs.empty() || !o.mfs_mount.empty()) {
    w.u32(static_cast<uint32_t>(o.shared_dirs.size()));
    for (const std::string& d : o.shared_dirs) w.str(d);
  }
  if (!o.mfs_mount.empty()) w.str(o.mfs_mount);
  return std::move(w).take();
}

Result<Offer> decode_offer(std::span<const uint8_t> b) {
  wire::Reader r(b, "migration offer");
  Offer o;
  OMX_ASSIGN(o.uid, r.u32("uid"));
  OMX_ASSIGN(o.gid, r.u32("gid"));
  OMX_ASSIGN(uint32_t ng, r.u32("group count"));
  if (ng > 65536) return make_error(ErrorCode::kProtocol, "offer: too many groups");
  for (uint32_t i = 0; i < ng; ++i) {
    OMX_ASSIGN(o.groups.emplace_back(), r.u32("group"));
  }
  OMX_ASSIGN(uint32_t nf, r.u32("file count"));
  if (nf > 65536) return make_error(ErrorCode::kProtocol, "offer: too many files");
  for (uint32_t i = 0; i < nf; ++i) {
    FileIdentity f;
    OMX_ASSIGN(f.path, r.str("path", 4096));
    OMX_ASSIGN(f.size, r.u64("size"));
    OMX_ASSIGN(f.mtime_ns, r.i64("mtime"));
    o.files.push_back(std::move(f));
  }
  OMX_ASSIGN(uint8_t balance, r.u8("balance"));
  OMX_ASSIGN(uint8_t locked, r.u8("locked"));
  OMX_ASSIGN(o.policy.hint, r.u8("hint"));
  if (balance > 1 || locked > 1 || o.policy.hint > 2)
    return make_error(ErrorCode::kProtocol, "offer: bad balancing policy");
  o.policy.balance = balance;
  o.policy.locked = locked;
  OMX_ASSIGN(o.policy.cpu_ms, r.u64("cpu time"));
  if (r.remaining() > 0) {  // DFSA shared directories
    OMX_ASSIGN(uint32_t nd, r.u32("shared dir count"));
    if (nd > 64) return make_error(ErrorCode::kProtocol, "offer: bad shared dir count");
    for (uint32_t i = 0; i < nd; ++i) {
      OMX_ASSIGN(std::string d, r.str("shared dir", 4096));
      if (d.empty() || d[0] != '/') return make_error(ErrorCode::kProtocol, "offer: shared dir not absolute");
      o.shared_dirs.push_back(std::move(d));
    }
    if (r.remaining() > 0) {  // home's /mfs mount point
      OMX_ASSIGN(o.mfs_mount, r.str("mfs mount", 4096));
      if (o.mfs_mount.empty() || o.mfs_mount[0] != '/')
        return make_error(ErrorCode::kProtocol, "offer: mfs mount not absolute");
    } else if (nd == 0) {
      return make_error(ErrorCode::kProtocol, "offer: bad shared dir count");
    }
  }
  OMX_TRY(r.expect_end());
  return o;
}

std::vector<uint8_t> encode_policy(bool balance, bool locked) {
  wire::Writer w;
  w.u8(balance ? 1 : 0);
  w.u8(locked ? 1 : 0);
  return std::move(w).take();
}

Status decode_policy(std::span<const uint8_t> b, BalancePolicy& into) {
  wire::Reader r(b, "balance policy");
  OMX_ASSIGN(uint8_t balance, r.u8("balance"));
  OMX_ASSIGN(uint8_t locked, r.u8("locked"));
  if (balance > 1 || locked > 1) return make_error(ErrorCode::kProtocol, "balance policy: bad flags");
  OMX_TRY(r.expect_end());
  into.balance = balance;
  into.locked = locked;
  return ok_status();
}

std::vector<uint8_t> encode(const BodyStats& s) {
  wire::Writer w;
  w.u64(s.cpu_ms);
  w.u64(s.rss_bytes);
  w.u16(s.home_wait_permille);
  w.u32(s.fwd_calls_per_s);
  w.u64(s.fwd_bytes_per_s);
  w.u32(s.local_calls_per_s);
  return std::move(w).take();
}

Result<BodyStats> decode_body_stats(std::span<const uint8_t> b) {
  wire::Reader r(b, "body stats");
  BodyStats s;
  OMX_ASSIGN(s.cpu_ms, r.u64("cpu_ms"));
  OMX_ASSIGN(s.rss_bytes, r.u64("rss_bytes"));
  if (r.remaining() == 0) return s;  // the first form (a guest from before the I/O meter)
  OMX_ASSIGN(s.home_wait_permille, r.u16("home_wait_permille"));
  if (s.home_wait_permille > 1000)
    return make_error(ErrorCode::kProtocol, "body stats: home_wait_permille above 1000");
  OMX_ASSIGN(s.fwd_calls_per_s, r.u32("fwd_calls_per_s"));
  OMX_ASSIGN(s.fwd_bytes_per_s, r.u64("fwd_bytes_per_s"));
  OMX_ASSIGN(s.local_calls_per_s, r.u32("local_calls_per_s"));
  OMX_TRY(r.expect_end());
  return s;
}

Result<FileIdentity> identify_file(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return sys_error("stat " + path);
  return FileIdentity{path, static_cast<uint64_t>(st.st_size),
                      st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec};
}

std::vector<uint8_t> encode_fd_query(int32_t fd) {
  wire::Writer w;
  w.u32(static_cast<uint32_t>(fd));
  return std::move(w).take();
}

Result<int32_t> decode_fd_query(std::span<const uint8_t> b) {
  wire::Reader r(b, "fd query");
  OMX_ASSIGN(uint32_t fd, r.u32("fd"));
  OMX_TRY(r.expect_end());
  if (static_cast<int32_t>(fd) < 0) return make_error(ErrorCode::kProtocol, "fd query: negative fd");
  return static_cast<int32_t>(fd);
}

std::vector<uint8_t> encode(const FdInfo& i) {
  wire::Writer w;
  w.u32(static_cast<uint32_t>(i.fd));
  w.u32(static_cast<uint32_t>(i.err));
  w.str(i.path);
  w.u32(i.mode);
  w.u64(i.ino);
  w.u64(i.size);
  w.u32(i.flags);
  w.u64(i.pos);
  w.u8(i.shared ? 1 : 0);
  w.u8(i.locked ? 1 : 0);
  return std::move(w).take();
}

Result<FdInfo> decode_fd_info(std::span<const uint8_t> b) {
  wire::Reader r(b, "fd info");
  FdInfo i;
  OMX_ASSIGN(uint32_t fd, r.u32("fd"));
  OMX_ASSIGN(uint32_t err, r.u32("errno"));
  i.fd = static_cast<int32_t>(fd);
  i.err = static_cast<int32_t>(err);
  OMX_ASSIGN(i.path, r.str("path", 4096));
  OMX_ASSIGN(i.mode, r.u32("mode"));
  OMX_ASSIGN(i.ino, r.u64("ino"));
  OMX_ASSIGN(i.size, r.u64("size"));
  OMX_ASSIGN(i.flags, r.u32("flags"));
  OMX_ASSIGN(i.pos, r.u64("pos"));
  OMX_ASSIGN(uint8_t shared, r.u8("shared"));
  OMX_ASSIGN(uint8_t locked, r.u8("locked"));
  OMX_TRY(r.expect_end());
  if (shared > 1 || locked > 1 || i.fd < 0 || i.err < 0)
    return make_error(ErrorCode::kProtocol, "fd info: bad field");
  i.shared = shared;
  i.locked = locked;
  return i;
}

bool have_identical_file(const FileIdentity& f) {
  auto mine = identify_file(f.path);
  return mine.ok() && mine->size == f.size && mine->mtime_ns == f.mtime_ns;
}

// Ack kinds on the wire.
enum class AckKind : uint8_t { kFailed = 0, kOk = 1, kRefused = 2 };

std::vector<uint8_t> encode_ack(const Status& s) {
  wire::Writer w;
  AckKind k = s.ok() ? AckKind::kOk
                     : s.error().code == ErrorCode::kRefused ? AckKind::kRefused : AckKind::kFailed;
  w.u8(static_cast<uint8_t>(k));
  w.str(s.ok() ? "" : s.error().message());
  return std::move(w).take();
}

Status decode_ack(std::span<const uint8_t> b) {
  wire::Reader r(b, "migration ack");
  OMX_ASSIGN(uint8_t kind, r.u8("kind"));
  OMX_ASSIGN(std::string why, r.str("error", 4096));
  OMX_TRY(r.expect_end());
  switch (static_cast<AckKind>(kind)) {
    case AckKind::kOk: return ok_status();
    case AckKind::kRefused: return make_error(ErrorCode::kRefused, "peer: " + why);
    case AckKind::kFailed: return make_error(ErrorCode::kProtocol, "peer: " + why);
  }
  return make_error(ErrorCode::kProtocol, "migration ack: bad kind");
}

std::vector<uint8_t> encode(const ExitInfo& e) {
  wire::Writer w;
  w.u8(e.by_signal ? 1 : 0);
  w.u32(static_cast<uint32_t>(e.code));
  return std::move(w).take();
}

Result<ExitInfo> decode_exit(std::span<const uint8_t> b) {
  wire::Reader r(b, "exit");
  ExitInfo e;
  OMX_ASSIGN(uint8_t sig, r.u8("kind"));
  OMX_ASSIGN(uint32_t code, r.u32("code"));
  OMX_TRY(r.expect_end());
  e.by_signal = sig != 0;
  e.code = static_cast<int>(code);
  if ((e.by_signal && (e.code <= 0 || e.code > 64)) || (!e.by_signal && e.code > 255))
    return make_error(ErrorCode::kProtocol, "exit: bad code");
  return e;
}

std::vector<uint8_t> encode_body_nice(int nice) {
  wire::Writer w(4);
  w.u32(static_cast<uint32_t>(nice));
  return std::move(w).take();
}

Result<int> decode_body_nice(std::span<const uint8_t> b) {
  wire::Reader r(b, "body nice");
  OMX_ASSIGN(uint32_t v, r.u32("nice"));
  OMX_TRY(r.expect_end());
  int nice = static_cast<int32_t>(v);
  if (nice < -20 || nice > 19) return make_error(ErrorCode::kProtocol, fmt::format("body nice {}", nice));
  return nice;
}

Result<wire::Frame> expect(wire::Channel& ch, wire::MsgType want, wire::Duration timeout,
                           std::optional<wire::MsgType> skip) {
  wire::Frame f;
  do {
    OMX_ASSIGN(f, ch.recv(timeout));
  } while (skip && f.type == *skip);
  if (f.type == want) return f;
  if (f.type == wire::MsgType::kError || f.type == wire::MsgType::kMigrateAck) {
    wire::Reader r(f.payload);
    if (f.type == wire::MsgType::kMigrateAck) {
      Status s = decode_ack(f.payload);
      if (!s.ok()) return std::move(s.error());
    } else if (auto why = r.str("reason", 4096); why.ok()) {
      return make_error(ErrorCode::kRefused, "peer: " + *why);
    }
  }
  return make_error(ErrorCode::kProtocol,
                    fmt::format("expected frame {:#x}, got {:#x}", static_cast<unsigned>(want),
                                static_cast<unsigned>(f.type)));
}

}  // namespace omx::migrate
