#include "relay/server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/log.h"
#include "relay/protocol.h"
#include "relay/run_as.h"

namespace omx::relay {
namespace {

constexpr wire::Duration kReplySendTimeout{10000};

auto log() { return log::get("relay"); }

int refuse_with(wire::Channel& ch, const std::string& why) {
  (void)ch.send(wire::MsgType::kError, encode_refusal(why));
  return 2;
}

}  // namespace

int serve_relay(wire::Channel& ch, const wire::Frame& request, const wire::SessionOwner& owner,
                const std::string& refuse) {
  const std::string peer = fmt::format("node {}", ch.peer_node());
  if (!refuse.empty()) {
    log()->info("relay request from {} for {} refused: {}", peer, owner.to_string(), refuse);
    return refuse_with(ch, refuse);
  }
  auto req = decode_request(request.payload);
  if (!req.ok()) {
    log()->warn("relay request from {}: {}", peer, req.error().message());
    return refuse_with(ch, req.error().message());
  }
  std::string cmd = fmt::format("{}", fmt::join(req->argv, " "));
  auto res = run_as({owner.uid, owner.gid}, req->argv, std::chrono::milliseconds(req->timeout_ms));
  if (!res.ok()) {
    log()->info("relay from {} as uid {} gid {}: '{}' not run: {}", peer, owner.uid, owner.gid, cmd,
                res.error().message());
    return refuse_with(ch, fmt::format("node {}: {}", ch.node(), res.error().message()));
  }
  log()->info("relay from {} as uid {} gid {}: '{}' exit {}{}", peer, owner.uid, owner.gid, cmd,
              res->exit_code, res->timed_out ? " (timed out)" : "");
  ch.set_send_timeout(kReplySendTimeout);
  if (auto st = ch.send(wire::MsgType::kRelayReply, encode_reply(*res)); !st.ok()) {
    log()->warn("relay reply to {}: {}", peer, st.error().message());
    return 2;
  }
  return 0;
}

}  // namespace omx::relay
