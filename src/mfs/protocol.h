// MFS protocol: the messages of /mfs between a node's FUSE client and another node's file server
// (docs/mfs-dfsa-design.md §1.3). One request frame (wire::MsgType::kMfsRequest) gets exactly one
// reply frame (kMfsReply) with the same id. Gated by the negotiated feature bit kFeatureMfs.
//
//   request: id u64 | op u16 | op fields
//   reply:   id u64 | err i32 (0, or a positive errno) | op fields (only when err == 0)
//
// All integers little-endian (wire::Writer/Reader), strings and byte blobs as u32 length + bytes.
// A path is an absolute path on the serving node: starts with '/', at most kMaxPath bytes, no NUL,
// no ".." component. Fields per op (Request / Reply members used):
//
//   op              request                                 reply (err == 0)
//    1 getattr      path, fh (0: none)                      attr
//    2 opendir      path                                    fh
//    3 readdir      fh, cookie, max_bytes (<= kMaxReaddir)  entries (n u32 x DirEntry), eof u8
//    4 releasedir   fh                                      -
//    5 open         path, flags                             fh, attr
//    6 create       path, flags, mode, umask                fh, attr
//    7 read         fh, off, size (u32, <= kMaxRead)        data
//    8 write        fh, off, data (<= kMaxWrite)            written u32
//    9 release      fh                                      -
//   10 fsync        fh, datasync u8                         -
//   11 flush        fh                                      -
//   12 truncate     path, fh, size (u64)                    -
//   13 rename       path (from), to, flags (RENAME_*)       -
//   14 unlink       path                                    -
//   15 rmdir        path                                    -
//   16 mkdir        path, mode, umask                       attr
//   17 symlink      target, path                            attr
//   18 readlink     path                                    target
//   19 link         path (from), to                         attr
//   20 chmod        path, fh, mode                          -
//   21 chown        path, fh, uid, gid (u32(-1): unchanged) -
//   22 utimens      path, fh, times[2] {sec i64, nsec u32}  -   (nsec < 1e9, UTIME_NOW or UTIME_OMIT)
//   23 statfs       path                                    statfs
//   24 access       path, mask                              -
//
// With a non-zero fh, getattr/truncate/chmod/chown/utimens act on that handle and the path is
// only informative (it must still be a valid path). An unknown op is not a decode error the server
// can answer without its id: decode_request reports it with ErrorCode::kInvalid and the server
// replies ENOSYS (peek_request gives the id).
//
// Threading: pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "wire/handshake.h"

namespace omx::mfs {

using wire::kFeatureMfs;  // 1 << 16 (wire/handshake.h)

inline constexpr uint32_t kMaxPath = 4096;           // bytes of a path or symlink target
inline constexpr uint32_t kMaxName = 255;            // bytes of one readdir entry name
inline constexpr uint32_t kMaxRead = 1u << 20;       // read size
inline constexpr uint32_t kMaxWrite = 1u << 20;      // write data
inline constexpr uint32_t kMaxReaddir = 64u << 10;   // readdir max_bytes
// u32(-1) in chown: leave unchanged.
inline constexpr uint32_t kUnchanged = 0xffffffffu;
// Linux UTIME_NOW / UTIME_OMIT, passed through in Timespec::nsec.
inline constexpr uint32_t kUtimeNow = (1u << 30) - 1;
inline constexpr uint32_t kUtimeOmit = (1u << 30) - 2;

enum class Op : uint16_t {
  kGetattr = 1,
  kOpendir = 2,
  kReaddir = 3,
  kReleasedir = 4,
  kOpen = 5,
  kCreate = 6,
  kRead = 7,
  kWrite = 8,
  kRelease = 9,
  kFsync = 10,
  kFlush = 11,
  kTruncate = 12,
  kRename = 13,
  kUnlink = 14,
  kRmdir = 15,
  kMkdir = 16,
  kSymlink = 17,
  kReadlink = 18,
  kLink = 19,
  kChmod = 20,
  kChown = 21,
  kUtimens = 22,
  kStatfs = 23,
  kAccess = 24,
};
inline constexpr uint16_t kMinOp = 1;
inline constexpr uint16_t kMaxOp = 24;

bool is_known_op(uint16_t op);
// "getattr", ..., or "op(N)" for unknown values.
std::string op_name(uint16_t op);
inline std::string op_name(Op op) { return op_name(static_cast<uint16_t>(op)); }

// Attributes of a file, as stat(2) gives them. Encoded as
//   ino u64 | mode u32 | nlink u32 | uid u32 | gid u32 | rdev u64 | size u64 | blocks u64 |
//   blksize u32 | atime_ns i64 | mtime_ns i64 | ctime_ns i64        (76 bytes)
struct Attr {
  uint64_t ino = 0;
  uint32_t mode = 0;
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units
  uint32_t blksize = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const Attr&) const = default;
};
inline constexpr size_t kAttrSize = 76;

// fstatvfs figures of the filesystem holding a path.
struct StatFs {
  uint64_t bsize = 0;
  uint64_t frsize = 0;
  uint64_t blocks = 0;
  uint64_t bfree = 0;
  uint64_t bavail = 0;
  uint64_t files = 0;
  uint64_t ffree = 0;
  uint32_t namemax = 0;
  bool operator==(const StatFs&) const = default;
};

// One readdir entry: name u32+bytes (1..kMaxName, no '/' or NUL) | ino u64 | type u8 (DT_*) |
// next_cookie u64 (pass it back to continue after this entry) | Attr.
struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = 0;
  uint64_t next_cookie = 0;
  Attr attr;
  bool operator==(const DirEntry&) const = default;
};
// Bytes one entry takes in a readdir reply (for filling up to max_bytes).
inline size_t encoded_size(const DirEntry& e) { return 4 + e.name.size() + 8 + 1 + 8 + kAttrSize; }

struct Timespec {
  int64_t sec = 0;
  uint32_t nsec = 0;  // < 1e9, or kUtimeNow / kUtimeOmit
  bool operator==(const Timespec&) const = default;
};

// A request. Only the fields of its op (table above) are encoded; the others are ignored.
struct Request {
  uint64_t id = 0;
  Op op = Op::kGetattr;
  std::string path;    // every path op; rename/link: the source
  std::string to;      // rename/link: the destination path
  std::string target;  // symlink: the link's contents (any string, <= kMaxPath, no NUL)
  uint64_t fh = 0;
  uint64_t cookie = 0;     // readdir
  uint32_t max_bytes = 0;  // readdir
  uint32_t flags = 0;      // open/create: O_* flags; rename: RENAME_* flags
  uint32_t mode = 0;       // create/mkdir/chmod
  uint32_t umask = 0;      // create/mkdir
  uint64_t off = 0;        // read/write
  uint64_t size = 0;       // read: u32 on the wire (<= kMaxRead); truncate: u64
  std::vector<uint8_t> data;  // write
  uint8_t datasync = 0;       // fsync
  uint32_t uid = kUnchanged;  // chown
  uint32_t gid = kUnchanged;  // chown
  Timespec times[2];          // utimens: atime, mtime
  uint32_t mask = 0;          // access: F_OK or R_OK|W_OK|X_OK
  bool operator==(const Request&) const = default;
};

// A reply. err != 0: nothing else is encoded.
struct Reply {
  uint64_t id = 0;
  int32_t err = 0;
  uint64_t fh = 0;                 // opendir/open/create
  Attr attr;                       // getattr/open/create/mkdir/symlink/link
  std::vector<DirEntry> entries;   // readdir
  bool eof = false;                // readdir
  std::vector<uint8_t> data;       // read
  uint32_t written = 0;            // write
  std::string target;              // readlink
  StatFs statfs;                   // statfs
  bool operator==(const Reply&) const = default;
};

// Path rules above: absolute, <= kMaxPath, no NUL, no ".." component (kProtocol names the rule).
Status check_path(std::string_view path);

std::vector<uint8_t> encode_request(const Request& r);
// A write request (id, fh, off of r; op write) carrying `data` (r.data is ignored), encoded into
// `out` of exactly encoded_write_size(data.size()) bytes: the same bytes as encode_request, but
// straight into the caller's buffer (the channel's frame buffer) with no allocation.
size_t encoded_write_size(size_t data_size);
void encode_write_into(const Request& r, std::span<const uint8_t> data, std::span<uint8_t> out);
// Every malformed payload is an error naming why: truncated, trailing bytes, unknown op
// (kInvalid: the id was read, reply ENOSYS), bad path, size over a limit.
Result<Request> decode_request(std::span<const uint8_t> payload);
// The same, but a data field (write) is not copied into Request::data: *data views it in payload.
Result<Request> decode_request(std::span<const uint8_t> payload, std::span<const uint8_t>* data);

// The id and raw op of a request, for answering one that does not decode.
struct RequestHead {
  uint64_t id = 0;
  uint16_t op = 0;
};
Result<RequestHead> peek_request(std::span<const uint8_t> payload);

// The reply's layout depends on the request's op, which the reply does not carry.
std::vector<uint8_t> encode_reply(Op op, const Reply& r);
Result<Reply> decode_reply(Op op, std::span<const uint8_t> payload);
// The same, but a data field (read) is not copied into Reply::data: *data views it in payload.
Result<Reply> decode_reply(Op op, std::span<const uint8_t> payload, std::span<const uint8_t>* data);

inline Reply error_reply(uint64_t id, int err) {
  Reply r;
  r.id = id;
  r.err = err;
  return r;
}

}  // namespace omx::mfs
