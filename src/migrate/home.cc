#include "migrate/home.h"

#include <poll.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/fault.h"
#include "base/log.h"
#include "base/scoped_fd.h"
#include "daemon/control_client.h"
#include "migrate/balance_inputs.h"
#include "migrate/deputy.h"
#include "migrate/home_fd_query.h"
#include "migrate/home_link.h"
#include "migrate/image_codec.h"
#include "migrate/io_meter.h"
#include "migrate/page_stream.h"
#include "migrate/protocol.h"
#include "proc/cantmove.h"
#include "proc/capture.h"
#include "proc/restore.h"
#include "wire/codec.h"

namespace omx::migrate {
namespace {

using json = nlohmann::json;
using wire::MsgType;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kDeputyScratch = (2 * kMaxBufferBytes) + (1 << 20);
constexpr wire::Duration kStepTimeout{30000};
// mosrun -ID/-j/-b (see start_due_): the move waits until the program has used kStartCpu of
// CPU after exec (checked every kStartPoll), or kStartWait has passed.
constexpr double kStartCpu = 0.02;
constexpr std::chrono::milliseconds kStartPoll{50};
constexpr std::chrono::milliseconds kStartWait{3000};

auto log() { return log::get("home"); }

// /proc/PID/cmdline as one line (arguments joined by spaces).
std::string read_cmdline(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

struct Stats {
  uint64_t migrations = 0, failed_migrations = 0, forwarded_syscalls = 0, went_home = 0;
};

// One process of the tree.
struct Proc {
  std::optional<proc::Tracee> native;  // set while it runs here
  std::optional<Deputy> deputy;        // set while its body runs elsewhere
  std::optional<wire::Channel> ch;     // to the guest supervisor, while away
  uint32_t node = 0;                   // where it runs (home node id when native)
  uint64_t nmigs = 0;
  bool fresh = true;                   // no stop seen yet (auto-attached child)
  bool home_requested = false;         // kMigrateHome sent, kGoHome not yet received
  std::optional<uint32_t> then_to;     // after coming home, move on to this node
  std::vector<ScopedFd> waiters;       // control clients awaiting the end of a move
  Clock::time_point move_started{};    // when the move being waited for began
  double last_move_ms = 0;             // duration of the last completed move (stop to resume)
  uint64_t last_move_bytes = 0;        // page bytes it carried
  Clock::time_point arrived = Clock::now();  // started, or came home (balancer residency)
  std::string cantmove;                // the balancer's move met a cantmove reason: not tried again
  bool locked = false;                 // omx lock: automatic balancing leaves it where it is
  std::string cmdline;                 // its arguments, kept while away (the deputy's are gone)
  BodyStats away;                      // the body's figures in this stay away (kBodyStats)
  std::optional<int> nice_sent;        // the nice last sent to the body in this stay (kBodyNice)
  uint64_t cpu_away_done_ms = 0;       // CPU time used in earlier stays away
  // The body's last reported wait for home (0..1, kBodyStats), kept when it comes home: home's
  // balancer counts it, decayed (remembered_wait), so an I/O-bound process is not sent out again.
  double last_wait = 0;
  pid_t pid() const { return native ? native->pid() : deputy->pid(); }
};

class HomeSupervisor {
 public:
  HomeSupervisor(pid_t root, HomeConfig cfg) : root_(root), cfg_(std::move(cfg)) {}
  int run();

 private:
  Status setup();
  void on_sigchld();
  void on_native_event(pid_t pid, Proc& p, const proc::StopEvent& e);
  void on_deputy_event(pid_t pid, Proc& p, const proc::StopEvent& e);
  void log_fault(pid_t pid, proc::Tracee& t, int sig);
  void on_channel(pid_t pid, Proc& p);
  Status on_frame(pid_t pid, Proc& p, const wire::Frame& f);
  Status forward_signals(Proc& p, const std::vector<siginfo_t>& sigs);
  Status move_out(pid_t pid, Proc& p, uint32_t node);
  Status come_home(pid_t pid, Proc& p, const std::string& reason);
  // Starts or performs a move; returns true when done, false when it completes later (the
  // process must first come home from where it is).
  Result<bool> migrate(pid_t pid, uint32_t target);
  void finish_waiters(pid_t pid, Proc& p, const Status& st);
  void drop(pid_t pid);
  void on_control();
  json handle_request(const json& req);
  void bounce();
  void balance_step();
  void start_placement();
  void place_now();
  // Where `migrate PID balance` should take `pid`: best_node over the node table.
  Result<uint32_t> balance_target(pid_t pid, const Proc& p);
  void send_policy(pid_t pid, Proc& p);
  // renice at home reaches the body: the deputy's nice, sent when it changed (kBodyNice).
  void sync_nice(pid_t pid, Proc& p);
  void write_stats();
  // Tells omxd (fire and forget, daemon/process_registry.h): how many processes of this tree
  // run here now, when that changed; and each completed move.
  void report_here();
  void report_move(pid_t pid, uint32_t from, uint32_t to, double ms, uint64_t bytes,
                   const std::string& reason);

  pid_t root_;
  HomeConfig cfg_;
  std::map<pid_t, Proc> procs_;
  Stats stats_;
  NodeDirectory nodes_;
  ScopedFd sigfd_, control_;
  Clock::time_point next_bounce_{};
  Clock::time_point next_balance_{};
  balance::Link link_;  // refined from each completed move
  // This node's speed / standard: CPU seconds measured here times this are the balancer's
  // standard-speed seconds (updated from the node table each balancing round).
  double speed_factor_ = 1.0;
  bool stats_written_ = false;
  std::optional<NodeDfsa> dfsa_;  // this node's shared dirs and /mfs mount (omxd op "dfsa")
  // Placement at start (cfg_.start_on / start_best): due once the root has exec'd.
  // The dynamic loader maps the program's libraries first (file mappings are made at home: a
  // body doing that elsewhere comes straight back), so the move waits until the program has
  // run a little: kStartCpu of CPU time (the loader needs a few ms; wall time is no measure on
  // a busy node) or kStartWait.
  bool start_due_ = false;
  Clock::time_point start_at_{}, start_deadline_{};
  double start_cpu0_ = 0;
  int start_tries_ = 0;
  int64_t reported_here_ = -1;
  Clock::time_point next_report_{};
};

int HomeSupervisor::run() {
  Status st = setup();
  if (!st.ok()) {
    log()->warn("{}: the program runs here without migration", st.error().message());
    // Keep the program running untouched: detach and leave.
    if (procs_.count(root_)) procs_.erase(root_);
    return 1;
  }
  while (!procs_.empty()) {
    report_here();
    std::vector<pollfd> fds = {{sigfd_.get(), POLLIN, 0}, {control_.get(), POLLIN, 0}};
    std::vector<pid_t> owners;
    for (auto& [pid, p] : procs_) {
      if (!p.ch) continue;
      if (p.ch->frame_ready()) {
        on_channel(pid, p);
        goto next;  // the map may have changed
      }
      fds.push_back({p.ch->fd(), POLLIN, 0});
      owners.push_back(pid);
    }
    {
      int timeout = -1;
      auto wake_at = [&](Clock::time_point t) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now());
        int ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        timeout = timeout < 0 ? ms : std::min(timeout, ms);
      };
      if (cfg_.bounce_ms) wake_at(next_bounce_);
      if (cfg_.balance) wake_at(next_balance_);
      if (start_due_) wake_at(start_at_);
      if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        log()->error("poll: {}", strerror(errno));
        return 1;
      }
      if (fds[0].revents) on_sigchld();
      if (fds[1].revents) on_control();
      for (size_t i = 2; i < fds.size(); ++i) {
        auto it = procs_.find(owners[i - 2]);
        if (fds[i].revents && it != procs_.end() && it->second.ch) on_channel(it->first, it->second);
      }
      if (cfg_.bounce_ms && Clock::now() >= next_bounce_) {
        bounce();
        next_bounce_ = Clock::now() + std::chrono::milliseconds(cfg_.bounce_ms);
      }
      if (start_due_ && Clock::now() >= start_at_) start_placement();
      if (cfg_.balance && Clock::now() >= next_balance_) {
        balance_step();
        next_balance_ = Clock::now() + std::chrono::milliseconds(900 + std::rand() % 200);
      }
    }
  next:;
  }
  write_stats();
  return 0;
}

Status HomeSupervisor::setup() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  sigfd_.reset(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_.valid()) return sys_error("signalfd");
  OMX_ASSIGN(control_, listen_control(supervisor_address(getpid())));
  Proc& p = procs_[root_];
  p.native = proc::Tracee::adopt(root_);
  p.fresh = false;
  p.locked = cfg_.locked;
  OMX_TRY(nodes_.load(cfg_.control_address));
  p.node = nodes_.home();
  next_bounce_ = Clock::now() + std::chrono::milliseconds(cfg_.bounce_ms);
  on_sigchld();  // stops that happened before the signalfd existed
  return ok_status();
}

void HomeSupervisor::on_sigchld() {
  signalfd_siginfo si;
  while (read(sigfd_.get(), &si, sizeof si) == sizeof si) {}
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
    if (pid <= 0) return;
    proc::StopEvent e = proc::classify_wait_status(status);
    auto it = procs_.find(pid);
    if (it == procs_.end()) {  // a new child reporting before its parent's fork event
      if (e.gone()) continue;
      Proc& np = procs_[pid];
      np.native = proc::Tracee::adopt(pid);
      np.node = nodes_.home();
      it = procs_.find(pid);
    }
    Proc& p = it->second;
    if (p.deputy) on_deputy_event(pid, p, e);
    else on_native_event(pid, p, e);
  }
}

void HomeSupervisor::on_native_event(pid_t pid, Proc& p, const proc::StopEvent& e) {
  using K = proc::StopEvent::Kind;
  if (e.gone()) {
    p.native->release();
    if (pid == root_) write_stats();
    procs_.erase(pid);
    return;
  }
  int sig = 0;
  if (p.fresh) {
    p.fresh = false;  // the initial stop of an auto-attached child: just let it run
  } else if (e.kind == K::kSignal) {
    sig = e.sig;
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) log_fault(pid, *p.native, sig);
  } else if (e.kind == K::kGroupStop) {
    (void)p.native->listen();
    return;
  } else if (e.kind == K::kEvent && (e.event == PTRACE_EVENT_FORK || e.event == PTRACE_EVENT_VFORK ||
                                     e.event == PTRACE_EVENT_CLONE)) {
    auto child = p.native->get_event_msg();
    if (child.ok()) {
      auto [c, added] = procs_.try_emplace(static_cast<pid_t>(*child));
      if (added) {  // else it reported first (on_sigchld adopted it)
        c->second.native = proc::Tracee::adopt(static_cast<pid_t>(*child));
        c->second.node = nodes_.home();
      }
      c->second.locked = c->second.locked || p.locked;  // inherited, as in openMosix
    }
  } else if (e.kind == K::kEvent && e.event == PTRACE_EVENT_EXIT && pid == root_) {
    write_stats();
  } else if (e.kind == K::kEvent && e.event == PTRACE_EVENT_EXEC && pid == root_ && !start_tries_ &&
             (cfg_.start_on || cfg_.start_best)) {
    start_due_ = true;  // the program is in place: move it where it should start
    if (cfg_.start_best) place_now();  // chosen now: the waiting processes of a burst would
                                       // make this node look busier than it is
    start_at_ = Clock::now() + kStartPoll;
    start_deadline_ = Clock::now() + kStartWait;
    auto v = proc_view(pid);
    start_cpu0_ = v ? v->cpu_seconds : 0;
  }
  (void)p.native->cont(sig);
}

// A fault the program raised: worth a line (after a move it is the first thing to look at).
void HomeSupervisor::log_fault(pid_t pid, proc::Tracee& t, int sig) {
  auto si = t.get_siginfo();
  auto regs = t.get_regs();
  if (!si.ok() || !regs.ok()) return;
  uint64_t addr = reinterpret_cast<uint64_t>(si->si_addr);
  auto where = [&](uint64_t a) -> std::string {
    auto vmas = proc::read_vmas(pid);
    if (vmas.ok())
      for (const proc::Vma& v : *vmas)
        if (a >= v.start && a < v.end) return fmt::format("{:#x}-{:#x} {}", v.start, v.end, v.path);
    return "unmapped";
  };
  log()->info("pid {} (moved {} times): signal {} code {} at ip {:#x} [{}], address {:#x} [{}]",
              pid, procs_.at(pid).nmigs, sig, si->si_code, regs->ip(), where(regs->ip()), addr,
              where(addr));
}

void HomeSupervisor::on_deputy_event(pid_t pid, Proc& p, const proc::StopEvent& e) {
  std::vector<siginfo_t> sigs;
  auto ev = p.deputy->on_stop(e, sigs);
  if (!ev.ok() || ev->gone) {
    log()->info("deputy {} is gone: ending its body on node {}", pid, p.node);
    if (p.ch) (void)p.ch->send(MsgType::kClose, {});
    if (pid == root_) write_stats();
    drop(pid);
    return;
  }
  Status st = ok_status();
  if (ev->reply) {
    ++stats_.forwarded_syscalls;
    st = p.ch->send(MsgType::kSyscallReply, encode(*ev->reply));
  }
  if (st.ok()) st = forward_signals(p, sigs);
  if (!st.ok()) log()->warn("process {} on node {}: {}", pid, p.node, st.error().message());
}

Status HomeSupervisor::forward_signals(Proc& p, const std::vector<siginfo_t>& sigs) {
  for (const siginfo_t& si : sigs)
    OMX_TRY(p.ch->send(MsgType::kSignal,
                       std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&si), sizeof si)));
  return ok_status();
}

void HomeSupervisor::on_channel(pid_t pid, Proc& p) {
  auto f = p.ch->recv(wire::Duration(0));
  if (!f.ok() && f.error().code == ErrorCode::kTimeout) return;
  Status st = f.ok() ? on_frame(pid, p, *f) : Status(f.error());
  if (st.ok()) return;
  // The link to the body is lost: the process is lost with it (its memory is there). Kill the
  // deputy so the parent learns of it, as openMosix did when a remote node crashed.
  log()->error("process {} on node {}: {}; killing it", pid, p.node, st.error().message());
  if (p.deputy) (void)p.deputy->die_by_signal(SIGKILL);
  drop(pid);
}

Status HomeSupervisor::on_frame(pid_t pid, Proc& p, const wire::Frame& f) {
  switch (f.type) {
    case MsgType::kSyscallRequest: {
      OMX_ASSIGN(SyscallRequest req, decode_request(f.payload));
      if (p.deputy->busy()) return make_error(ErrorCode::kProtocol, "second call while one runs");
      std::vector<siginfo_t> sigs;
      OMX_ASSIGN(std::optional<SyscallReply> now, p.deputy->start(std::move(req), sigs));
      if (now) {
        ++stats_.forwarded_syscalls;
        OMX_TRY(p.ch->send(MsgType::kSyscallReply, encode(*now)));
      }
      return forward_signals(p, sigs);  // the reply follows when the deputy's call ends
    }
    case MsgType::kSyscallCancel:
      return p.deputy->cancel();  // the reply follows as the call ends
    case MsgType::kStopped: {
      wire::Reader r(f.payload, "stopped");
      OMX_ASSIGN(uint32_t sig, r.u32("signal"));
      return p.deputy->stop_like_body(static_cast<int>(sig));
    }
    case MsgType::kFdQuery: {  // DFSA: what is the deputy's fd N (home_fd_query.h)
      OMX_ASSIGN(int32_t fd, decode_fd_query(f.payload));
      // Files under /mfs may be lent too (the body's node may be theirs): scanned for sharing.
      std::vector<std::string> lendable;
      if (dfsa_) lendable = dfsa_->dirs;
      if (dfsa_ && !dfsa_->mfs_mount.empty()) lendable.push_back(dfsa_->mfs_mount);
      return p.ch->send(MsgType::kFdInfo, encode(query_deputy_fd(p.deputy->pid(), fd, lendable)));
    }
    case MsgType::kExit: {
      OMX_ASSIGN(ExitInfo ex, decode_exit(f.payload));
      if (pid == root_) write_stats();
      Status st = ex.by_signal ? p.deputy->die_by_signal(ex.code) : p.deputy->exit_with_status(ex.code);
      drop(pid);
      return st.ok() || st.error().code == ErrorCode::kVanished ? ok_status() : st;
    }
    case MsgType::kGoHome: {
      wire::Reader r(f.payload, "go home");
      OMX_ASSIGN(std::string why, r.str("reason", 4096));
      if (!p.home_requested) ++stats_.went_home;  // a call only home can make
      Status st = come_home(pid, p, why);
      p.home_requested = false;
      std::optional<uint32_t> next = std::exchange(p.then_to, std::nullopt);
      if (st.ok() && next) st = move_out(pid, p, *next);
      finish_waiters(pid, p, st);
      return ok_status();  // a failed move leaves the process running where it was
    }
    case MsgType::kBalanceMove: {  // the balancer where it runs chose another node
      wire::Reader r(f.payload, "balance move");
      OMX_ASSIGN(uint32_t to, r.u32("node"));
      OMX_ASSIGN(std::string why, r.str("reason", 4096));
      if (p.locked || !cfg_.balance || p.home_requested) return ok_status();  // changed meanwhile
      if (!nodes_.known(to)) {
        log()->info("balance: node {} chose unknown node {} for {}; ignored", p.node, to, pid);
        return ok_status();
      }
      log()->info("balance: moving {} from node {} to node {} ({})", pid, p.node, to, why);
      auto st = migrate(pid, to);
      if (!st.ok()) log()->info("balance: {} stays on node {}: {}", pid, p.node, st.error().message());
      return ok_status();
    }
    case MsgType::kBodyStats: {
      OMX_ASSIGN(p.away, decode_body_stats(f.payload));
      p.last_wait = p.away.home_wait_permille / 1000.0;
      sync_nice(pid, p);  // about once a second, as the stats come
      return ok_status();
    }
    case MsgType::kMigrateAbort: {  // the guest could not start sending it back
      wire::Reader r(f.payload, "migrate abort");
      OMX_ASSIGN(std::string why, r.str("reason", 4096));
      ++stats_.failed_migrations;
      p.home_requested = false;
      p.then_to.reset();
      finish_waiters(pid, p, make_error(ErrorCode::kProtocol,
                                        fmt::format("node {} could not send it back: {}", p.node, why)));
      return ok_status();
    }
    default:
      return make_error(ErrorCode::kProtocol,
                        fmt::format("unexpected frame {:#x}", static_cast<unsigned>(f.type)));
  }
}

void HomeSupervisor::drop(pid_t pid) {
  auto it = procs_.find(pid);
  if (it == procs_.end()) return;
  finish_waiters(pid, it->second, make_error(ErrorCode::kVanished, "the process ended", pid));
  if (it->second.deputy) it->second.deputy->tracee().release();
  if (it->second.native) it->second.native->release();
  procs_.erase(it);
}

Result<bool> HomeSupervisor::migrate(pid_t pid, uint32_t target) {
  auto it = procs_.find(pid);
  if (it == procs_.end())
    return make_error(ErrorCode::kInvalid, fmt::format("pid {} is not a migratable process of this tree", pid));
  Proc& p = it->second;
  if (!nodes_.known(target))
    return make_error(ErrorCode::kInvalid, fmt::format("node {} is not in the cluster map", target));
  if (target == p.node && !p.home_requested) return true;
  if (p.deputy) {
    // First step for remote -> remote: through home. The guest sends it back as soon as no
    // call is in flight; the rest happens when kGoHome arrives.
    if (!p.home_requested) OMX_TRY(p.ch->send(MsgType::kMigrateHome, {}));
    p.home_requested = true;
    p.then_to = target == nodes_.home() ? std::nullopt : std::optional<uint32_t>(target);
    return false;
  }
  OMX_TRY(move_out(pid, p, target));
  return true;
}

void HomeSupervisor::finish_waiters(pid_t pid, Proc& p, const Status& st) {
  json reply = st.ok() ? json{{"ok", true}, {"pid", pid}, {"where", p.node},
                              {"move_ms", p.last_move_ms}, {"move_bytes", p.last_move_bytes}}
                       : json{{"ok", false}, {"error", st.error().message()},
                              {"refused", st.error().code == ErrorCode::kRefused}};
  for (ScopedFd& w : p.waiters) write_reply_line(w.get(), reply.dump());
  p.waiters.clear();
}

// Rolls a stopped native process back to exactly where it was: re-queues the signals that
// were held back while we worked on it, removes our scratch area, restores its registers.
Status rollback_native(proc::Tracee& t, const proc::ProcessMemory& mem,
                       const proc::ScratchArea& scratch, const arch::Registers& regs,
                       const std::vector<siginfo_t>& held) {
  proc::RemoteSyscaller rs(t, mem, scratch, regs);
  for (const siginfo_t& si : held) {
    OMX_ASSIGN(RemotePtr<void> at, rs.put_struct(si));
    (void)rs.call(SYS_rt_tgsigqueueinfo, {static_cast<uint64_t>(t.pid()),
                                          static_cast<uint64_t>(t.pid()),
                                          static_cast<uint64_t>(si.si_signo), at.addr()});
  }
  OMX_TRY(rs.call_unmapping_self(SYS_munmap, {scratch.base, scratch.size}));
  OMX_TRY(t.set_regs(regs));
  return t.cont(0);
}

Result<Offer> make_offer(pid_t pid, const std::vector<proc::Vma>& vmas) {
  Offer o;
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line.substr(line.find(':') + 1));
    uint32_t real = 0, eff = 0;
    if (line.rfind("Uid:", 0) == 0 && (ls >> real >> eff)) o.uid = eff;
    else if (line.rfind("Gid:", 0) == 0 && (ls >> real >> eff)) o.gid = eff;
    else if (line.rfind("Groups:", 0) == 0)
      for (uint32_t g; ls >> g;) o.groups.push_back(g);
  }
  std::set<std::string> seen;
  for (const proc::Vma& v : vmas) {
    if (!v.file_backed() || v.deleted || !seen.insert(v.path).second) continue;
    if (auto id = identify_file(v.path); id.ok()) o.files.push_back(*id);
  }
  return o;
}

Status HomeSupervisor::move_out(pid_t pid, Proc& p, uint32_t node) {
  proc::Tracee& t = *p.native;
  std::vector<siginfo_t> held;
  auto t0 = Clock::now();
  uint64_t sent_bytes = 0;
  OMX_TRY(fault::check("home.freeze"));
  OMX_ASSIGN(proc::StopEvent stopped, t.stop(&held));
  // Until the scratch area exists nothing was changed: an early exit resumes it and re-sends
  // the signals stop() held back (with our siginfo: only rollback_native can restore theirs).
  auto give_back = [&]() {
    for (const siginfo_t& si : held) ::syscall(SYS_tgkill, pid, pid, si.si_signo);
  };
  if (stopped.kind == proc::StopEvent::Kind::kEvent) {
    // It was at a fork/exec/exit event we have not handled yet: handle it, move it later.
    on_native_event(pid, p, stopped);
    give_back();
    return make_error(ErrorCode::kRefused,
                      fmt::format("busy (at ptrace event {}); try again", stopped.event), pid);
  }
  auto resume_untouched = [&]() {
    (void)t.cont(0);
    give_back();
  };
  OMX_ASSIGN(arch::Registers regs, t.get_regs());
  p.cmdline = read_cmdline(pid);
  auto vmas = proc::read_vmas(pid);
  if (!vmas.ok()) { resume_untouched(); return std::move(vmas.error()); }
  auto why = proc::check_cantmove(pid, *vmas);
  if (!why.ok() || !why->empty()) {
    resume_untouched();
    if (!why.ok()) return std::move(why.error());
    return make_error(ErrorCode::kRefused, "cannot move: " + why->to_string(), pid);
  }
  auto mem = proc::ProcessMemory::open(pid);
  if (!mem.ok()) { resume_untouched(); return std::move(mem.error()); }
  auto scratch = proc::create_scratch(t, *mem, *vmas, regs, kDeputyScratch, &held);
  if (!scratch.ok()) { (void)t.set_regs(regs); resume_untouched(); return std::move(scratch.error()); }
  // From here a failure rolls the process back to where it was.
  proc::RemoteSyscaller rs(t, *mem, *scratch, regs);
  std::optional<wire::Channel> ch;
  Status st = [&]() -> Status {
    proc::CaptureOptions opts;
    OMX_ASSIGN(proc::CaptureResult cap, proc::capture_state(t, rs, regs, *vmas));
    cap.image.pending.insert(cap.image.pending.begin(), held.begin(), held.end());
    OMX_ASSIGN(Offer offer, make_offer(pid, *vmas));
    auto view = proc_view(pid);
    double cpu_s = (view ? view->cpu_seconds : 0) * speed_factor_;  // in standard-speed seconds
    offer.policy = {cfg_.balance, p.locked, cfg_.hint, static_cast<uint64_t>(cpu_s * 1000)};
    if (!dfsa_) dfsa_ = node_dfsa(cfg_.control_address);  // asked once
    offer.shared_dirs = dfsa_->dirs;
    offer.mfs_mount = dfsa_->mfs_mount;
    OMX_ASSIGN(ch, nodes_.connect(node));
    OMX_TRY(fault::check("home.offer"));
    OMX_TRY(ch->send(MsgType::kMigrateOffer, encode(offer)));
    OMX_ASSIGN(wire::Frame acc, expect(*ch, MsgType::kMigrateAccept, kStepTimeout));
    OMX_ASSIGN(std::set<std::string> have, decode_accept(acc.payload, offer));
    opts.file_available = [&](const proc::Vma& v) { return have.count(v.path) > 0; };
    proc::assign_sources(cap.image, opts);
    OMX_TRY(ch->send(MsgType::kMigrateImage, encode_image(cap.image)));
    ChannelPageSink sink(*ch);
    OMX_TRY(fault::check("home.transfer"));
    OMX_TRY(proc::capture_pages(*mem, cap.image, opts, sink));
    OMX_TRY(ch->send(MsgType::kMigratePagesEnd, {}));
    sent_bytes = sink.bytes();
    OMX_ASSIGN(wire::Frame ack, expect(*ch, MsgType::kMigrateAck, kStepTimeout));
    OMX_TRY(decode_ack(ack.payload));
    OMX_TRY(fault::check("home.commit"));
    return ch->send(MsgType::kMigrateCommit, {});
  }();
  if (!st.ok()) {
    ++stats_.failed_migrations;
    if (ch) ch->close();  // the guest drops what it built
    Status rb = rollback_native(t, *mem, *scratch, regs, held);
    if (!rb.ok()) log()->error("rollback of {} failed: {}", pid, rb.error().message());
    return st;
  }
  // Committed: the body runs on `node`. The original process becomes the deputy.
  proc::Tracee moved = std::move(t);
  p.native.reset();
  auto dep = Deputy::become(std::move(moved), *scratch, regs);
  if (!dep.ok()) {
    log()->error("deputy for {} failed: {}; ending the process", pid, dep.error().message());
    (void)ch->send(MsgType::kClose, {});
    kill(pid, SIGKILL);
    drop(pid);
    return std::move(dep.error());
  }
  p.deputy.emplace(std::move(*dep));
  p.ch = std::move(ch);
  p.nice_sent.reset();  // a new stay: the body starts at the guest's nice
  p.node = node;
  ++p.nmigs;
  ++stats_.migrations;
  p.last_move_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  p.last_move_bytes = sent_bytes;
  if (sent_bytes >= (8u << 20))  // big enough to say something about the link
    link_.bytes_per_s = static_cast<double>(sent_bytes) / (p.last_move_ms / 1000.0);
  log()->info("pid {} now runs on node {} ({:.1f} ms, {} bytes of pages)", pid, node,
              p.last_move_ms, sent_bytes);
  report_move(pid, nodes_.home(), node, p.last_move_ms, sent_bytes, "out");
  return ok_status();
}

Status HomeSupervisor::come_home(pid_t pid, Proc& p, const std::string& reason) {
  auto t0 = Clock::now();
  OMX_ASSIGN(wire::Frame img, expect(*p.ch, MsgType::kMigrateImage, kStepTimeout));
  OMX_ASSIGN(proc::ProcessImage image, decode_image(img.payload));
  std::vector<siginfo_t> sigs;
  OMX_TRY(p.deputy->unpark(sigs));
  image.pending.insert(image.pending.end(), sigs.begin(), sigs.end());
  OMX_ASSIGN(proc::ProcessMemory mem, proc::ProcessMemory::open(pid));
  ChannelPageSource pages(*p.ch, kStepTimeout);
  proc::RestoreOptions opts;
  opts.emulated_brk = false;
  Status st = fault::check("home.come_home");
  if (st.ok())
    st = proc::restore_into(p.deputy->tracee(), mem, p.deputy->scratch(), p.deputy->base_regs(),
                            image, pages, opts);
  if (!st.ok()) {
    // The body keeps running where it is; this deputy keeps serving it.
    log()->warn("pid {} could not come home ({}): {}", pid, reason, st.error().message());
    for (;;) {  // let the sender finish its page stream
      uint64_t a;
      std::span<const uint8_t> d;
      auto more = pages.next(a, d);
      if (!more.ok() || !*more) break;
    }
    ++stats_.failed_migrations;
    OMX_TRY(p.ch->send(MsgType::kMigrateAck, encode_ack(st)));
    OMX_TRY(p.deputy->repark());
    return st;  // reported to whoever asked; the process goes on where it is
  }
  OMX_TRY(p.ch->send(MsgType::kMigrateAck, encode_ack(ok_status())));
  p.ch.reset();
  uint32_t from = p.node;
  proc::Tracee t = std::move(p.deputy->tracee());
  p.deputy.reset();
  p.native.emplace(std::move(t));
  p.node = nodes_.home();
  p.cpu_away_done_ms += std::exchange(p.away, BodyStats{}).cpu_ms;
  ++p.nmigs;
  ++stats_.migrations;
  p.last_move_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  p.last_move_bytes = pages.bytes();
  p.arrived = Clock::now();
  log()->info("pid {} is home ({}; {:.1f} ms)", pid, reason, p.last_move_ms);
  report_move(pid, from, p.node, p.last_move_ms, p.last_move_bytes, reason);
  return p.native->cont(0);
}

void HomeSupervisor::on_control() {
  ScopedFd c(accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!c.valid()) return;
  std::string line = read_request_line(c.get());
  json reply;
  try {
    json req = json::parse(line);
    std::string op = req.value("op", "");
    if (op == "migrate" || op == "lock" || op == "unlock") {
      pid_t pid = req.at("pid").get<pid_t>();
      // Only the owner (this supervisor's user) and root steer a process, as with kill(2).
      ucred cred{};
      socklen_t len = sizeof cred;
      if (getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
          (cred.uid != 0 && cred.uid != geteuid())) {
        write_reply_line(c.get(), json{{"ok", false},
                                       {"error", fmt::format("permission denied: process {} belongs "
                                                             "to uid {}", pid, geteuid())},
                                       {"refused", true}}.dump());
        return;
      }
    }
    if (op == "lock" || op == "unlock") {
      pid_t pid = req.at("pid").get<pid_t>();
      auto it = procs_.find(pid);
      if (it != procs_.end()) {
        it->second.locked = op == "lock";
        send_policy(pid, it->second);
      }
      req["op"] = "where";  // answered below, with the new lock state
    }
    if (op == "migrate") {
      pid_t pid = req.at("pid").get<pid_t>();
      std::string to = req.at("to").get<std::string>();
      uint32_t target = nodes_.home();
      if (to == "balance") {
        auto it = procs_.find(pid);
        if (it == procs_.end()) {
          write_reply_line(c.get(), json{{"ok", false}, {"error", fmt::format("pid {} is not a "
                                         "migratable process of this tree", pid)}}.dump());
          return;
        }
        auto best = balance_target(pid, it->second);
        if (!best.ok()) {
          write_reply_line(c.get(), json{{"ok", false}, {"error", best.error().message()}}.dump());
          return;
        }
        target = *best;
      } else if (to != "home") {
        target = static_cast<uint32_t>(std::stoul(to));
      }
      auto done = migrate(pid, target);
      if (done.ok() && !*done) {  // answered when the move completes
        procs_.at(pid).waiters.push_back(std::move(c));
        return;
      }
      if (!done.ok()) {
        write_reply_line(c.get(), json{{"ok", false}, {"error", done.error().message()},
                                       {"refused", done.error().code == ErrorCode::kRefused}}.dump());
        return;
      }
      req["op"] = "where";
    }
    reply = handle_request(req);
  } catch (const std::exception& e) {
    reply = {{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
  }
  write_reply_line(c.get(), reply.dump());
}

json HomeSupervisor::handle_request(const json& req) {
  std::string op = req.value("op", "");
  // "cantmove": why it cannot move now ("" = it can), checked on the process as it runs here
  // (the reason the balancer met, else its mappings); away it moved, so "". "cpu_away_s": CPU
  // time the process used on other nodes (its stays away, the current one as last reported);
  // the CPU time /proc shows at home is its own there plus its deputy's. "rss_bytes" (away
  // only): the body's resident set as last reported, the deputy's being meaningless.
  // "home_wait", "fwd_calls_s", "fwd_bytes_s" (away only): the body's I/O meter as last reported
  // (fraction of its time waiting for home, forwarded calls and bytes per second).
  auto proc_json = [&](pid_t pid, const Proc& p) {
    std::string cantmove = p.cantmove;
    if (cantmove.empty() && p.native && !p.fresh) {
      auto vmas = proc::read_vmas(pid);
      auto why = vmas.ok() ? proc::check_cantmove(pid, *vmas) : Result<proc::CantMoveSet>(vmas.error());
      if (why.ok()) cantmove = why->to_string();
    }
    json j{{"pid", pid},         {"home", nodes_.home()},        {"where", p.node},
                {"nmigs", p.nmigs},   {"move_ms", p.last_move_ms}, {"move_bytes", p.last_move_bytes},
                {"lock", p.locked},   {"cantmove", cantmove},
                {"cpu_away_s", static_cast<double>(p.cpu_away_done_ms + p.away.cpu_ms) / 1000.0},
                {"cmdline", p.deputy ? p.cmdline : std::string()}};
    if (p.deputy && p.away.rss_bytes) j["rss_bytes"] = p.away.rss_bytes;
    if (p.deputy) {
      j["home_wait"] = p.away.home_wait_permille / 1000.0;
      j["fwd_calls_s"] = p.away.fwd_calls_per_s;
      j["fwd_bytes_s"] = p.away.fwd_bytes_per_s;
    }
    return j;
  };
  if (op == "where") {
    pid_t pid = req.at("pid").get<pid_t>();
    auto it = procs_.find(pid);
    if (it == procs_.end()) return {{"ok", false}, {"error", fmt::format("no such process {}", pid)}};
    json j = proc_json(pid, it->second);
    j["ok"] = true;
    return j;
  }
  if (op == "list") {
    json list = json::array();
    for (auto& [pid, p] : procs_) list.push_back(proc_json(pid, p));
    return {{"ok", true}, {"processes", list}};
  }
  return {{"ok", false}, {"error", "unknown op '" + op + "'"}};
}

void HomeSupervisor::bounce() {
  const std::vector<uint32_t>& ids = nodes_.ids();
  if (ids.size() < 2) return;
  std::vector<pid_t> pids;
  for (auto& [pid, p] : procs_) pids.push_back(pid);
  for (pid_t pid : pids) {
    auto it = procs_.find(pid);
    if (it == procs_.end() || it->second.fresh) continue;
    size_t idx = std::find(ids.begin(), ids.end(), it->second.node) - ids.begin();
    uint32_t next = ids[(idx + 1) % ids.size()];
    auto st = migrate(pid, next);
    if (!st.ok()) log()->info("bounce of {} to node {}: {}", pid, next, st.error().message());
  }
}

// One round of automatic balancing for the processes running here (the home node's view).
void HomeSupervisor::balance_step() {
  const std::string& control = nodes_.control_address();
  auto reply = daemon::control_request({{"op", "nodes"}}, control, std::chrono::milliseconds(500));
  if (!reply.ok() || !reply->value("ok", false)) return;
  std::vector<balance::ProcView> views;
  for (auto& [pid, p] : procs_) {
    if (!p.native || p.ch || p.fresh || !p.cantmove.empty()) continue;
    if (auto v = proc_view(pid)) {
      v->home = nodes_.home();
      v->locked = p.locked;
      v->hint = static_cast<balance::Hint>(cfg_.hint);
      v->resident_s = std::chrono::duration<double>(Clock::now() - p.arrived).count();
      v->home_wait = remembered_wait(p.last_wait, v->resident_s);
      views.push_back(*v);
    }
  }
  std::vector<balance::NodeView> nodes = balance::node_views(*reply);
  speed_factor_ = balance::speed_factor(nodes, nodes_.home());  // also for offers (move_out)
  if (views.empty()) return;
  for (balance::ProcView& v : views) v.cpu_seconds *= speed_factor_;
  auto d = balance::decide(nodes_.home(), nodes, views, link_);
  if (!d) return;
  if (!claim_target(control, nodes, nodes_.home(), d->to)) return;  // another took it; next round
  log()->info("balance: moving {} to node {} ({})", d->pid, d->to, d->reason);
  auto st = migrate(d->pid, d->to);
  if (!st.ok()) {
    log()->info("balance: {} stays: {}", d->pid, st.error().message());
    // A cantmove reason (threads, shared mappings, ...) lasts; anything else may pass.
    if (st.error().what.rfind("cannot move: ", 0) == 0)
      if (auto it = procs_.find(d->pid); it != procs_.end()) it->second.cantmove = st.error().what;
  }
}

void HomeSupervisor::send_policy(pid_t pid, Proc& p) {
  if (!p.ch) return;
  Status st = p.ch->send(MsgType::kBalancePolicy, encode_policy(cfg_.balance, p.locked));
  if (!st.ok()) log()->warn("process {} on node {}: {}", pid, p.node, st.error().message());
}

void HomeSupervisor::sync_nice(pid_t pid, Proc& p) {
  if (!p.deputy || !p.ch || !(p.ch->features() & wire::kFeatureBodyNice)) return;
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(pid));
  if (nice == -1 && errno != 0) return;
  if (p.nice_sent == nice) return;
  // A failed send is the channel's failure: its next recv reports it (on_channel).
  if (!p.ch->send(MsgType::kBodyNice, encode_body_nice(nice)).ok()) return;
  if (p.nice_sent) log()->info("process {} on node {}: nice {} (renice at home)", pid, p.node, nice);
  p.nice_sent = nice;
}

Result<uint32_t> HomeSupervisor::balance_target(pid_t pid, const Proc& p) {
  auto reply = daemon::control_request({{"op", "nodes"}}, nodes_.control_address(),
                                       std::chrono::milliseconds(1000));
  if (!reply.ok()) return std::move(reply.error());
  if (!reply->value("ok", false))
    return make_error(ErrorCode::kRefused, "omxd: " + reply->value("error", std::string("no node table")));
  uint64_t rss = p.last_move_bytes;
  if (p.native)
    if (auto v = proc_view(pid)) rss = v->rss;
  std::vector<balance::NodeView> nodes = balance::node_views(*reply);
  double since = std::chrono::duration<double>(Clock::now() - p.arrived).count();
  double wait = p.native ? remembered_wait(p.last_wait, since) : p.last_wait;
  return balance::best_node(nodes, p.node, nodes_.home(), rss, /*counted=*/true, {}, wait);
}

// mosrun -ID / -jLIST / -b: the program has been exec'd at home; move it where it should start.
// A failure leaves it running here (a few tries first: it may be busy at an event).
// mosrun -b: omxd's "place" names the node (and shows one more process there at once).
void HomeSupervisor::place_now() {
  uint64_t rss = 0;
  if (auto v = proc_view(root_)) rss = v->rss;
  auto reply = daemon::control_request({{"op", "place"}, {"rss", rss}}, nodes_.control_address(),
                                       std::chrono::milliseconds(1000));
  if (reply.ok() && reply->value("ok", false)) {
    cfg_.start_on = reply->value("to", nodes_.home());
    if (cfg_.start_on == nodes_.home()) start_due_ = false;  // it starts where it is
  } else {
    log()->info("placement at start: omxd gave no node; {} starts here", root_);
    start_due_ = false;
  }
}

void HomeSupervisor::start_placement() {
  auto it = procs_.find(root_);
  if (it == procs_.end() || !it->second.native) {
    start_due_ = false;
    return;
  }
  auto used = proc_view(root_);
  if (start_tries_ == 0 && used && used->cpu_seconds - start_cpu0_ < kStartCpu &&
      Clock::now() < start_deadline_) {
    start_at_ = Clock::now() + kStartPoll;  // still in the loader, or waiting for the CPU
    return;
  }
  ++start_tries_;
  uint32_t to = cfg_.start_on;
  start_due_ = false;
  if (!to || to == nodes_.home()) return;
  auto st = migrate(root_, to);
  if (st.ok()) return;
  if (st.error().code == ErrorCode::kRefused && st.error().what.rfind("busy", 0) == 0 && start_tries_ < 5) {
    start_due_ = true;  // at an event; again in 100 ms
    start_at_ = Clock::now() + std::chrono::milliseconds(100);
    cfg_.start_on = to;
    return;
  }
  log()->warn("placement at start on node {} failed: {}; {} runs here", to, st.error().message(), root_);
}

void HomeSupervisor::write_stats() {
  if (cfg_.stats_json.empty() || stats_written_) return;
  stats_written_ = true;
  json j = {{"migrations", stats_.migrations},
            {"failed_migrations", stats_.failed_migrations},
            {"forwarded_syscalls", stats_.forwarded_syscalls},
            {"went_home", stats_.went_home}};
  std::ofstream out(cfg_.stats_json);
  out << j.dump() << "\n";
}

}  // namespace

void HomeSupervisor::report_here() {
  int64_t here = 0;
  for (const auto& [pid, p] : procs_) here += p.native.has_value();
  // Again every 10 s (when the loop wakes anyway): a restarted omxd, or one that was not
  // there (the notification failed), learns the count too.
  if (here == reported_here_ && Clock::now() < next_report_) return;
  (void)daemon::control_notify({{"op", "home_procs"}, {"here", here}}, nodes_.control_address());
  reported_here_ = here;
  next_report_ = Clock::now() + std::chrono::seconds(10);
}

void HomeSupervisor::report_move(pid_t pid, uint32_t from, uint32_t to, double ms, uint64_t bytes,
                                 const std::string& reason) {
  auto st = daemon::control_notify({{"op", "migrated"}, {"pid", pid}, {"from", from}, {"to", to},
                                    {"ms", ms}, {"bytes", bytes}, {"reason", reason}},
                                   nodes_.control_address());
  if (!st.ok()) log()->debug("omxd not told of the move of {}: {}", pid, st.error().message());
}

std::string supervisor_address(pid_t sup) { return fmt::format("@omx/sup/{}", sup); }

int run_home_supervisor(pid_t root, const HomeConfig& cfg) {
  HomeSupervisor s(root, cfg);
  return s.run();
}

}  // namespace omx::migrate
