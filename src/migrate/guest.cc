#include "migrate/guest.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <optional>

#include <fmt/format.h>

#include "base/fault.h"
#include "base/log.h"
#include "balance/node_views.h"
#include "daemon/control_client.h"
#include "migrate/balance_inputs.h"
#include "migrate/dfsa_paths.h"
#include "migrate/guest_dfsa.h"
#include "migrate/image_codec.h"
#include "migrate/io_meter.h"
#include "migrate/marshal.h"
#include "migrate/page_stream.h"
#include "migrate/protocol.h"
#include "migrate/seccomp_filter.h"
#include "proc/capture.h"
#include "proc/restore.h"
#include "syscall/syscall_table.h"
#include "wire/codec.h"

namespace omx::migrate {

Result<proc::Credentials> body_credentials(const wire::SessionOwner& owner, const Offer& offer,
                                           bool allow_root) {
  std::set<uint32_t> owner_groups(owner.groups.begin(), owner.groups.end());
  std::set<uint32_t> offer_groups(offer.groups.begin(), offer.groups.end());
  if (owner.uid != 0 &&
      (offer.uid != owner.uid || offer.gid != owner.gid || offer_groups != owner_groups))
    return make_error(ErrorCode::kRefused,
                      fmt::format("the process (uid {} gid {}) is not the session owner's ({})",
                                  offer.uid, offer.gid, owner.to_string()));
  if (offer.uid == 0 && !allow_root)
    return make_error(ErrorCode::kRefused, "processes owned by root do not migrate to this node");
  return proc::Credentials{offer.uid, offer.gid, {offer.groups.begin(), offer.groups.end()}};
}

namespace {

using wire::MsgType;
constexpr wire::Duration kStepTimeout{30000};
constexpr uint64_t kScratchSize = 64 << 10;

auto log() { return log::get("guest"); }

class Guest {
 public:
  Guest(wire::Channel ch, GuestConfig cfg) : ch_(std::move(ch)), cfg_(cfg) {}
  int run(const wire::Frame& offer);

 private:
  Status receive(const wire::Frame& offer);
  Status serve();
  // Each handler returns true when the body has left or ended (the guest is done).
  Result<bool> on_body_event(const proc::StopEvent& e);
  Result<bool> on_seccomp();
  Result<bool> on_home_frame(const wire::Frame& f);
  // A frame from home while the guest waits for home's answer (a forwarded call, a DFSA
  // exchange): a go-home request is kept for after the call, anything else is on_home_frame's
  // (a signal queued, omx lock, renice, kClose). True: the guest is done (kClose).
  Result<bool> on_frame_while_waiting(const wire::Frame& f);
  Result<bool> forward(arch::Registers regs);
  Status emulate_brk(arch::Registers regs);
  Status finish_call(arch::Registers regs, int64_t result);
  // `at_trap`: the body is at a seccomp stop for a call that must be made at home.
  Result<bool> go_home(const std::string& reason, arch::Registers regs, bool at_trap);
  Result<bool> go_home_now();
  Status send_home(const std::string& reason, arch::Registers regs);
  // Queues a signal from home for delivery; returns its number.
  Result<int> queue_signal(std::span<const uint8_t> payload);
  // Whether `sig` arriving now would interrupt a blocking call of the body (not blocked, not
  // ignored, not a stop: a handler, or a default action that terminates).
  bool would_interrupt(int sig);
  // Native semantics for a forwarded call that ended with a kernel restart code because of
  // signal `sig`: restart it (SA_RESTART, ERESTARTNOINTR) or fail it with EINTR.
  Status finish_interrupted(arch::Registers regs, int64_t code, int sig);
  Result<bool> report_exit(bool by_signal, int code);
  // Automatic balancing where the body runs (protocol.h): asks home to move it elsewhere.
  void balance_step();
  void report_stats();  // kBodyStats to home, about once a second
  // Tells omxd which body this guest runs, for its "procs" op (daemon/process_registry.h).
  void tell_omxd();

  wire::Channel ch_;
  GuestConfig cfg_;
  proc::Tracee body_;
  std::optional<proc::ProcessMemory> mem_;
  pid_t home_pid_ = 0;
  uint32_t body_uid_ = 0;
  uint64_t brk_ = 0, start_brk_ = 0;
  std::deque<siginfo_t> delivering_;  // sent with tgkill, siginfo to install at delivery
  std::array<proc::KernelSigaction, proc::kNumSignals> sigactions_{};  // the body's, tracked
  bool home_requested_ = false;
  bool go_home_sent_ = false;  // kGoHome went out (so home knows a return is under way)
  int stop_as_ = 0;            // the job-control signal a SIGSTOP we sent stands for
  BalancePolicy policy_;
  std::chrono::steady_clock::time_point arrived_{}, next_balance_{}, next_stats_{};
  std::optional<IoMeter> io_;  // waiting for home (forward), from the first forwarded call
  IoMeter& io_meter();          // io_, started at arrival on first use (DFSA: on_local)
  IoMeter::Snapshot io_window();
  // DFSA (guest_dfsa.h): home's shared directories from the offer; dfsa_ is made at the first
  // trapped call when there are any.
  std::vector<std::string> dfsa_home_dirs_;
  std::string dfsa_mfs_mount_;  // home's /mfs, when calls on /mfs/<this node> may run here
  std::unique_ptr<GuestDfsa> dfsa_;
};

int Guest::run(const wire::Frame& offer) {
  Status st = receive(offer);
  if (!st.ok()) {
    log()->warn("incoming migration failed: {}", st.error().message());
    (void)ch_.send(MsgType::kMigrateAck, encode_ack(st));
    return 1;
  }
  st = serve();
  if (!st.ok()) {
    log()->error("guest for home pid {} failed: {}", home_pid_, st.error().message());
    return 1;
  }
  return 0;
}

Status Guest::receive(const wire::Frame& offer_frame) {
  OMX_ASSIGN(Offer offer, decode_offer(offer_frame.payload));
  policy_ = offer.policy;
  dfsa_home_dirs_ = offer.shared_dirs;
  if (cfg_.closing)
    return make_error(ErrorCode::kRefused, fmt::format("node {} is shutting down", cfg_.node_id));
  if (cfg_.blocked)
    return make_error(ErrorCode::kRefused, fmt::format("node {} does not accept guests (mosctl block)", cfg_.node_id));
  OMX_ASSIGN(proc::Credentials creds, body_credentials(cfg_.owner, offer, cfg_.allow_root));
  // /mfs/<this node>/X runs here as X only where this node's /mfs server would serve it to the
  // body's user as that user: not under nomfs, and root only with --mfs-root (else squashed).
  if (!cfg_.nomfs && (creds.uid != 0 || cfg_.mfs_root)) dfsa_mfs_mount_ = offer.mfs_mount;
  wire::Writer accept;
  accept.u32(static_cast<uint32_t>(offer.files.size()));
  for (const FileIdentity& f : offer.files) accept.u8(have_identical_file(f) ? 1 : 0);
  OMX_TRY(ch_.send(MsgType::kMigrateAccept, accept.data()));
  OMX_ASSIGN(wire::Frame img_frame, expect(ch_, MsgType::kMigrateImage, kStepTimeout));
  OMX_ASSIGN(proc::ProcessImage image, decode_image(img_frame.payload));
  OMX_TRY(fault::check("guest.restore"));
  OMX_ASSIGN(proc::RestoreHost host, proc::spawn_restore_host(image, kScratchSize));
  // Until home commits, the rebuilt body must never run: on any failure it is killed, not
  // detached (a detached copy would run on beside the original).
  struct KillUnlessCommitted {
    proc::Tracee* t;
    ~KillUnlessCommitted() {
      if (t && t->attached()) {
        ::kill(t->pid(), SIGKILL);
        (void)t->wait();
        t->release();
      }
    }
  } guard{&host.tracee};
  OMX_ASSIGN(mem_, proc::ProcessMemory::open(host.tracee.pid()));
  proc::RestoreOptions opts;
  OMX_ASSIGN(opts.seccomp_filter, build_body_filter());
  uint32_t body_uid = creds.uid;
  opts.creds = std::move(creds);
  ChannelPageSource pages(ch_, kStepTimeout, "guest.page_run");
  Status st = proc::restore_into(host.tracee, *mem_, host.scratch, host.regs, image, pages, opts);
  if (!st.ok()) return st;
  OMX_TRY(ch_.send(MsgType::kMigrateAck, encode_ack(ok_status())));
  OMX_TRY(expect(ch_, MsgType::kMigrateCommit, kStepTimeout));
  fault::hit_or_die("guest.after_commit");
  body_ = std::move(host.tracee);  // committed: the guard no longer owns it
  guard.t = nullptr;
  home_pid_ = image.home_pid;
  sigactions_ = image.sigactions;
  brk_ = image.brk;
  start_brk_ = image.start_brk;
  log()->info("running home pid {} as local pid {}", home_pid_, body_.pid());
  body_uid_ = body_uid;
  tell_omxd();
  arrived_ = std::chrono::steady_clock::now();
  next_balance_ = arrived_ + std::chrono::milliseconds(1000);
  return body_.cont(0);  // leaves the final stop (see restore_into)
}

void Guest::tell_omxd() {
  if (cfg_.control_address.empty()) return;
  auto told = daemon::control_notify({{"op", "guest_started"}, {"body", body_.pid()},
                                      {"home", ch_.peer_node()}, {"home_pid", home_pid_},
                                      {"uid", body_uid_}, {"lock", policy_.locked}},
                                     cfg_.control_address);
  if (!told.ok()) log()->debug("omxd not told of the guest: {}", told.error().message());
}

Status Guest::serve() {
  // SIGCHLD: the body stopped. SIGUSR1: omxd expels this guest (mosctl expel): go home.
  // SIGUSR2: mosctl nomfs on this node: the body's /mfs calls are forwarded from now on. The
  // acceptor blocked SIGUSR1 and SIGUSR2 at fork, so one sent during the restore waits here.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigaddset(&chld, SIGUSR1);
  sigaddset(&chld, SIGUSR2);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  ScopedFd sfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid()) return sys_error("signalfd");
  for (;;) {
    // The rounds first: a body that forwards call after call always has an event waiting, and
    // they must not starve (its stats and the balancer that would bring it home).
    if (policy_.balance && std::chrono::steady_clock::now() >= next_balance_) {
      next_balance_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(900 + std::rand() % 200);
      balance_step();  // may put the next round further off
    }
    if (std::chrono::steady_clock::now() >= next_stats_) report_stats();
    // Body events first: waitpid does not need the signal (it may have been coalesced).
    int status = 0;
    pid_t r = waitpid(body_.pid(), &status, __WALL | WNOHANG);
    if (r == body_.pid()) {
      OMX_ASSIGN(bool done, on_body_event(proc::classify_wait_status(status)));
      if (done) return ok_status();
      continue;
    }
    if (ch_.frame_ready()) {
      OMX_ASSIGN(wire::Frame f, ch_.recv(wire::Duration(0)));
      OMX_ASSIGN(bool done, on_home_frame(f));
      if (done) return ok_status();
      continue;
    }
    pollfd fds[2] = {{ch_.fd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    if (poll(fds, 2, policy_.balance ? 200 : 1000) < 0 && errno != EINTR) return sys_error("poll");
    if (fds[1].revents) {
      signalfd_siginfo si;
      bool expelled = false;
      bool nomfs = false;
      while (read(sfd.get(), &si, sizeof si) == sizeof si) {
        expelled |= si.ssi_signo == SIGUSR1;
        nomfs |= si.ssi_signo == SIGUSR2;
      }
      if (nomfs && !dfsa_mfs_mount_.empty()) {
        log()->info("mosctl nomfs: home pid {}'s /mfs/{} calls are forwarded from now on", home_pid_, cfg_.node_id);
        if (dfsa_) {
          dfsa_->refuse_mfs();  // (its fds on /mfs fail from now on)
        } else {
          dfsa_mfs_mount_.clear();
        }
      }
      if (expelled) {
        log()->info("expelled (mosctl expel): sending home pid {} home", home_pid_);
        OMX_ASSIGN(bool done, go_home_now());
        if (done) return ok_status();
        continue;
      }
    }
    if (fds[0].revents) {
      auto f = ch_.recv(wire::Duration(0));
      if (!f.ok() && f.error().code == ErrorCode::kTimeout) continue;
      if (!f.ok()) {
        log()->info("home of pid {} went away ({}): ending the body", home_pid_, f.error().message());
        kill(body_.pid(), SIGKILL);
        return ok_status();
      }
      OMX_ASSIGN(bool done, on_home_frame(*f));
      if (done) return ok_status();
    }
  }
}

Result<bool> Guest::on_body_event(const proc::StopEvent& e) {
  using K = proc::StopEvent::Kind;
  switch (e.kind) {
    case K::kExited:
      return report_exit(false, e.exit_status);
    case K::kKilled:
      return report_exit(true, e.sig);
    case K::kEvent:
      if (e.event == PTRACE_EVENT_SECCOMP) return on_seccomp();
      OMX_TRY(body_.cont(0));
      return false;
    case K::kSignal: {
      auto it = std::find_if(delivering_.begin(), delivering_.end(),
                             [&](const siginfo_t& s) { return s.si_signo == e.sig; });
      if (it != delivering_.end()) {
        OMX_TRY(body_.set_siginfo(*it));  // the sender's siginfo, as at home
        delivering_.erase(it);
      }
      OMX_TRY(body_.cont(e.sig));
      return false;
    }
    case K::kGroupStop: {  // a job-control stop: the deputy at home must look stopped too
      wire::Writer w;
      w.u32(static_cast<uint32_t>(stop_as_ ? stop_as_ : e.sig));
      stop_as_ = 0;
      OMX_TRY(ch_.send(MsgType::kStopped, w.data()));
      OMX_TRY(body_.listen());
      return false;
    }
    case K::kInterrupt:
    case K::kSyscall:
      OMX_TRY(body_.cont(0));
      return false;
  }
  return false;
}

Result<bool> Guest::on_seccomp() {
  OMX_ASSIGN(arch::Registers regs, body_.get_regs());
  int64_t nr = regs.syscall_no();
  if (!dfsa_home_dirs_.empty() || !dfsa_mfs_mount_.empty()) {  // DFSA (guest_dfsa.h)
    if (!dfsa_) {
      const char* here = std::getenv("OMX_DFSA_DIRS");  // set by omxd (--dfsa-dir)
      auto dirs = effective_dirs(dfsa_home_dirs_, split_dir_list(here ? here : ""));
      if (dirs.empty() && dfsa_mfs_mount_.empty())
        log()->info("DFSA off for home pid {}: no shared directory in common", home_pid_);
      dfsa_ = std::make_unique<GuestDfsa>(body_, *mem_, ch_, std::move(dirs),
                                          MfsHere{dfsa_mfs_mount_, cfg_.node_id},
                                          [this](const wire::Frame& f) -> Status {
        OMX_ASSIGN(bool done, on_frame_while_waiting(f));
        if (done) return make_error(ErrorCode::kProtocol, "home ended the process during a DFSA exchange");
        return ok_status();
      });
    }
    OMX_ASSIGN(GuestDfsa::Action act, dfsa_->on_call(regs));
    for (const siginfo_t& si : dfsa_->take_deferred()) {  // taken off the queue: again
      if (std::none_of(delivering_.begin(), delivering_.end(),
                       [&](const siginfo_t& d) { return d.si_signo == si.si_signo; }))
        delivering_.push_back(si);
      ::syscall(SYS_tgkill, body_.pid(), body_.pid(), si.si_signo);
    }
    if (act == GuestDfsa::Action::kMade) return false;  // the body runs on
    if (home_requested_ && act != GuestDfsa::Action::kLocal) {  // asked for meanwhile
      home_requested_ = false;
      if (act == GuestDfsa::Action::kFinish) {  // made here: leave with its result
        regs.set_syscall_no(-1);
        regs.set_result(dfsa_->result());
        return go_home("requested", regs, false);
      }
      return go_home("requested", regs, true);
    }
    if (act == GuestDfsa::Action::kLocal) {
      OMX_TRY(body_.cont(0));
      return false;
    }
    if (act == GuestDfsa::Action::kRestart) {
      OMX_TRY(dfsa_->restart(regs));
      return false;
    }
    if (act == GuestDfsa::Action::kFinish) {
      OMX_TRY(finish_call(regs, dfsa_->result()));
      return false;
    }
  }
  switch (nr) {
    case SYS_getpid:
    case SYS_gettid:
      OMX_TRY(finish_call(regs, home_pid_));
      return false;
    case SYS_brk:
      OMX_TRY(emulate_brk(regs));
      return false;
    case SYS_exit:
    case SYS_exit_group:
      // Lent fds: offsets home and the body's copies closed (flushed) before home hears of it.
      if (dfsa_) {
        if (auto st = dfsa_->demote_all(regs, true); !st.ok())
          log()->warn("home pid {}: DFSA at exit: {}", home_pid_, st.error().message());
      }
      return report_exit(false, static_cast<int>(regs.arg(0) & 0xff));
    case SYS_kill:
    case SYS_tkill:
    case SYS_tgkill:
      // A signal to itself: the home pid means this body here.
      if (static_cast<pid_t>(regs.arg(0)) == home_pid_) {
        regs.set_arg(0, static_cast<uint64_t>(body_.pid()));
        if (nr == SYS_tgkill && static_cast<pid_t>(regs.arg(1)) == home_pid_)
          regs.set_arg(1, static_cast<uint64_t>(body_.pid()));
        OMX_TRY(body_.set_regs(regs));
        OMX_TRY(body_.cont(0));
        return false;
      }
      return forward(regs);
  }
  const syscall::SyscallInfo* info = syscall::syscall_info(static_cast<int>(nr));
  syscall::SyscallClass cls = info ? info->cls : syscall::SyscallClass::kHome;
  switch (cls) {
    case syscall::SyscallClass::kLocal:
      OMX_TRY(body_.cont(0));  // (not trapped by the filter; harmless if it was)
      return false;
    case syscall::SyscallClass::kForwarded:
    case syscall::SyscallClass::kEmulated:  // (credential getters: home answers them exactly)
      return forward(regs);
    case syscall::SyscallClass::kSpecial:
      if (nr == SYS_rt_sigaction) {  // runs here; we keep a copy of the new action
        int sig = static_cast<int>(regs.arg(0));
        proc::KernelSigaction act;
        if (regs.arg(1) && sig >= 1 && sig <= proc::kNumSignals && sig != SIGKILL && sig != SIGSTOP &&
            mem_->read(RemotePtr<void>(regs.arg(1)),
                       std::span<uint8_t>(reinterpret_cast<uint8_t*>(&act), sizeof act)).ok())
          sigactions_[sig - 1] = act;
      }
      if (nr == SYS_rt_sigaction || nr == SYS_rt_sigreturn || nr == SYS_rt_sigsuspend ||
          nr == SYS_pause) {
        OMX_TRY(body_.cont(0));  // signal state lives with the body
        return false;
      }
      [[fallthrough]];
    default:
      return go_home(fmt::format("{} is made at home", syscall::syscall_name(static_cast<int>(nr))),
                     regs, true);
  }
}

Status Guest::finish_call(arch::Registers regs, int64_t result) {
  regs.set_syscall_no(-1);  // skip the call; rax is its result
  regs.set_result(result);
  OMX_TRY(body_.set_regs(regs));
  return body_.cont(0);
}

// brk on the remote: the host process's kernel brk is unrelated to the image's heap, so the
// heap grows and shrinks with mmap/munmap, run in place of the trapped brk call.
Status Guest::emulate_brk(arch::Registers regs) {
  uint64_t want = regs.arg(0);
  if (want < start_brk_ || arch::page_up(want) == arch::page_up(brk_)) {
    if (want >= start_brk_) brk_ = want;
    return finish_call(regs, static_cast<int64_t>(brk_));
  }
  arch::Registers call = regs;
  uint64_t lo = arch::page_up(std::min(want, brk_)), hi = arch::page_up(std::max(want, brk_));
  if (want > brk_) {
    call.set_syscall_no(SYS_mmap);
    uint64_t args[6] = {lo, hi - lo, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                        static_cast<uint64_t>(-1), 0};
    for (int i = 0; i < 6; ++i) call.set_arg(i, args[i]);
  } else {
    call.set_syscall_no(SYS_munmap);
    call.set_arg(0, lo);
    call.set_arg(1, hi - lo);
  }
  OMX_TRY(body_.set_regs(call));
  OMX_ASSIGN(arch::Registers after, body_.run_to_syscall_exit());  // the replacement call
  bool ok = want > brk_ ? after.result() == static_cast<int64_t>(lo) : after.result() == 0;
  if (ok) brk_ = want;
  after.set_result(static_cast<int64_t>(brk_));
  OMX_TRY(body_.set_regs(after));
  return body_.cont(0);
}

Result<bool> Guest::forward(arch::Registers regs) {
  // The body's wait for home, for the balancer (IoMeter): from here (marshalling, the request,
  // home's answer) to the reply; the seccomp stop itself is not counted.
  auto entered = std::chrono::steady_clock::now();
  OMX_ASSIGN(std::optional<Marshalled> m, marshal(regs, *mem_));
  if (!m)
    return go_home(fmt::format("{}: arguments this node cannot forward",
                               syscall::syscall_name(static_cast<int>(regs.syscall_no()))),
                   regs, true);
  if (m->immediate) {
    OMX_TRY(finish_call(regs, *m->immediate));
    return false;
  }
  std::vector<uint8_t> req = encode(m->req);
  OMX_TRY(ch_.send(MsgType::kSyscallRequest, req));
  int cancel_sig = 0;  // the signal for which we asked home to interrupt the call
  for (;;) {
    OMX_ASSIGN(wire::Frame f, ch_.recv(wire::kForever));
    if (f.type == MsgType::kSyscallReply) {
      auto now = std::chrono::steady_clock::now();
      io_meter().on_forward(now, now - entered, req.size(), f.payload.size());
    }
    if (f.type == MsgType::kSignal) {  // queued; one the call would be interrupted by: cancel
      OMX_ASSIGN(int sig, queue_signal(f.payload));
      if (!cancel_sig && would_interrupt(sig)) {
        OMX_TRY(ch_.send(MsgType::kSyscallCancel, {}));
        cancel_sig = sig;
      }
      continue;
    }
    if (f.type != MsgType::kSyscallReply) {
      OMX_ASSIGN(bool done, on_frame_while_waiting(f));
      if (done) return true;
      continue;
    }
    OMX_ASSIGN(SyscallReply reply, decode_reply(f.payload));
    OMX_TRY(unmarshal(*m, reply, *mem_));
    int64_t r = reply.result;
    if (cancel_sig && (r == arch::kERestartSys || r == arch::kERestartNoIntr ||
                       r == arch::kERestartNoHand || r == arch::kERestartRestartBlock)) {
      OMX_TRY(finish_interrupted(regs, r, cancel_sig));
      if (!home_requested_) return false;
      home_requested_ = false;
      return go_home_now();  // asked for meanwhile
    }
    if (home_requested_) {
      // Finish the call as if returned, then leave with the registers after it.
      regs.set_syscall_no(-1);
      regs.set_result(reply.result);
      home_requested_ = false;
      return go_home("requested", regs, false);
    }
    OMX_TRY(finish_call(regs, reply.result));
    return false;
  }
}

bool Guest::would_interrupt(int sig) {
  auto mask = body_.get_sigmask();
  if (!mask.ok() || (*mask & (1ull << (sig - 1)))) return false;  // blocked: stays pending
  const proc::KernelSigaction& a = sigactions_[sig - 1];
  if (a.handler == 1) return false;  // SIG_IGN
  if (a.handler != 0) return true;   // a handler runs
  switch (sig) {                     // SIG_DFL
    case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:  // ignored by default
    case SIGTSTP: case SIGTTIN: case SIGTTOU: case SIGSTOP:  // stop; the call resumes after
      return false;
    default:
      return true;  // terminates: the call must end so the signal can act
  }
}

// As the kernel does on signal delivery (arch/x86/kernel/signal.c): with a handler,
// ERESTARTSYS restarts only under SA_RESTART, ERESTARTNOHAND and ERESTART_RESTARTBLOCK give
// EINTR, ERESTARTNOINTR always restarts. A restart re-executes the syscall instruction after
// the handler returns, so it traps again and is forwarded anew (a RESTARTBLOCK call restarts
// with its original arguments: a timeout starts over).
Status Guest::finish_interrupted(arch::Registers regs, int64_t code, int sig) {
  const proc::KernelSigaction& a = sigactions_[sig - 1];
  bool handler = a.handler > 1;
  bool restart = code == arch::kERestartNoIntr ||
                 (code == arch::kERestartSys && handler && (a.flags & SA_RESTART));
  if (!restart) return finish_call(regs, -EINTR);
  int64_t nr = regs.syscall_no();
  regs.set_syscall_no(-1);
  regs.set_result(nr);
  regs.set_ip(regs.ip() - arch::kSyscallInsnSize);
  OMX_TRY(body_.set_regs(regs));
  return body_.cont(0);
}

Result<int> Guest::queue_signal(std::span<const uint8_t> payload) {
  if (payload.size() != sizeof(siginfo_t)) return make_error(ErrorCode::kProtocol, "bad signal frame");
  siginfo_t si;
  std::memcpy(&si, payload.data(), sizeof si);
  if (si.si_signo <= 0 || si.si_signo > 64) return make_error(ErrorCode::kProtocol, "bad signal number");
  int sig = si.si_signo;
  auto is_stop = [](int s) { return s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU; };
  // The kernel's rule: a stop signal discards a pending SIGCONT and vice versa. Mirror it, or
  // a discarded entry would swallow the next signal of its kind.
  std::erase_if(delivering_, [&](const siginfo_t& s) {
    return (sig == SIGCONT && is_stop(s.si_signo)) || (is_stop(sig) && s.si_signo == SIGCONT);
  });
  bool job_stop = sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
  if (sig == SIGSTOP || (job_stop && sigactions_[sig - 1].handler == 0)) {
    // The body lives in an orphaned process group on this node, where the kernel discards
    // the stop of TSTP/TTIN/TTOU: stop it with SIGSTOP and tell home which signal it was.
    stop_as_ = sig;
    if (::syscall(SYS_tgkill, body_.pid(), body_.pid(), SIGSTOP) != 0)
      return sys_error("tgkill(body)", body_.pid());
    return sig;
  }
  bool realtime = si.si_signo >= SIGRTMIN;
  auto same = std::find_if(delivering_.begin(), delivering_.end(),
                           [&](const siginfo_t& s) { return s.si_signo == si.si_signo; });
  if (!realtime && same != delivering_.end()) {
    *same = si;  // standard signals do not queue: one pending instance
    return si.si_signo;
  }
  delivering_.push_back(si);
  if (::syscall(SYS_tgkill, body_.pid(), body_.pid(), si.si_signo) != 0)
    return sys_error("tgkill(body)", body_.pid());
  return si.si_signo;
}

Result<bool> Guest::on_frame_while_waiting(const wire::Frame& f) {
  if (f.type == MsgType::kMigrateHome) {  // not in the middle of a call: after it
    home_requested_ = true;
    return false;
  }
  return on_home_frame(f);
}

Result<bool> Guest::on_home_frame(const wire::Frame& f) {
  switch (f.type) {
    case MsgType::kSignal: {
      OMX_ASSIGN(int sig, queue_signal(f.payload));
      (void)sig;
      return false;
    }
    case MsgType::kMigrateHome:
      return go_home_now();
    case MsgType::kBalancePolicy:
      OMX_TRY(decode_policy(f.payload, policy_));
      tell_omxd();  // the lock may have changed
      return false;
    case MsgType::kClose:
      kill(body_.pid(), SIGKILL);
      return true;
    case MsgType::kBodyNice: {  // renice at home
      OMX_ASSIGN(int nice, decode_body_nice(f.payload));
      if (::setpriority(PRIO_PROCESS, static_cast<id_t>(body_.pid()), nice) != 0)
        log()->warn("renice of pid {} (home pid {}) to {}: {}", body_.pid(), home_pid_, nice,
                    std::strerror(errno));
      else
        log()->info("pid {} (home pid {}) reniced to {} at home", body_.pid(), home_pid_, nice);
      return false;
    }
    default:
      return make_error(ErrorCode::kProtocol, fmt::format("unexpected frame {:#x} from home",
                                                          static_cast<unsigned>(f.type)));
  }
}

void Guest::balance_step() {
  if (policy_.locked || home_requested_ || go_home_sent_ || cfg_.control_address.empty()) return;
  auto reply = daemon::control_request({{"op", "nodes"}}, cfg_.control_address,
                                       std::chrono::milliseconds(500));
  if (!reply.ok() || !reply->value("ok", false)) return;
  auto view = proc_view(body_.pid());
  if (!view) return;
  view->home = ch_.peer_node();
  view->hint = static_cast<balance::Hint>(policy_.hint);
  view->resident_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived_).count();
  IoMeter::Snapshot io = io_window();
  view->home_wait = io.wait;
  view->home_io_bytes_per_s = io.bytes_per_s;
  std::vector<balance::NodeView> nodes = balance::node_views(*reply);
  // Standard-speed seconds: measured here, and what it used before (the offer's, already so).
  view->cpu_seconds = view->cpu_seconds * balance::speed_factor(nodes, cfg_.node_id) +
                      static_cast<double>(policy_.cpu_ms) / 1000.0;
  auto d = balance::decide(cfg_.node_id, nodes, {*view}, balance::Link{});
  if (!d || !claim_target(cfg_.control_address, nodes, cfg_.node_id, d->to)) return;
  log()->info("balance: asking home to move pid {} to node {} ({})", home_pid_, d->to, d->reason);
  wire::Writer w;
  w.u32(d->to);
  w.str(d->reason);
  if (auto st = ch_.send(MsgType::kBalanceMove, w.data()); !st.ok())
    log()->warn("balance: {}", st.error().message());
  // Home moves it (or not, if it was locked meanwhile); ask again only after a while.
  next_balance_ = std::chrono::steady_clock::now() + std::chrono::seconds(5);
}

void Guest::report_stats() {
  next_stats_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  auto view = proc_view(body_.pid());
  if (!view) return;
  IoMeter::Snapshot io = io_window();
  auto sat = [](double v, double max) { return std::clamp(v, 0.0, max); };
  BodyStats s{static_cast<uint64_t>(view->cpu_seconds * 1000), view->rss,
              static_cast<uint16_t>(sat(io.wait * 1000 + 0.5, 1000)),
              static_cast<uint32_t>(sat(io.calls_per_s + 0.5, UINT32_MAX)),
              static_cast<uint64_t>(sat(io.bytes_per_s + 0.5, 1e18)),
              static_cast<uint32_t>(sat(io.local_per_s + 0.5, UINT32_MAX))};
  if (auto st = ch_.send(MsgType::kBodyStats, encode(s)); !st.ok())
    log()->warn("body stats: {}", st.error().message());
}

IoMeter& Guest::io_meter() {
  if (!io_) io_.emplace(arrived_);
  return *io_;
}

IoMeter::Snapshot Guest::io_window() {
  return io_ ? io_->window(std::chrono::steady_clock::now()) : IoMeter::Snapshot{};
}

// Home asked for the process back: stop the body wherever it is and send it.
Result<bool> Guest::go_home_now() {
  std::vector<siginfo_t> deferred;
  OMX_ASSIGN(proc::StopEvent e, body_.stop(&deferred));
  // Signals taken off the kernel's queue by the stop are re-sent home with the image; one we
  // queued ourselves is already in delivering_ with the sender's siginfo.
  for (const siginfo_t& si : deferred) {
    bool queued = std::any_of(delivering_.begin(), delivering_.end(),
                              [&](const siginfo_t& d) { return d.si_signo == si.si_signo; });
    if (!queued) delivering_.push_back(si);
  }
  OMX_ASSIGN(arch::Registers regs, body_.get_regs());
  // Stopped at a trapped call we had not handled yet: it is made at home instead.
  if (e.kind == proc::StopEvent::Kind::kEvent && e.event == PTRACE_EVENT_SECCOMP)
    return go_home("requested", regs, true);
  if (e.kind == proc::StopEvent::Kind::kEvent || e.kind == proc::StopEvent::Kind::kSyscall)
    return make_error(ErrorCode::kProtocol, "body stopped at an unexpected event");
  regs.rewind_interrupted_syscall();
  return go_home("requested", regs, false);
}

Result<bool> Guest::report_exit(bool by_signal, int code) {
  OMX_TRY(ch_.send(MsgType::kExit, encode(ExitInfo{by_signal, code})));
  if (body_.attached()) {
    kill(body_.pid(), SIGKILL);
    (void)body_.wait();
    body_.release();
  }
  return true;
}

// Sends the process home. On failure the body stays here and goes on: a requested move simply
// did not happen; a call that only home can make fails with EAGAIN.
Result<bool> Guest::go_home(const std::string& reason, arch::Registers regs, bool at_trap) {
  arch::Registers resume = regs;  // where the body goes on if the move fails
  if (at_trap) {  // re-execute the trapped call at home
    resume.set_syscall_no(-1);
    resume.set_result(-EAGAIN);
    regs.set_ip(regs.ip() - arch::kSyscallInsnSize);
    regs.set_result(regs.syscall_no());
    regs.set_syscall_no(-1);
  }
  log()->info("home pid {} goes home: {}", home_pid_, reason);
  // DFSA: every lent fd goes back home first (a failure fails the move).
  Status st = dfsa_ ? dfsa_->demote_all(regs) : ok_status();
  if (dfsa_) {
    for (const siginfo_t& si : dfsa_->take_deferred()) {
      if (std::none_of(delivering_.begin(), delivering_.end(),
                       [&](const siginfo_t& d) { return d.si_signo == si.si_signo; }))
        delivering_.push_back(si);
      ::syscall(SYS_tgkill, body_.pid(), body_.pid(), si.si_signo);
    }
  }
  if (st.ok()) st = send_home(reason, regs);
  if (st.ok()) {
    kill(body_.pid(), SIGKILL);
    (void)body_.wait();
    body_.release();
    return true;
  }
  log()->warn("home pid {} could not go home ({}); it keeps running here", home_pid_,
              st.error().message());
  if (st.error().code == ErrorCode::kVanished) return std::move(st.error());
  if (!go_home_sent_) {  // home may be waiting for it: say why it is not coming
    wire::Writer why;
    why.str(st.error().message());
    OMX_TRY(ch_.send(MsgType::kMigrateAbort, why.data()));
  }
  OMX_TRY(body_.set_regs(resume));
  OMX_TRY(body_.cont(0));
  return false;
}

Status Guest::send_home(const std::string& reason, arch::Registers regs) {
  go_home_sent_ = false;
  OMX_ASSIGN(std::vector<proc::Vma> vmas, proc::read_vmas(body_.pid()));
  std::vector<siginfo_t> deferred;
  OMX_ASSIGN(proc::ScratchArea scratch,
             proc::create_scratch(body_, *mem_, vmas, regs, kScratchSize, &deferred));
  proc::RemoteSyscaller rs(body_, *mem_, scratch, regs);
  auto sent = [&]() -> Status {
    proc::CaptureOptions opts;
    opts.file_available = [](const proc::Vma&) { return true; };  // they came from home
    OMX_ASSIGN(proc::CaptureResult cap, proc::capture_state(body_, rs, regs, vmas));
    cap.image.home_pid = home_pid_;
    cap.image.brk = brk_;
    cap.image.start_brk = start_brk_;
    // Signals sent here by tgkill carry our siginfo in the kernel queue: use the sender's.
    for (siginfo_t& p : cap.image.pending) {
      auto it = std::find_if(delivering_.begin(), delivering_.end(),
                             [&](const siginfo_t& s) { return s.si_signo == p.si_signo; });
      if (it != delivering_.end()) {
        p = *it;
        delivering_.erase(it);
      }
    }
    // The rest were taken off the kernel's queue while we stopped the body: still owed.
    cap.image.pending.insert(cap.image.pending.end(), delivering_.begin(), delivering_.end());
    delivering_.clear();
    proc::assign_sources(cap.image, opts);
    wire::Writer why;
    why.str(reason);
    OMX_TRY(fault::check("guest.go_home"));
    OMX_TRY(ch_.send(MsgType::kGoHome, why.data()));
    go_home_sent_ = true;
    OMX_TRY(ch_.send(MsgType::kMigrateImage, encode_image(cap.image)));
    ChannelPageSink sink(ch_);
    OMX_TRY(proc::capture_pages(*mem_, cap.image, opts, sink));
    OMX_TRY(ch_.send(MsgType::kMigratePagesEnd, {}));
    // A kBodyNice sent before home saw kGoHome is dropped: at home the deputy's nice applies.
    OMX_ASSIGN(wire::Frame ack, expect(ch_, MsgType::kMigrateAck, kStepTimeout, MsgType::kBodyNice));
    return decode_ack(ack.payload);
  }();
  if (!sent.ok()) {
    // Remove our scratch area again; the body ends in a stop we leave via its registers.
    (void)rs.call_unmapping_self(SYS_munmap, {scratch.base, scratch.size});
  }
  return sent;
}

}  // namespace

int run_guest(wire::Channel ch, const wire::Frame& offer, const GuestConfig& cfg) {
  Guest g(std::move(ch), cfg);
  return g.run(offer);
}

}  // namespace omx::migrate
