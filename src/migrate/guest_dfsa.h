// DFSA in the guest supervisor (docs/mfs-dfsa-design.md §3.2-3.4, first step §3.6): fds the
// process opened at home under a shared directory are *lent* to the body lazily, and data
// calls on them then run on this node's kernel instead of being forwarded.
//
// At the first data call (read, write, pread, lseek, fstat, ...) on home fd N the guest asks
// home once (kFdQuery -> kFdInfo). If N is a regular file under a directory shared by both
// nodes, its description is not shared and not locked, the body opens the same path (same
// flags, same size checked) and puts it at N at the same offset (injected openat, fstat,
// lseek, dup3, close through a scratch area), and the trapped call is made again: now the
// guest lets it run. Any other call naming a lent fd (close, dup2, fcntl locks, ioctl, ...)
// demotes it first: its offset goes home (a synthesised forwarded lseek) and the body's copy is
// closed; then the call is forwarded as before. Before the process goes home or exits, every
// lent fd is demoted. Home's fd table stays the only allocator of numbers, so forwarded calls
// are unchanged. Path calls that leave nothing at home (stat, access, mkdir, unlink, rename,
// ...) whose paths are all under a shared directory run on the body's kernel too. A relative
// path (against the cwd: AT_FDCWD) is made absolute with home's cwd, asked once with a
// forwarded getcwd and forgotten at chdir/fchdir; such a call is injected in the body with the
// absolute path from a scratch area (the body keeps no cwd of its own); a relative path
// against another dirfd is forwarded. open/openat/creat of
// such a path opens the file in the body and puts it at the number an O_PATH placeholder got
// at home (a forwarded openat), so home stays the one allocator of fd numbers; going home
// reopens it there by path at the same offset.
//
// /mfs of this node: a path `/mfs/<this node>/X` or `/mfs/here/X` (home's /mfs mount point
// from the offer) names X on this very node, so the call runs here on X with no round trip
// home and none through FUSE: a path call is let run with its path register pointed at X
// inside the process's own string (the seccomp filter is re-run on the changed call, and
// allows it: SECCOMP_RET_TRACE's recheck), and put back at the call's exit stop (the syscall
// ABI preserves argument registers, and compiled code may rely on it); an open is made in the body on X and home's
// placeholder names the /mfs path (going home reopens that, through home's /mfs); a home fd
// whose path is /mfs/<this node>/X is lent as X. Only when X resolves here as it would through
// /mfs: no symlink on the way (the FUSE client would resolve it on the caller's node), not
// excluded by the /mfs server (/proc, /sys, /dev, devices, FIFOs, sockets, proc-like or /mfs
// mounts; mfs::PathResolver decides, as in the server), not under nomfs (also set later:
// refuse_mfs), not uid 0 unless --mfs-root; otherwise the call is forwarded as before. A failed promotion leaves the fd at home (fault point dfsa.promote); a failed
// demotion fails the move home, which leaves the process running here (dfsa.demote).
//
// Single-threaded: the guest supervisor's thread, with the body in a ptrace stop.
#pragma once

#include <signal.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "arch/x86_64/regs.h"
#include "base/result.h"
#include "mfs/path_resolver.h"
#include "migrate/fd_table.h"
#include "migrate/protocol.h"
#include "proc/memory.h"
#include "proc/remote_syscall.h"
#include "proc/tracee.h"
#include "wire/channel.h"

namespace omx::migrate {

// /mfs as the body's process sees it at home: `mount` ("" none) and the node the body runs on.
struct MfsHere {
  std::string mount;
  uint32_t node = 0;
};

class GuestDfsa {
 public:
  // Frames from home that arrive while DFSA waits for its own replies (kSignal, kMigrateHome):
  // the guest handles them as it does during a forwarded call.
  using FrameHook = std::function<Status(const wire::Frame&)>;
  enum class Action : uint8_t {
    kNone = 0,     // not DFSA's business: handle the call as usual
    kLocal = 1,    // a data call on a lent fd: let it run on the body's kernel
    kRestart = 2,  // the body's fds changed: make the trapped call again (restart())
    kFinish = 3,   // DFSA made the call (a local open): it returns result()
    kMade = 4,     // DFSA let the body make it (a path call on /mfs/<here>): the body runs on
  };

  // `dirs`: the effective shared directories (effective_dirs()); empty disables DFSA.
  // `mfs`: /mfs paths of this node run here too (mount "": no).
  GuestDfsa(proc::Tracee& body, const proc::ProcessMemory& mem, wire::Channel& ch,
            std::vector<std::string> dirs, MfsHere mfs, FrameHook hook);

  bool enabled() const { return !dirs_.empty() || !mfs_.mount.empty(); }
  // At the seccomp stop of a trapped call with registers `regs`.
  Result<Action> on_call(const arch::Registers& regs);
  // Resumes the body so that it makes the trapped call of `regs` again (after kRestart).
  Status restart(const arch::Registers& regs);
  // Demotes every lent fd (before the process goes home or exits). The body must be stopped;
  // `regs` its registers (the base for injected calls).
  // `at_exit`: the deputy is about to die: fds opened here are only closed, not reopened at home.
  Status demote_all(const arch::Registers& regs, bool at_exit = false);
  int64_t result() const { return result_; }
  // mosctl nomfs here: /mfs paths are no longer made here (forwarded: home's /mfs refuses
  // them), and calls on fds that reached this node's files through /mfs fail with EACCES, as
  // the /mfs server answers on its open handles.
  void refuse_mfs() { mfs_refused_ = true; }
  // Signals the injected calls took off the body's queue: the caller delivers them again.
  std::vector<siginfo_t> take_deferred();

  uint64_t local_calls() const { return local_calls_; }
  uint64_t promotions() const { return promotions_; }
  uint64_t demotions() const { return demotions_; }
  const FdTable& table() const { return table_; }

 private:
  Result<FdInfo> ask_home(int fd);
  // Where in absolute path `p` the path to use here begins: 0 under a shared directory, the
  // offset of X for /mfs/<this node>/X when X resolves here as through /mfs; nullopt: not local.
  std::optional<size_t> local_offset(const std::string& p);
  // Whether X (absolute) resolves here without a symlink to something the /mfs server serves.
  bool mfs_servable(std::string_view x);
  // `p` as home resolves it: absolute as it is; relative against home's cwd (asked once, see
  // cwd_) when `dirfd` is AT_FDCWD; nullopt for a relative path against another dirfd.
  Result<std::optional<std::string>> home_path(const std::string& p, int64_t dirfd);
  // A path-only call (is_path_only_call) whose every path is local: made here (kLocal, kMade,
  // or kFinish when a relative path had to be made absolute in a scratch area); nullopt when
  // it is not local.
  Result<std::optional<Action>> try_path_call(int64_t nr, const arch::Registers& regs);
  // The NUL-terminated string at `addr` in the body (at most 4096 bytes), or nullopt.
  std::optional<std::string> read_path(uint64_t addr);
  // One synthesised forwarded call without buffers; returns its result.
  Result<int64_t> forward_plain(int nr, std::initializer_list<uint64_t> args);
  // Waits for a frame of type `want`, passing others to the hook.
  Result<wire::Frame> await(wire::MsgType want);
  Result<Action> try_promote(int fd, const arch::Registers& regs);
  // open/openat/creat of an absolute path under a shared dir: opened in the body, placeholder
  // at home (design §3.2); nullopt when the call is not one.
  Result<std::optional<Action>> try_open_local(int64_t nr, const uint64_t args[6],
                                               const arch::Registers& regs);
  // A forwarded openat(AT_FDCWD, path, flags) at home.
  Result<int64_t> forward_open(const std::string& path, uint32_t flags);
  Status demote(int fd, const arch::Registers& regs, bool at_exit = false);
  // Runs `fn` with a fresh scratch area in the body, removed afterwards (the body is then in
  // a signal stop that restart() or the caller's set_regs + cont leaves).
  Status with_scratch(const arch::Registers& regs,
                      const std::function<Status(proc::RemoteSyscaller&)>& fn);

  proc::Tracee& body_;
  const proc::ProcessMemory& mem_;
  wire::Channel& ch_;
  std::vector<std::string> dirs_;
  MfsHere mfs_;
  bool mfs_refused_ = false;  // refuse_mfs()
  std::optional<mfs::PathResolver> resolver_;  // for mfs_servable, made at first use
  FrameHook hook_;
  FdTable table_;
  std::vector<siginfo_t> deferred_;
  int64_t result_ = 0;
  bool forward_next_open_ = false;
  // Home's cwd, for relative paths: a forwarded getcwd at the first one, forgotten at every
  // chdir/fchdir (made at home).
  std::optional<std::string> cwd_;  // a local open met a non-regular file: forward it instead
  uint64_t local_opens_ = 0;
  uint64_t local_calls_ = 0, local_path_calls_ = 0, promotions_ = 0, demotions_ = 0;
  uint64_t mfs_local_ = 0;  // path calls and opens on /mfs/<this node> made here
};

}  // namespace omx::migrate
