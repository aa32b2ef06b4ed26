#include "migrate/guest_acceptor.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "base/log.h"
#include "mfs/server.h"
#include "mfs/transport.h"
#include "migrate/guest.h"
#include "relay/server.h"
#include "wire/channel.h"
#include "wire/session_owner.h"

namespace omx::migrate {
namespace {

constexpr wire::Duration kHandshakeTimeout{5000};
constexpr wire::Duration kFirstFrameTimeout{10000};

auto log() { return log::get("guest"); }

// A forked child that became a /mfs file server or a relay names itself so (PR_SET_NAME): it
// is not a guest for the counts (gossip, mosctl, the shutdown drain), though SIGUSR1 still ends
// a file server.
constexpr char kMfsComm[] = "omx-mfs";
constexpr char kRelayComm[] = "omx-relay";

// "mfs", "relay", or "" for a guest supervisor (or a child that is gone).
std::string service_of(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/comm", static_cast<int>(pid));
  FILE* f = std::fopen(path, "re");
  if (!f) return "";
  char comm[32] = {};
  std::string_view c = std::fgets(comm, sizeof comm, f) ? comm : "";
  std::fclose(f);
  if (c.starts_with(kMfsComm)) return "mfs";
  if (c.starts_with(kRelayComm)) return "relay";
  return "";
}

bool is_service_child(pid_t pid) { return !service_of(pid).empty(); }

// A forked child holds a copy of every fd omxd had (close-on-exec does not apply: there is no
// exec): its listening sockets, event loop, state directory. Kept, a guest that outlives omxd
// (omxd stopped while it ran) keeps the control socket and the wire port bound: clients connect
// to a socket nobody serves and wait for their timeout, and a new omxd cannot listen.
void close_inherited_fds(int keep) {
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
  ::close_range(static_cast<unsigned>(std::max(keep + 1, 3)), ~0u, 0);
}

// The session is a /mfs session (docs/mfs-dfsa-design.md §1.1): serve this node's files with the
// owner's credentials (root squashed unless --mfs-root) until the client closes or goes idle.
[[noreturn]] void serve_mfs(wire::Channel& ch, const wire::Frame& first,
                            const wire::SessionOwner& owner, const daemon::PeerAddress& peer,
                            const MfsOptions& mfs) {
  log::set_process_tag(fmt::format("node{} mfs{}", ch.node(), getpid()));
  ::prctl(PR_SET_NAME, kMfsComm, 0, 0, 0);
  if (!(ch.features() & wire::kFeatureMfs)) {
    log()->warn("connection from {}: mfs request without the mfs feature", peer.to_string());
    _exit(2);
  }
  // SIGUSR1 (mosctl expel, clean shutdown: "guests, leave") ends a file session at once; the
  // client reconnects to wherever it needs.
  ::signal(SIGUSR1, SIG_DFL);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &usr1, nullptr);
  if (auto st = mfs::become_owner(owner, mfs.allow_root); !st.ok()) {
    log()->error("mfs session from {} for {}: {}", peer.to_string(), owner.to_string(),
                 st.error().message());
    _exit(2);
  }
  mfs::MfsServerConfig cfg;
  cfg.nomfs = mfs.nomfs;
  mfs::ChannelTransport t(ch);
  _exit(mfs::run_server(t, first, cfg));
}

// The session is a relay session (relay/protocol.h): run one whitelisted command as the owner,
// reply, end. The owner is believed as for migration (root is not squashed): only key holders
// get this far.
[[noreturn]] void serve_relay_child(wire::Channel& ch, const wire::Frame& first,
                                    const wire::SessionOwner& owner, bool closing,
                                    const std::string& control) {
  log::set_process_tag(fmt::format("node{} relay{}", ch.node(), getpid()));
  ::prctl(PR_SET_NAME, kRelayComm, 0, 0, 0);
  // The command (omx ps, mosctl, ...) talks to this omxd, whatever its control address is
  // (run_as passes OMX_CONTROL on).
  if (!control.empty()) ::setenv("OMX_CONTROL", control.c_str(), 1);
  std::string refuse;
  if (!(ch.features() & wire::kFeatureRelay)) refuse = "relay request without the relay feature";
  if (closing) refuse = fmt::format("node {} is shutting down", ch.node());
  _exit(relay::serve_relay(ch, first, owner, refuse));
}

[[noreturn]] void child_main(ScopedFd fd, const daemon::PeerAddress& peer, uint32_t node,
                             const wire::Key& key, bool allow_root, bool blocked, bool closing,
                             const std::string& control, const MfsOptions& mfs, bool guests_full) {
  // SIGUSR1 (mosctl expel, clean shutdown) arrives blocked from fork on (on_connection); the
  // guest's loop takes it once the body runs (guest.cc).
  close_inherited_fds(fd.get());
  ::setpriority(PRIO_PROCESS, 0, 0);  // omxd runs at a raised priority (--nice); guests do not
  ::signal(SIGCHLD, SIG_DFL);  // omxd ignores it; we wait for our own children
  log::set_process_tag(fmt::format("node{} guest{}", node, getpid()));
  wire::SessionOptions so;
  // Offered: this node serves /mfs and relays (sessions that do not offer them too negotiate
  // without them, as before).
  so.app_features = wire::kFeatureMfs | wire::kFeatureRelay;
  auto ch = wire::Channel::accept(std::move(fd), key, node, kHandshakeTimeout, so);
  if (!ch.ok()) {
    log()->warn("connection from {} rejected: {}", peer.to_string(), ch.error().message());
    _exit(2);
  }
  auto owner_frame = ch->recv(kFirstFrameTimeout);
  if (!owner_frame.ok() || owner_frame->type != wire::MsgType::kSessionOwner) {
    log()->warn("connection from {}: no session owner: {}", peer.to_string(),
                owner_frame.ok() ? "first frame is " + wire::msg_type_name(owner_frame->type)
                                 : owner_frame.error().message());
    _exit(2);
  }
  auto owner = wire::decode_owner(owner_frame->payload);
  if (!owner.ok()) {
    log()->warn("connection from {}: {}", peer.to_string(), owner.error().message());
    _exit(2);
  }
  auto first = ch->recv(kFirstFrameTimeout);
  if (!first.ok()) {
    log()->warn("connection from {}: {}", peer.to_string(), first.error().message());
    _exit(2);
  }
  if (first->type == wire::MsgType::kMfsRequest) {
    if (closing) {  // omxd is shutting down: no new file sessions (the client tries again later)
      log()->info("mfs session from {} refused: shutting down", peer.to_string());
      _exit(2);
    }
    serve_mfs(*ch, *first, *owner, peer, mfs);
  }
  if (first->type == wire::MsgType::kRelayRequest) serve_relay_child(*ch, *first, *owner, closing, control);
  if (first->type == wire::MsgType::kMigrateOffer && guests_full) {
    log()->warn("refusing the offer from {}: {} guests already", peer.to_string(),
                GuestAcceptor::kMaxGuests);
    _exit(2);
  }
  if (first->type != wire::MsgType::kMigrateOffer) {
    log()->warn("connection from {}: unexpected frame {}", peer.to_string(),
                wire::msg_type_name(first->type));
    _exit(2);
  }
  GuestConfig cfg{node, allow_root, std::move(*owner), blocked, closing, control};
  _exit(run_guest(std::move(*ch), *first, cfg));
}

}  // namespace

void GuestAcceptor::on_connection(ScopedFd fd, const daemon::PeerAddress& peer) {
  if (children_.full()) {
    log()->warn("refusing connection from {}: {} children already", peer.to_string(), children_.size());
    return;
  }
  // The child starts with SIGUSR1 blocked: signal_all() may reach it as soon as it is in
  // children_, before it could block the signal itself (its default action would kill it).
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old_mask);
  bool guests_full = guests() >= kMaxGuests;  // before fork: the child has no children to count
  pid_t pid = fork();
  if (pid == 0)
    child_main(std::move(fd), peer, node_id_, key_, allow_root_, blocked_ && blocked_(), closing_,
               control_address_, MfsOptions{nomfs_ && nomfs_(), mfs_root_}, guests_full);
  int fork_errno = errno;
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    log()->error("fork for connection from {}: {}", peer.to_string(), strerror(fork_errno));
    return;
  }
  children_.add(pid);
  peers_[pid] = peer.to_string();
}

size_t GuestAcceptor::guests() {
  children_.reap();
  return static_cast<size_t>(std::count_if(children_.pids().begin(), children_.pids().end(),
                                           [](pid_t p) { return !is_service_child(p); }));
}

bool GuestAcceptor::is_guest(pid_t pid) {
  children_.reap();
  return children_.pids().contains(pid) && !is_service_child(pid);
}

std::vector<std::string> GuestAcceptor::describe_guests() {
  children_.reap();
  std::erase_if(peers_, [&](const auto& e) { return !children_.pids().contains(e.first); });
  std::vector<std::string> out;
  for (pid_t p : children_.pids()) {
    auto it = peers_.find(p);
    std::string service = service_of(p);
    out.push_back(fmt::format("{} pid {} (connection from {})",
                              service.empty() ? "supervisor"
                                              : service == "mfs" ? "mfs server" : "relay",
                              p,
                              it == peers_.end() ? "?" : it->second));
  }
  return out;
}

size_t GuestAcceptor::signal_all(int sig) {
  children_.reap();
  size_t n = 0;
  for (pid_t p : children_.pids()) n += ::kill(p, sig) == 0;
  return n;
}

}  // namespace omx::migrate
