#include "migrate/channel_broker.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_address.h"
#include "wire/channel_handoff.h"
#include "wire/codec.h"
#include "wire/session_owner.h"

namespace omx::migrate {
namespace {

constexpr wire::Duration kRequestTimeout{5000};
constexpr wire::Duration kConnectTimeout{5000};

auto log() { return log::get("broker"); }

void reply_error(int client, const std::string& why) {
  wire::Writer w;
  w.u8(1);
  w.str(why);
  (void)wire::send_with_fd(client, w.data());
}

}  // namespace

void ChannelBroker::on_connection(ScopedFd fd) {
  if (children_.full()) {
    log()->warn("refusing a channel request: {} requests in progress", children_.size());
    reply_error(fd.get(), "too many channel requests in progress on this node; try again");
    return;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    log()->error("fork for a channel request: {}", std::strerror(errno));
    reply_error(fd.get(), "omxd could not fork");
    return;
  }
  if (pid == 0) child_main(std::move(fd));
  children_.add(pid);
}

Result<std::pair<ScopedFd, wire::ChannelHandoff>> ChannelBroker::open_for(int client,
                                                                          uint32_t node) {
  OMX_ASSIGN(wire::SessionOwner owner, wire::peer_owner(client));
  auto ep = lookup_(node);
  if (!ep) return make_error(ErrorCode::kInvalid, fmt::format("node {} is not in the cluster map", node));
  wire::SessionOptions so;
  so.app_features = wire::kFeatureBodyNice;  // the home supervisor may send kBodyNice
  OMX_ASSIGN(wire::Channel ch,
             wire::Channel::connect(ep->addr, ep->port, key_, node_id_, kConnectTimeout, so));
  OMX_TRY(ch.send(wire::MsgType::kSessionOwner, wire::encode_owner(owner)));
  log()->info("channel to node {} for {}", node, owner.to_string());
  return ch.release();
}

void ChannelBroker::child_main(ScopedFd fd) {
  ::signal(SIGCHLD, SIG_DFL);
  log::set_process_tag(fmt::format("node{} broker{}", node_id_, ::getpid()));
  auto req = wire::recv_with_fd(fd.get(), kRequestTimeout);
  if (!req.ok()) {
    log()->warn("channel request: {}", req.error().message());
    ::_exit(2);
  }
  wire::Reader r(req->first, "channel request");
  auto version = r.u32("version");
  auto node = r.u32("node");
  if (!version.ok() || !node.ok() || !r.expect_end().ok() || *version != kBrokerVersion) {
    log()->warn("malformed channel request dropped ({} bytes)", req->first.size());
    reply_error(fd.get(), fmt::format("malformed request (this omxd speaks broker version {})",
                                      kBrokerVersion));
    ::_exit(2);
  }
  auto opened = open_for(fd.get(), *node);
  if (!opened.ok()) {
    log()->warn("channel to node {}: {}", *node, opened.error().message());
    reply_error(fd.get(), opened.error().message());
    ::_exit(1);
  }
  wire::Writer w(200);
  w.u8(0);
  w.raw(wire::encode_handoff(opened->second));
  auto st = wire::send_with_fd(fd.get(), w.data(), opened->first.get());
  if (!st.ok()) log()->warn("channel to node {}: handing it over: {}", *node, st.error().message());
  ::_exit(st.ok() ? 0 : 1);
}

Result<wire::Channel> broker_connect(const std::string& broker_address, uint32_t node,
                                     wire::Duration timeout) {
  OMX_ASSIGN(daemon::UnixAddress addr, daemon::make_unix_address(broker_address));
  ScopedFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return sys_error("socket(AF_UNIX, SOCK_SEQPACKET)");
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) != 0)
    return sys_error(fmt::format("connect to the omx daemon's channel broker {} (is omxd running?)",
                                 broker_address));
  wire::Writer w;
  w.u32(kBrokerVersion);
  w.u32(node);
  OMX_TRY(wire::send_with_fd(sock.get(), w.data()));
  OMX_ASSIGN(auto reply, wire::recv_with_fd(sock.get(), timeout));
  wire::Reader r(reply.first, "channel broker reply");
  OMX_ASSIGN(uint8_t status, r.u8("status"));
  if (status != 0) {
    OMX_ASSIGN(std::string why, r.str("reason", 4000));
    return make_error(ErrorCode::kRefused, fmt::format("no channel to node {}: {}", node, why));
  }
  if (!reply.second.valid())
    return make_error(ErrorCode::kProtocol, "channel broker replied without a socket");
  OMX_ASSIGN(auto rest, r.raw("handoff", r.remaining()));
  OMX_ASSIGN(wire::ChannelHandoff h, wire::decode_handoff(rest));
  return wire::Channel::adopt(std::move(reply.second), h);
}

}  // namespace omx::migrate
