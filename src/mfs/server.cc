#include "mfs/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>
#include <span>

#include "base/fault.h"
#include "base/log.h"
#include "mfs/path_resolver.h"
#include "mfs/protocol.h"
#include "wire/codec.h"

namespace omx::mfs {
namespace {

auto log() { return log::get("mfs"); }

Attr to_attr(const struct statx& s) {
  auto ns = [](const struct statx_timestamp& t) {
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  };
  Attr a;
  a.ino = s.stx_ino;
  a.mode = s.stx_mode;
  a.nlink = s.stx_nlink;
  a.uid = s.stx_uid;
  a.gid = s.stx_gid;
  a.rdev = makedev(s.stx_rdev_major, s.stx_rdev_minor);
  a.size = s.stx_size;
  a.blocks = s.stx_blocks;
  a.blksize = s.stx_blksize;
  a.atime_ns = ns(s.stx_atime);
  a.mtime_ns = ns(s.stx_mtime);
  a.ctime_ns = ns(s.stx_ctime);
  return a;
}

// The name to pass to *at calls: "." for the directory itself.
const char* nm(const Located& l) { return l.name.empty() ? "." : l.name.c_str(); }

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t mode) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
  return fd < 0 ? -errno : fd;
}

// The open flags a client may ask for; anything else is dropped.
constexpr uint32_t kOpenFlagMask = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT |
                                   O_LARGEFILE | O_DIRECTORY | O_NOATIME | O_TRUNC | O_CREAT | O_EXCL;

struct Handle {
  ScopedFd fd;           // files; also the fd of `dir`'s stream for directories
  DIR* dir = nullptr;    // directories (owns its fd)
  bool is_dir = false;
  bool empty = false;    // a directory of our own /mfs: lists nothing
  bool top = false;      // the served root: proc, sys, dev left out of its listing
  Attr attr;             // `empty` directories: their attributes at opendir
  Handle() = default;
  Handle(Handle&& o) noexcept
      : fd(std::move(o.fd)), dir(std::exchange(o.dir, nullptr)), is_dir(o.is_dir),
        empty(o.empty), top(o.top), attr(o.attr) {}
  Handle& operator=(Handle&&) = delete;
  ~Handle() {
    if (dir) ::closedir(dir);
  }
  int raw_fd() const { return dir ? ::dirfd(dir) : fd.get(); }
};

class Server {
 public:
  Server(FrameTransport& t, PathResolver r, const MfsServerConfig& cfg)
      : t_(t), paths_(std::move(r)), cfg_(cfg) {}
  int run(const wire::Frame& first);

 private:
  using OpFn = int (Server::*)(const Request&, Reply&);
  bool serve_frame(const wire::Frame& f);
  bool send_reply(Op op, const Reply& r);
  std::optional<bool> serve_read(const Request& q);
  int dispatch(const Request& q, Reply& r);
  Handle* find(uint64_t fh, bool dir);
  uint64_t add(Handle h);
  int fill_entries(Handle& h, const Request& q, Reply& r);
  int open_existing(const Located& l, const struct statx& st, uint32_t flags, ScopedFd& out);
  int stat_reply(int dirfd, const char* name, Reply& r);

  int op_getattr(const Request& q, Reply& r);
  int op_opendir(const Request& q, Reply& r);
  int op_readdir(const Request& q, Reply& r);
  int op_releasedir(const Request& q, Reply& r);
  int op_open(const Request& q, Reply& r);
  int op_create(const Request& q, Reply& r);
  int op_read(const Request& q, Reply& r);
  int op_write(const Request& q, Reply& r);
  int op_release(const Request& q, Reply& r);
  int op_fsync(const Request& q, Reply& r);
  int op_flush(const Request& q, Reply& r);
  int op_truncate(const Request& q, Reply& r);
  int op_rename(const Request& q, Reply& r);
  int op_unlink(const Request& q, Reply& r);
  int op_rmdir(const Request& q, Reply& r);
  int op_mkdir(const Request& q, Reply& r);
  int op_symlink(const Request& q, Reply& r);
  int op_readlink(const Request& q, Reply& r);
  int op_link(const Request& q, Reply& r);
  int op_chmod(const Request& q, Reply& r);
  int op_chown(const Request& q, Reply& r);
  int op_utimens(const Request& q, Reply& r);
  int op_statfs(const Request& q, Reply& r);
  int op_access(const Request& q, Reply& r);

  FrameTransport& t_;
  std::span<const uint8_t> data_;  // the current write request's data, in its frame
  PathResolver paths_;
  MfsServerConfig cfg_;
  std::map<uint64_t, Handle> handles_;
  uint64_t next_fh_ = 1;
};

int Server::run(const wire::Frame& first) {
  ::umask(0);  // create/mkdir carry the caller's umask
  if (!serve_frame(first)) return 1;
  wire::Frame f;  // reused: a 1 MiB write's buffer is not allocated anew for each request
  for (;;) {
    if (auto st = t_.recv_into(f, cfg_.idle); !st.ok()) {
      if (st.error().code == ErrorCode::kTimeout) {
        log()->info("session idle for {} ms: closing", cfg_.idle.count());
        return 0;
      }
      if (wire::is_peer_closed(st.error())) return 0;
      log()->warn("session ended: {}", st.error().message());
      return 1;
    }
    if (f.type == wire::MsgType::kClose) return 0;
    if (!serve_frame(f)) return 1;
  }
}

bool Server::send_reply(Op op, const Reply& r) {
  if (fault::hit("mfs.server.reply")) return true;  // lost reply: the client times out
  auto st = t_.send(wire::MsgType::kMfsReply, encode_reply(op, r));
  if (!st.ok()) log()->warn("reply to {} {}: {}", op_name(op), r.id, st.error().message());
  return st.ok();
}

bool Server::serve_frame(const wire::Frame& f) {
  if (f.type != wire::MsgType::kMfsRequest) {
    log()->warn("dropped a {} frame: not an mfs request", wire::msg_type_name(f.type));
    return true;
  }
  fault::hit_or_die("mfs.server.crash");
  data_ = {};
  auto q = decode_request(f.payload, &data_);  // write data: viewed in the frame, not copied
  if (!q.ok()) {
    auto head = peek_request(f.payload);
    log()->warn("bad mfs request: {}", q.error().message());
    if (!head.ok()) return true;  // not even an id: dropped
    int err = q.error().code == ErrorCode::kInvalid ? ENOSYS : EPROTO;
    return send_reply(Op::kGetattr, error_reply(head->id, err));
  }
  bool refused = cfg_.nomfs || (cfg_.refuse && *cfg_.refuse);
  if (q->op == Op::kRead && !refused) {
    if (auto sent = serve_read(*q)) return *sent;
  }
  Reply r;
  r.id = q->id;
  r.err = refused ? EACCES : dispatch(*q, r);
  return send_reply(q->op, r);
}

// A read whose data is pread straight into the transport's send buffer, the reply's header put
// in front of it (the layout of encode_reply: id u64, err u32, data as u32 length + bytes).
// nullopt: not done here (no such handle), the general path answers.
std::optional<bool> Server::serve_read(const Request& q) {
  Handle* h = find(q.fh, false);
  if (!h) return std::nullopt;
  constexpr size_t kHead = 8 + 4 + 4;
  auto body = t_.prepare(kHead + q.size);
  if (!body.ok()) return std::nullopt;
  uint8_t* p = body->data();
  ssize_t n = ::pread(h->fd.get(), p + kHead, q.size, static_cast<off_t>(q.off));
  if (n < 0) return send_reply(Op::kRead, error_reply(q.id, errno));
  if (static_cast<size_t>(n) < q.size) {  // short (end of file): the general path
    Reply r;
    r.id = q.id;
    r.data.assign(p + kHead, p + kHead + n);
    return send_reply(Op::kRead, r);
  }
  if (fault::hit("mfs.server.reply")) return true;  // lost reply: the client times out
  wire::store_le64(p, q.id);
  wire::store_le32(p + 8, 0);
  wire::store_le32(p + 12, static_cast<uint32_t>(n));
  auto st = t_.send_prepared(wire::MsgType::kMfsReply);
  if (!st.ok()) log()->warn("reply to read {}: {}", q.id, st.error().message());
  return st.ok();
}

int Server::dispatch(const Request& q, Reply& r) {
  static constexpr OpFn kOps[kMaxOp + 1] = {
      nullptr,              &Server::op_getattr, &Server::op_opendir,  &Server::op_readdir,
      &Server::op_releasedir, &Server::op_open,  &Server::op_create,   &Server::op_read,
      &Server::op_write,    &Server::op_release, &Server::op_fsync,    &Server::op_flush,
      &Server::op_truncate, &Server::op_rename,  &Server::op_unlink,   &Server::op_rmdir,
      &Server::op_mkdir,    &Server::op_symlink, &Server::op_readlink, &Server::op_link,
      &Server::op_chmod,    &Server::op_chown,   &Server::op_utimens,  &Server::op_statfs,
      &Server::op_access};
  auto o = static_cast<uint16_t>(q.op);
  if (!is_known_op(o)) return ENOSYS;
  return (this->*kOps[o])(q, r);
}

Handle* Server::find(uint64_t fh, bool dir) {
  auto it = handles_.find(fh);
  if (it == handles_.end() || it->second.is_dir != dir) return nullptr;
  return &it->second;
}

uint64_t Server::add(Handle h) {
  uint64_t fh = next_fh_++;
  handles_.emplace(fh, std::move(h));
  return fh;
}

int Server::stat_reply(int dirfd, const char* name, Reply& r) {
  struct statx st {};
  if (int e = paths_.stat_at(dirfd, name, st)) return e;
  if (!is_served_type(st.stx_mode)) return ENOENT;
  r.attr = to_attr(st);
  return 0;
}

// ---- attributes and directories ----

int Server::op_getattr(const Request& q, Reply& r) {
  if (q.fh) {
    Handle* h = find(q.fh, false);
    if (!h) h = find(q.fh, true);
    if (!h) return EBADF;
    if (h->empty) {
      r.attr = h->attr;
      return 0;
    }
    return stat_reply(h->raw_fd(), "", r);
  }
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  r.attr = to_attr(st);
  return 0;
}

int Server::op_opendir(const Request& q, Reply& r) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (!S_ISDIR(st.stx_mode)) return ENOTDIR;
  Handle h;
  h.is_dir = true;
  h.top = split_path(q.path).empty();
  if (l.own_mfs) {
    h.empty = true;
    h.attr = to_attr(st);
  } else {
    int fd = sys_openat2(l.dir.get(), nm(l), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) return -fd;
    h.dir = ::fdopendir(fd);
    if (!h.dir) {
      int e = errno;
      ::close(fd);
      return e;
    }
  }
  r.fh = add(std::move(h));
  return 0;
}

int Server::op_readdir(const Request& q, Reply& r) {
  Handle* h = find(q.fh, true);
  if (!h) return EBADF;
  if (h->empty) {
    r.eof = true;
    return 0;
  }
  return fill_entries(*h, q, r);
}

int Server::fill_entries(Handle& h, const Request& q, Reply& r) {
  if (q.cookie == 0) ::rewinddir(h.dir);
  else ::seekdir(h.dir, static_cast<long>(q.cookie));
  size_t budget = q.max_bytes > 17 ? q.max_bytes - 17 : 0;  // id, err, n, eof
  size_t used = 0;
  for (;;) {
    errno = 0;
    struct dirent* d = ::readdir(h.dir);
    if (!d) {
      if (errno != 0 && r.entries.empty()) return errno;
      r.eof = errno == 0;
      return 0;
    }
    std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    if (h.top && (name == "proc" || name == "sys" || name == "dev")) continue;
    DirEntry e;
    e.name = name;
    e.type = d->d_type;
    e.next_cookie = static_cast<uint64_t>(::telldir(h.dir));
    struct statx st {};
    if (paths_.stat_at(::dirfd(h.dir), d->d_name, st) != 0 || !is_served_type(st.stx_mode))
      continue;  // excluded (special file, proc mount) or gone meanwhile
    e.ino = st.stx_ino;
    e.attr = to_attr(st);
    if (!r.entries.empty() && used + encoded_size(e) > budget) {
      ::seekdir(h.dir, static_cast<long>(r.entries.back().next_cookie));
      return 0;
    }
    used += encoded_size(e);
    r.entries.push_back(std::move(e));
  }
}

int Server::op_releasedir(const Request& q, Reply&) {
  if (!find(q.fh, true)) return EBADF;
  handles_.erase(q.fh);
  return 0;
}

// ---- files ----

int Server::open_existing(const Located& l, const struct statx& st, uint32_t flags, ScopedFd& out) {
  if ((flags & O_TMPFILE) == O_TMPFILE) return EINVAL;
  uint32_t f = (flags & kOpenFlagMask & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  if (l.own_mfs) return EACCES;
  int fd = sys_openat2(l.dir.get(), nm(l), f, 0);
  if (fd < 0) return -fd;
  out.reset(fd);
  struct statx now {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO, &now) != 0) return errno;
  if (now.stx_ino != st.stx_ino || !is_served_type(now.stx_mode)) return ENOENT;  // raced
  if (!(flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
    return errno;
  return 0;
}

int Server::op_open(const Request& q, Reply& r) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  Handle h;
  if (int e = open_existing(l, st, q.flags, h.fd)) return e;
  if (int e = stat_reply(h.fd.get(), "", r)) return e;
  r.fh = add(std::move(h));
  return 0;
}

int Server::op_create(const Request& q, Reply& r) {
  Located l;
  if (int e = paths_.locate(q.path, l)) return e;
  if (l.name.empty()) return EISDIR;
  if ((q.flags & O_TMPFILE) == O_TMPFILE) return EINVAL;
  uint32_t f = (q.flags & kOpenFlagMask & ~O_DIRECTORY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
               O_NONBLOCK;
  int fd = sys_openat2(l.dir.get(), nm(l), f, q.mode & ~q.umask & 07777);
  if (fd < 0) return -fd;
  Handle h;
  h.fd.reset(fd);
  if (int e = stat_reply(fd, "", r)) return e;
  if (!S_ISREG(r.attr.mode)) return ENOENT;  // a FIFO was there: not ours to open
  if (!(q.flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
    return errno;
  r.fh = add(std::move(h));
  return 0;
}

int Server::op_read(const Request& q, Reply& r) {
  Handle* h = find(q.fh, false);
  if (!h) return EBADF;
  r.data.resize(q.size);
  ssize_t n = ::pread(h->fd.get(), r.data.data(), q.size, static_cast<off_t>(q.off));
  if (n < 0) return errno;
  r.data.resize(static_cast<size_t>(n));
  return 0;
}

int Server::op_write(const Request& q, Reply& r) {
  Handle* h = find(q.fh, false);
  if (!h) return EBADF;
  // serve_frame decodes with the data viewed in the frame (data_); q.data for a direct caller.
  std::span<const uint8_t> d = q.data.empty() ? data_ : std::span<const uint8_t>(q.data);
  ssize_t n = ::pwrite(h->fd.get(), d.data(), d.size(), static_cast<off_t>(q.off));
  if (n < 0) return errno;
  r.written = static_cast<uint32_t>(n);
  return 0;
}

int Server::op_release(const Request& q, Reply&) {
  if (!find(q.fh, false)) return EBADF;
  handles_.erase(q.fh);
  return 0;
}

int Server::op_fsync(const Request& q, Reply&) {
  Handle* h = find(q.fh, false);
  if (!h) h = find(q.fh, true);
  if (!h) return EBADF;
  if (h->empty) return 0;
  int rc = q.datasync ? ::fdatasync(h->raw_fd()) : ::fsync(h->raw_fd());
  return rc == 0 ? 0 : errno;
}

int Server::op_flush(const Request& q, Reply&) { return find(q.fh, false) ? 0 : EBADF; }

int Server::op_truncate(const Request& q, Reply&) {
  if (q.fh) {
    Handle* h = find(q.fh, false);
    if (!h) return EBADF;
    return ::ftruncate(h->fd.get(), static_cast<off_t>(q.size)) == 0 ? 0 : errno;
  }
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (S_ISDIR(st.stx_mode)) return EISDIR;
  if (!S_ISREG(st.stx_mode)) return EINVAL;
  ScopedFd fd;
  if (int e = open_existing(l, st, O_WRONLY, fd)) return e;
  return ::ftruncate(fd.get(), static_cast<off_t>(q.size)) == 0 ? 0 : errno;
}

// ---- names ----

int Server::op_rename(const Request& q, Reply&) {
  if (q.flags & ~static_cast<uint32_t>(RENAME_NOREPLACE | RENAME_EXCHANGE)) return EINVAL;
  Located from, to;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, from, st)) return e;
  if (int e = paths_.locate(q.to, to)) return e;
  struct statx tst {};
  int te = paths_.stat_at(to.dir.get(), nm(to), tst);
  if (te == 0 && !is_served_type(tst.stx_mode)) return ENOENT;  // would replace a special file
  if (te == ENOENT && (q.flags & RENAME_EXCHANGE)) return ENOENT;
  if (from.own_mfs || (te == 0 && paths_.kind_of_mount(tst.stx_mnt_id) == MountKind::kOwnMfs))
    return EBUSY;
  int rc = ::renameat2(from.dir.get(), nm(from), to.dir.get(), nm(to), q.flags);
  return rc == 0 ? 0 : errno;
}

int Server::op_unlink(const Request& q, Reply&) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (S_ISDIR(st.stx_mode)) return EISDIR;
  return ::unlinkat(l.dir.get(), nm(l), 0) == 0 ? 0 : errno;
}

int Server::op_rmdir(const Request& q, Reply&) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (!S_ISDIR(st.stx_mode)) return ENOTDIR;
  if (l.own_mfs) return EBUSY;
  return ::unlinkat(l.dir.get(), nm(l), AT_REMOVEDIR) == 0 ? 0 : errno;
}

int Server::op_mkdir(const Request& q, Reply& r) {
  Located l;
  if (int e = paths_.locate(q.path, l)) return e;
  if (::mkdirat(l.dir.get(), nm(l), q.mode & ~q.umask & 07777) != 0) return errno;
  return stat_reply(l.dir.get(), nm(l), r);
}

int Server::op_symlink(const Request& q, Reply& r) {
  Located l;
  if (int e = paths_.locate(q.path, l)) return e;
  if (::symlinkat(q.target.c_str(), l.dir.get(), nm(l)) != 0) return errno;
  return stat_reply(l.dir.get(), nm(l), r);
}

int Server::op_readlink(const Request& q, Reply& r) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (!S_ISLNK(st.stx_mode)) return EINVAL;
  std::string buf(kMaxPath + 1, '\0');
  ssize_t n = ::readlinkat(l.dir.get(), nm(l), buf.data(), buf.size());
  if (n < 0) return errno;
  if (n == 0 || static_cast<size_t>(n) > kMaxPath) return ENAMETOOLONG;
  buf.resize(static_cast<size_t>(n));
  if (buf.find('\0') != std::string::npos) return EIO;
  r.target = std::move(buf);
  return 0;
}

int Server::op_link(const Request& q, Reply& r) {
  Located from, to;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, from, st)) return e;
  if (S_ISDIR(st.stx_mode)) return EPERM;
  if (int e = paths_.locate(q.to, to)) return e;
  if (::linkat(from.dir.get(), nm(from), to.dir.get(), nm(to), 0) != 0) return errno;
  return stat_reply(to.dir.get(), nm(to), r);
}

// ---- metadata ----

int Server::op_chmod(const Request& q, Reply&) {
  if (q.fh) {
    Handle* h = find(q.fh, false);
    if (!h) return EBADF;
    return ::fchmod(h->fd.get(), q.mode & 07777) == 0 ? 0 : errno;
  }
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (S_ISLNK(st.stx_mode)) return EOPNOTSUPP;
  if (l.own_mfs) return EACCES;
  return ::fchmodat(l.dir.get(), nm(l), q.mode & 07777, 0) == 0 ? 0 : errno;
}

int Server::op_chown(const Request& q, Reply&) {
  auto uid = static_cast<uid_t>(q.uid);
  auto gid = static_cast<gid_t>(q.gid);
  if (q.fh) {
    Handle* h = find(q.fh, false);
    if (!h) return EBADF;
    return ::fchown(h->fd.get(), uid, gid) == 0 ? 0 : errno;
  }
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (l.own_mfs) return EACCES;
  return ::fchownat(l.dir.get(), nm(l), uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

int Server::op_utimens(const Request& q, Reply&) {
  struct timespec ts[2];
  for (int i = 0; i < 2; ++i) {
    ts[i].tv_sec = static_cast<time_t>(q.times[i].sec);
    ts[i].tv_nsec = static_cast<long>(q.times[i].nsec);
  }
  if (q.fh) {
    Handle* h = find(q.fh, false);
    if (!h) return EBADF;
    return ::futimens(h->fd.get(), ts) == 0 ? 0 : errno;
  }
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (l.own_mfs) return EACCES;
  return ::utimensat(l.dir.get(), nm(l), ts, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

int Server::op_statfs(const Request& q, Reply& r) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  r.statfs.namemax = 255;
  if (l.own_mfs) return 0;  // our own /mfs: zero blocks, never a request to its client
  int fd = sys_openat2(l.dir.get(), nm(l), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return -fd;
  ScopedFd owned(fd);
  struct statvfs v {};
  if (::fstatvfs(fd, &v) != 0) return errno;
  r.statfs = StatFs{v.f_bsize, v.f_frsize, v.f_blocks, v.f_bfree, v.f_bavail, v.f_files,
                    v.f_ffree, static_cast<uint32_t>(v.f_namemax)};
  return 0;
}

int Server::op_access(const Request& q, Reply&) {
  Located l;
  struct statx st {};
  if (int e = paths_.locate_existing(q.path, l, st)) return e;
  if (q.mask & ~static_cast<uint32_t>(R_OK | W_OK | X_OK)) return EINVAL;
  if (l.own_mfs) return (q.mask & W_OK) ? EACCES : 0;
  return ::faccessat(l.dir.get(), nm(l), static_cast<int>(q.mask), 0) == 0 ? 0 : errno;
}

}  // namespace

wire::SessionOwner effective_owner(const wire::SessionOwner& owner, bool allow_root) {
  if (owner.uid != 0 || allow_root) return owner;
  return wire::SessionOwner{kSquashedUid, kSquashedGid, {}};
}

Status become_owner(const wire::SessionOwner& owner, bool allow_root) {
  wire::SessionOwner o = effective_owner(owner, allow_root);
  std::vector<gid_t> groups(o.groups.begin(), o.groups.end());
  if (::setgroups(groups.size(), groups.data()) != 0) return sys_error("setgroups");
  if (::setresgid(o.gid, o.gid, o.gid) != 0) return sys_error("setresgid");
  if (::setresuid(o.uid, o.uid, o.uid) != 0) return sys_error("setresuid");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_DUMPABLE)");
  return {};
}

int run_server(FrameTransport& t, const wire::Frame& first, const MfsServerConfig& cfg) {
  auto paths = PathResolver::open(cfg.root);
  if (!paths.ok()) {
    log()->error("mfs server: {}", paths.error().message());
    return 1;
  }
  Server s(t, std::move(*paths), cfg);
  return s.run(first);
}

}  // namespace omx::mfs
