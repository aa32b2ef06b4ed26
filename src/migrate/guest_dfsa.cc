#include "migrate/guest_dfsa.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <climits>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"
#include "migrate/dfsa_paths.h"
#include "migrate/syscall_request.h"
#include "proc/vma.h"
#include "syscall/syscall_table.h"

namespace omx::migrate {
namespace {

using wire::MsgType;
constexpr wire::Duration kQueryTimeout{30000};
constexpr uint64_t kDfsaScratch = 4 * arch::kPageSize;  // code page + a path (<= 4096 + NUL)
auto log() { return log::get("dfsa"); }

bool plausible_fd(uint64_t v) { return static_cast<int64_t>(v) >= 0 && v < (1u << 20); }

}  // namespace

GuestDfsa::GuestDfsa(proc::Tracee& body, const proc::ProcessMemory& mem, wire::Channel& ch,
                     std::vector<std::string> dirs, MfsHere mfs, FrameHook hook)
    : body_(body), mem_(mem), ch_(ch), dirs_(std::move(dirs)), mfs_(std::move(mfs)), hook_(std::move(hook)) {}

std::vector<siginfo_t> GuestDfsa::take_deferred() { return std::exchange(deferred_, {}); }

Result<GuestDfsa::Action> GuestDfsa::on_call(const arch::Registers& regs) {
  if (!enabled()) return Action::kNone;
  int64_t nr = regs.syscall_no();
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = regs.arg(i);
  bool empty_path = false;
  if (nr == SYS_newfstatat || nr == SYS_statx) {
    uint8_t c = 1;
    if (args[1] && mem_.read(RemotePtr<void>(args[1]), std::span<uint8_t>(&c, 1)).ok()) empty_path = c == 0;
  }
  if (nr == SYS_open || nr == SYS_openat || nr == SYS_creat) {
    OMX_ASSIGN(std::optional<Action> opened, try_open_local(nr, args, regs));
    if (opened) return *opened;
    return Action::kNone;
  }
  if (nr == SYS_chdir || nr == SYS_fchdir) cwd_.reset();  // made at home: ask again
  if (is_path_only_call(nr)) {
    OMX_ASSIGN(std::optional<Action> made, try_path_call(nr, regs));
    if (made) return *made;
  }
  FdCall kind = classify_fd_call(nr, args, empty_path);
  if (kind == FdCall::kNoFd) return Action::kNone;
  if (kind == FdCall::kData && plausible_fd(args[0])) {
    int fd = static_cast<int>(args[0]);
    switch (table_.state(fd)) {
      case FdState::kLent:
        if (table_.lent(fd)->via_mfs && mfs_refused_) {  // mosctl nomfs since: refused
          result_ = -EACCES;
          return Action::kFinish;
        }
        ++local_calls_;
        return Action::kLocal;
      case FdState::kHome:
        return Action::kNone;
      case FdState::kUnknown:
        return try_promote(fd, regs);
    }
  }
  // Any other call naming a lent fd: demote it first, then the call is made again (and
  // forwarded). close_range names a range.
  if (nr == SYS_close_range) {
    uint64_t hi = std::min<uint64_t>(args[1], INT_MAX);
    for (int fd : table_.lent_fds()) {
      if (static_cast<uint64_t>(fd) < args[0] || static_cast<uint64_t>(fd) > hi) continue;
      OMX_TRY(demote(fd, regs));
      return Action::kRestart;
    }
    if (args[0] <= hi) table_.forget_range(static_cast<int>(args[0]), static_cast<int>(hi));
    return Action::kNone;
  }
  const syscall::SyscallInfo* info = syscall::syscall_info(static_cast<int>(nr));
  for (int i = 0; info && i < info->nargs; ++i) {
    if (info->args[i].kind != syscall::ArgKind::kFd || !plausible_fd(args[i])) continue;
    int fd = static_cast<int>(args[i]);
    if (table_.state(fd) == FdState::kLent) {
      // close needs no copy at home: closed here, then the placeholder is closed there.
      Status st = demote(fd, regs, nr == SYS_close);
      if (!st.ok() && st.error().code != ErrorCode::kVanished) {
        log()->warn("{}: {}; the call fails with EIO", syscall::syscall_name(static_cast<int>(nr)),
                    st.error().message());
        result_ = -EIO;
        return Action::kFinish;  // the fd stays as it was
      }
      OMX_TRY(st);
      return Action::kRestart;
    }
  }
  // Numbers closed or replaced at home: ask again when they come back.
  if (nr == SYS_close && plausible_fd(args[0])) table_.forget(static_cast<int>(args[0]));
  if ((nr == SYS_dup2 || nr == SYS_dup3) && plausible_fd(args[1])) table_.forget(static_cast<int>(args[1]));
  return Action::kNone;
}

std::optional<std::string> GuestDfsa::read_path(uint64_t addr) {
  if (!addr) return std::nullopt;
  std::string out;
  while (out.size() <= 4096) {
    uint64_t at = addr + out.size();
    size_t chunk = std::min<uint64_t>(256, arch::kPageSize - (at % arch::kPageSize));
    char buf[256];
    if (!mem_.read(RemotePtr<void>(at), std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), chunk)).ok())
      return std::nullopt;
    for (size_t i = 0; i < chunk; ++i) {
      if (buf[i] == '\0') return out;
      out += buf[i];
    }
  }
  return std::nullopt;
}

std::optional<size_t> GuestDfsa::local_offset(const std::string& p) {
  if (p.empty() || p[0] != '/') return std::nullopt;  // relative: would need home's cwd
  if (path_under(p, dirs_)) return size_t{0};
  if (mfs_.mount.empty() || mfs_refused_) return std::nullopt;
  auto off = mfs_local_offset(p, mfs_.mount, mfs_.node);
  if (!off || !mfs_servable(std::string_view(p).substr(*off))) return std::nullopt;
  return off;
}

bool GuestDfsa::mfs_servable(std::string_view x) {
  if (!resolver_) {
    auto r = mfs::PathResolver::open("/", /*no_symlinks=*/true);
    if (!r.ok()) return false;
    resolver_.emplace(std::move(*r));
  }
  // Any failure (excluded, a symlink on the way, a missing parent): forwarded, and home's /mfs
  // answers as it always did.
  mfs::Located at;
  if (resolver_->locate(x, at) != 0) return false;
  struct statx st {};
  int flags = AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC | (at.name.empty() ? AT_EMPTY_PATH : 0);
  if (::statx(at.dir.get(), at.name.c_str(), flags, STATX_TYPE | STATX_MNT_ID, &st) != 0)
    return errno == ENOENT;  // not there (yet): the call creates it or fails alike here
  // A final symlink would be followed on the caller's node; devices, FIFOs and sockets are
  // not served; nor is anything on a proc-like or /mfs mount.
  if (!S_ISREG(st.stx_mode) && !S_ISDIR(st.stx_mode)) return false;
  return (st.stx_mask & STATX_MNT_ID) && resolver_->kind_of_mount(st.stx_mnt_id) == mfs::MountKind::kNormal;
}

Result<std::optional<std::string>> GuestDfsa::home_path(const std::string& p, int64_t dirfd) {
  if (p.empty()) return std::optional<std::string>();  // AT_EMPTY_PATH: the fd's business
  if (p[0] == '/') return std::optional<std::string>(p);
  if (static_cast<int>(dirfd) != AT_FDCWD) return std::optional<std::string>();
  if (!cwd_) {
    SyscallRequest req;
    req.nr = SYS_getcwd;
    req.args = {0, 4096, 0, 0, 0, 0};
    SyscallBuffer b;
    b.arg = 0;
    b.dir = BufDir::kOut;
    b.capacity = 4096;
    req.bufs.push_back(std::move(b));
    OMX_TRY(ch_.send(MsgType::kSyscallRequest, encode(req)));
    OMX_ASSIGN(wire::Frame f, await(MsgType::kSyscallReply));
    OMX_ASSIGN(SyscallReply reply, decode_reply(f.payload));
    if (reply.result <= 0 || reply.out.empty()) return std::optional<std::string>();  // not cached
    const std::vector<uint8_t>& d = reply.out[0];
    std::string cwd(d.begin(), std::find(d.begin(), d.end(), uint8_t{0}));
    if (cwd.empty() || cwd[0] != '/') return std::optional<std::string>();  // "(unreachable)"
    cwd_ = std::move(cwd);
  }
  if (cwd_->size() + 1 + p.size() > 4096) return std::optional<std::string>();  // ENAMETOOLONG at home
  return std::optional<std::string>(*cwd_ + "/" + p);
}

Result<std::optional<GuestDfsa::Action>> GuestDfsa::try_path_call(int64_t nr, const arch::Registers& regs) {
  const syscall::SyscallInfo* info = syscall::syscall_info(static_cast<int>(nr));
  if (!info) return std::optional<Action>();
  // Each path argument's local form: `here` (X, or the path itself under a shared dir), and
  // whether it lies inside the process's string at `offset` (absolute paths) or must be
  // written to a scratch area (relative ones, made absolute with home's cwd).
  struct PathArg {
    int i;
    std::string here;
    size_t offset;  // where `here` begins in the absolute path
    bool relative;
  };
  std::vector<PathArg> paths;
  bool symlink = nr == SYS_symlink || nr == SYS_symlinkat;
  for (int i = 0; i < info->nargs; ++i) {
    if (info->args[i].kind != syscall::ArgKind::kPath) continue;
    auto p = read_path(regs.arg(i));
    if (!p) return std::optional<Action>();
    // The dirfd of a *at call is the argument before its path. A symlink's target is text,
    // stored verbatim: it must be absolute (and local) as it is.
    int64_t dirfd = i > 0 && info->args[i - 1].kind == syscall::ArgKind::kFd
                        ? static_cast<int64_t>(regs.arg(i - 1)) : AT_FDCWD;
    bool relative = !p->empty() && (*p)[0] != '/';
    if (relative && symlink) return std::optional<Action>();
    OMX_ASSIGN(std::optional<std::string> abs, home_path(*p, dirfd));
    std::optional<size_t> off = abs ? local_offset(*abs) : std::nullopt;
    if (!off) return std::optional<Action>();
    paths.push_back({i, abs->substr(*off), *off, relative});
  }
  // offset > 0: an /mfs/<here> path (under a shared dir the local path is the path itself).
  size_t via_mfs = std::count_if(paths.begin(), paths.end(), [](const PathArg& a) { return a.offset > 0; });
  // Both paths of a rename or link through /mfs, or neither (home would see two filesystems:
  // EXDEV); a symlink's target is never rewritten.
  if (paths.empty() || (via_mfs && (symlink || via_mfs != paths.size()))) return std::optional<Action>();
  ++local_path_calls_;
  if (via_mfs) ++mfs_local_;
  bool inject = std::any_of(paths.begin(), paths.end(), [](const PathArg& a) { return a.relative; });
  if (inject) {  // the same call, made in the body with the local absolute paths
    OMX_TRY(with_scratch(regs, [&](proc::RemoteSyscaller& rs) -> Status {
      uint64_t a[6];
      for (int i = 0; i < 6; ++i) a[i] = regs.arg(i);
      uint64_t at = 0;
      for (const PathArg& p : paths) {
        OMX_ASSIGN(RemotePtr<char> s, rs.put_string(p.here, at));
        a[p.i] = s.addr();
        at += 6144;  // two paths at most, each <= 4097 bytes
      }
      OMX_ASSIGN(result_, rs.call(nr, {a[0], a[1], a[2], a[3], a[4], a[5]}));
      return ok_status();
    }));
    // Interrupted by a signal (ERESTARTSYS..ERESTART_RESTARTBLOCK, kernel-internal codes the
    // process must never see): nothing was done; the process makes the call again.
    if (result_ <= -512 && result_ >= -516) return std::optional<Action>(Action::kRestart);
    return std::optional<Action>(Action::kFinish);
  }
  if (!via_mfs) return std::optional<Action>(Action::kLocal);
  // Pointed at /mfs/<here>/X's X inside the process's string for the call only: the process
  // gets its registers back at the exit stop.
  arch::Registers local = regs;
  for (const PathArg& p : paths) local.set_arg(p.i, regs.arg(p.i) + p.offset);
  OMX_TRY(body_.set_regs(local));
  OMX_ASSIGN(arch::Registers after, body_.run_to_syscall_exit());
  for (int i = 0; i < 6; ++i) after.set_arg(i, regs.arg(i));
  OMX_TRY(body_.set_regs(after));
  OMX_TRY(body_.cont(0));
  return std::optional<Action>(Action::kMade);
}

Status GuestDfsa::restart(const arch::Registers& regs) {
  arch::Registers r = regs;
  r.set_ip(r.ip() - arch::kSyscallInsnSize);
  r.set_result(r.syscall_no());
  r.set_syscall_no(-1);
  OMX_TRY(body_.set_regs(r));
  return body_.cont(0);
}

Result<wire::Frame> GuestDfsa::await(MsgType want) {
  for (;;) {
    OMX_ASSIGN(wire::Frame f, ch_.recv(kQueryTimeout));
    if (f.type == want) return f;
    OMX_TRY(hook_(f));
  }
}

Result<FdInfo> GuestDfsa::ask_home(int fd) {
  OMX_TRY(ch_.send(MsgType::kFdQuery, encode_fd_query(fd)));
  OMX_ASSIGN(wire::Frame f, await(MsgType::kFdInfo));
  OMX_ASSIGN(FdInfo info, decode_fd_info(f.payload));
  if (info.fd != fd) return make_error(ErrorCode::kProtocol, "fd info for another fd");
  return info;
}

Result<int64_t> GuestDfsa::forward_plain(int nr, std::initializer_list<uint64_t> args) {
  SyscallRequest req;
  req.nr = nr;
  int i = 0;
  for (uint64_t a : args) req.args[static_cast<size_t>(i++)] = a;
  OMX_TRY(ch_.send(MsgType::kSyscallRequest, encode(req)));
  OMX_ASSIGN(wire::Frame f, await(MsgType::kSyscallReply));
  OMX_ASSIGN(SyscallReply reply, decode_reply(f.payload));
  return reply.result;
}

Status GuestDfsa::with_scratch(const arch::Registers& regs,
                               const std::function<Status(proc::RemoteSyscaller&)>& fn) {
  OMX_ASSIGN(std::vector<proc::Vma> vmas, proc::read_vmas(body_.pid()));
  OMX_ASSIGN(proc::ScratchArea scratch,
             proc::create_scratch(body_, mem_, vmas, regs, kDfsaScratch, &deferred_));
  proc::RemoteSyscaller rs(body_, mem_, scratch, regs);
  Status st = fn(rs);
  Status gone = rs.call_unmapping_self(SYS_munmap, {scratch.base, scratch.size});
  deferred_.insert(deferred_.end(), rs.deferred().begin(), rs.deferred().end());
  OMX_TRY(st);
  return gone;
}

Result<GuestDfsa::Action> GuestDfsa::try_promote(int fd, const arch::Registers& regs) {
  OMX_ASSIGN(FdInfo info, ask_home(fd));
  table_.set_home(fd);  // unless lent below
  // A home fd on /mfs/<this node>/X is lent as X.
  std::string here_path = info.path;
  bool via_mfs = false;
  if (info.err == 0 && S_ISREG(info.mode) && !path_under(info.path, dirs_)) {
    if (auto off = local_offset(info.path); off && *off) {
      here_path = info.path.substr(*off);
      via_mfs = true;
    }
  }
  if (std::string why = promotion_refusal(info, dirs_, via_mfs); !why.empty()) {
    log()->debug("fd {} stays at home: {}", fd, why);
    return Action::kNone;
  }
  if (auto st = fault::check("dfsa.promote"); !st.ok()) {
    log()->info("fd {} stays at home: {}", fd, st.error().message());
    return Action::kNone;
  }
  uint32_t flags = reopen_flags(info.flags);
  Status st = with_scratch(regs, [&](proc::RemoteSyscaller& rs) -> Status {
    OMX_ASSIGN(RemotePtr<char> path, rs.put_string(here_path));
    OMX_ASSIGN(uint64_t k, rs.call_checked("openat", SYS_openat,
                                           {static_cast<uint64_t>(AT_FDCWD), path.addr(), flags, 0}));
    auto placed = [&]() -> Status {
      RemotePtr<void> st_at = rs.scratch().data() + 8192;  // after the path (<= 4097 bytes)
      OMX_TRY(rs.call_checked("fstat", SYS_fstat, {k, st_at.addr()}));
      OMX_ASSIGN(struct stat here, rs.get_struct<struct stat>(st_at));
      if (!S_ISREG(here.st_mode) || static_cast<uint64_t>(here.st_size) != info.size)
        return make_error(ErrorCode::kRefused,
                          fmt::format("{} differs here (size {} at home, {} here)", info.path,
                                      info.size, here.st_size));
      if (!(info.flags & O_APPEND))
        OMX_TRY(rs.call_checked("lseek", SYS_lseek, {k, info.pos, SEEK_SET}));
      if (k != static_cast<uint64_t>(fd))
        OMX_TRY(rs.call_checked("dup3", SYS_dup3, {k, static_cast<uint64_t>(fd), flags & O_CLOEXEC}));
      return ok_status();
    }();
    if (k != static_cast<uint64_t>(fd) || !placed.ok()) (void)rs.call(SYS_close, {k});
    return placed;
  });
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kVanished) return std::move(st.error());
    log()->info("fd {} ({}) stays at home: {}", fd, info.path, st.error().message());
    return Action::kRestart;  // the body went through a stop of ours: make the call again
  }
  table_.set_lent(fd, LentFd{info.path, flags, false, via_mfs});
  ++promotions_;
  log()->info("fd {} ({}, offset {}) lent to the body{}", fd, info.path, info.pos,
              via_mfs ? " as " + here_path : std::string());
  return Action::kRestart;
}

Result<int64_t> GuestDfsa::forward_open(const std::string& path, uint32_t flags) {
  SyscallRequest req;
  req.nr = SYS_openat;
  req.args = {static_cast<uint64_t>(AT_FDCWD), 0, flags, 0, 0, 0};
  SyscallBuffer b;
  b.arg = 1;
  b.dir = BufDir::kIn;
  b.data.assign(path.begin(), path.end());
  b.data.push_back(0);
  b.capacity = static_cast<uint32_t>(b.data.size());
  req.bufs.push_back(std::move(b));
  OMX_TRY(ch_.send(MsgType::kSyscallRequest, encode(req)));
  OMX_ASSIGN(wire::Frame f, await(MsgType::kSyscallReply));
  OMX_ASSIGN(SyscallReply reply, decode_reply(f.payload));
  return reply.result;
}

Result<std::optional<GuestDfsa::Action>> GuestDfsa::try_open_local(int64_t nr, const uint64_t args[6],
                                                                   const arch::Registers& regs) {
  if (std::exchange(forward_next_open_, false)) return std::optional<Action>();
  int path_arg = nr == SYS_openat ? 1 : 0;
  uint32_t flags = nr == SYS_creat ? (O_CREAT | O_WRONLY | O_TRUNC) : static_cast<uint32_t>(args[path_arg + 1]);
  uint64_t mode = nr == SYS_creat ? args[1] : args[path_arg + 2];
  if (flags & (O_PATH | O_DIRECTORY | __O_TMPFILE)) return std::optional<Action>();
  auto raw = read_path(args[path_arg]);
  if (!raw) return std::optional<Action>();
  // Relative: made absolute with home's cwd (openat's dirfd must be AT_FDCWD).
  OMX_ASSIGN(std::optional<std::string> path,
             home_path(*raw, nr == SYS_openat ? static_cast<int64_t>(args[0]) : AT_FDCWD));
  std::optional<size_t> off = path ? local_offset(*path) : std::nullopt;
  if (!off) return std::optional<Action>();
  // The body opens it here; home's placeholder (and a reopen at home) names *path.
  std::string here_path = path->substr(*off);
  if (auto st = fault::check("dfsa.promote"); !st.ok()) {
    log()->info("open of {} forwarded: {}", *path, st.error().message());
    return std::optional<Action>();
  }
  // 1. The open itself, in the body: its errno is the local kernel's, returned natively.
  int64_t k = -1;
  bool regular = false;
  OMX_TRY(with_scratch(regs, [&](proc::RemoteSyscaller& rs) -> Status {
    OMX_ASSIGN(RemotePtr<char> p, rs.put_string(here_path));
    OMX_ASSIGN(k, rs.call(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), p.addr(), flags, mode}));
    if (k < 0) return ok_status();
    RemotePtr<void> st_at = rs.scratch().data() + 8192;
    OMX_TRY(rs.call_checked("fstat", SYS_fstat, {static_cast<uint64_t>(k), st_at.addr()}));
    OMX_ASSIGN(struct stat here, rs.get_struct<struct stat>(st_at));
    regular = S_ISREG(here.st_mode);
    if (!regular) (void)rs.call(SYS_close, {static_cast<uint64_t>(k)});
    return ok_status();
  }));
  if (*off) ++mfs_local_;  // made here, failed or not
  if (k < 0) {
    result_ = k;
    return std::optional<Action>(Action::kFinish);
  }
  if (!regular) {  // a device, FIFO...: made at home as before (it had no effect here)
    forward_next_open_ = true;
    return std::optional<Action>(Action::kRestart);
  }
  // 2. Home allocates the number: an O_PATH placeholder of the same path (or of "/" when home
  // does not see it, e.g. just created on a mismatched "shared" dir).
  uint32_t cloexec = flags & O_CLOEXEC;
  OMX_ASSIGN(int64_t v, forward_open(*path, O_PATH | cloexec));
  if (v < 0) {
    OMX_ASSIGN(v, forward_open("/", O_PATH | cloexec));
  }
  // 3. The body's file goes to that number.
  OMX_TRY(with_scratch(regs, [&](proc::RemoteSyscaller& rs) -> Status {
    if (v >= 0 && k != v) OMX_TRY(rs.call_checked("dup3", SYS_dup3, {static_cast<uint64_t>(k), static_cast<uint64_t>(v), cloexec}));
    if (v < 0 || k != v) (void)rs.call(SYS_close, {static_cast<uint64_t>(k)});
    return ok_status();
  }));
  result_ = v;
  if (v >= 0) {
    table_.set_lent(static_cast<int>(v), LentFd{*path, reopen_flags(flags), true, *off > 0});
    ++local_opens_;
  }
  return std::optional<Action>(Action::kFinish);
}

Status GuestDfsa::demote(int fd, const arch::Registers& regs, bool at_exit) {
  OMX_TRY(fault::check("dfsa.demote"));
  LentFd lent = *table_.lent(fd);
  int64_t pos = -1;
  int64_t w = -1;  // opened here: the file reopened at home first (a failure changes nothing)
  // Under mosctl nomfs home's /mfs refuses the reopen: the placeholder stays (calls on it fail).
  bool refused = lent.via_mfs && mfs_refused_;
  if (lent.opened_here && !at_exit && !refused) {
    OMX_ASSIGN(w, forward_open(lent.path, lent.flags & ~static_cast<uint32_t>(O_CLOEXEC)));
    if (w < 0)
      return make_error(ErrorCode::kRefused,
                        fmt::format("fd {}: {} cannot be reopened at home (errno {})", fd, lent.path, -w));
  }
  OMX_TRY(with_scratch(regs, [&](proc::RemoteSyscaller& rs) -> Status {
    OMX_ASSIGN(pos, rs.call(SYS_lseek, {static_cast<uint64_t>(fd), 0, SEEK_CUR}));
    if (fd > 2) {
      OMX_TRY(rs.call_checked("close", SYS_close, {static_cast<uint64_t>(fd)}));
      return ok_status();
    }
    // 0-2 of the body held /dev/null (restore): put it back.
    OMX_ASSIGN(RemotePtr<char> path, rs.put_string("/dev/null"));
    OMX_ASSIGN(uint64_t k, rs.call_checked("openat", SYS_openat,
                                           {static_cast<uint64_t>(AT_FDCWD), path.addr(), O_RDWR, 0}));
    OMX_TRY(rs.call_checked("dup3", SYS_dup3, {k, static_cast<uint64_t>(fd), 0}));
    OMX_TRY(rs.call_checked("close", SYS_close, {k}));
    return ok_status();
  }));
  table_.set_home(fd);
  ++demotions_;
  if (w >= 0) {  // home held a placeholder: the reopened file takes its number
    if (w != fd) {
      OMX_ASSIGN(int64_t d, forward_plain(SYS_dup3, {static_cast<uint64_t>(w), static_cast<uint64_t>(fd),
                                                     lent.flags & O_CLOEXEC}));
      (void)forward_plain(SYS_close, {static_cast<uint64_t>(w)});
      if (d < 0) return make_error(ErrorCode::kRefused, fmt::format("fd {}: dup3 at home failed", fd));
    }
  }
  if (lent.opened_here && (at_exit || refused)) pos = -1;
  if (pos >= 0) {
    OMX_ASSIGN(int64_t r, forward_plain(SYS_lseek, {static_cast<uint64_t>(fd), static_cast<uint64_t>(pos), SEEK_SET}));
    if (r < 0) log()->warn("fd {}: offset {} not set at home (errno {})", fd, pos, -r);
  }
  log()->info("fd {} back at home at offset {}", fd, pos);
  return ok_status();
}

Status GuestDfsa::demote_all(const arch::Registers& regs, bool at_exit) {
  for (int fd : table_.lent_fds()) OMX_TRY(demote(fd, regs, at_exit));
  if (promotions_ || local_path_calls_ || local_opens_)
    log()->info("{} data calls, {} path calls and {} opens made here ({} of them on /mfs/{}), "
                "{} fds lent, {} returned", local_calls_, local_path_calls_, local_opens_, mfs_local_,
                mfs_.node, promotions_, demotions_);
  return ok_status();
}

}  // namespace omx::migrate
