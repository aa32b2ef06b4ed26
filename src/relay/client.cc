#include "relay/client.h"

#include <algorithm>

#include <fmt/format.h>

#include "daemon/control_client.h"
#include "relay/protocol.h"
#include "wire/channel.h"
#include "wire/handshake.h"
#include "wire/session_owner.h"

namespace omx::relay {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds left(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

Error at(const std::string& where, Error e) {
  e.what = fmt::format("{}: {}", where, e.what);
  return e;
}

Result<nlohmann::json> ask(const nlohmann::json& req, const std::string& control) {
  std::string address = control.empty() ? daemon::default_control_address() : control;
  auto reply = daemon::control_request(req, address);
  if (!reply.ok())
    return make_error(ErrorCode::kRefused, fmt::format("no omx daemon answers on {} ({})", address,
                                                       reply.error().message()));
  if (!reply->value("ok", false))
    return make_error(ErrorCode::kRefused, reply->value("error", std::string("omxd refused")));
  return std::move(*reply);
}

}  // namespace

Result<RunResult> relay_run(const std::string& host, uint16_t port, const wire::Key& key,
                            const RunAs& as, const std::vector<std::string>& argv,
                            milliseconds timeout, uint32_t self_node) {
  timeout = std::clamp(timeout, milliseconds(0), milliseconds(kMaxTimeoutMs));
  const auto deadline = Clock::now() + timeout;
  const std::string where = fmt::format("omxd at {}:{}", host, port);
  // Refused here what the other side would refuse (a program missing here may exist there).
  if (auto r = resolve_command(argv); !r.ok() && r.error().code != ErrorCode::kSys)
    return std::move(r.error());
  wire::SessionOptions so;
  so.app_features = wire::kFeatureRelay;
  auto ch = wire::Channel::connect(host, port, key, self_node, std::min(timeout, kConnectTimeout), so);
  if (!ch.ok()) return at(where, std::move(ch.error()));
  if (!(ch->features() & wire::kFeatureRelay))
    return make_error(ErrorCode::kRefused,
                      fmt::format("{} does not run commands for others (an older omx there?)", where));
  milliseconds rest = left(deadline);
  milliseconds remote = rest - std::min(milliseconds(1000), rest / 4);
  if (remote.count() < 1) return make_error(ErrorCode::kTimeout, where + ": no time left after connecting");
  ch->set_send_timeout(rest);
  wire::SessionOwner owner{as.uid, as.gid, {}};
  RelayRequest req{static_cast<uint32_t>(std::min<int64_t>(remote.count(), kMaxTimeoutMs)), argv};
  if (auto st = ch->send(wire::MsgType::kSessionOwner, wire::encode_owner(owner)); !st.ok())
    return at(where, std::move(st.error()));
  if (auto st = ch->send(wire::MsgType::kRelayRequest, encode_request(req)); !st.ok())
    return at(where, std::move(st.error()));
  auto f = ch->recv(left(deadline));
  if (!f.ok()) {
    if (f.error().code == ErrorCode::kTimeout)
      return make_error(ErrorCode::kTimeout,
                        fmt::format("{}: no answer within {} ms", where, timeout.count()));
    if (wire::is_peer_closed(f.error()))
      return make_error(ErrorCode::kRefused,
                        fmt::format("{} closed the session without an answer (its log says why)", where));
    return at(where, std::move(f.error()));
  }
  if (f->type == wire::MsgType::kError) {
    auto why = decode_refusal(f->payload);
    if (!why.ok()) return at(where, std::move(why.error()));
    return make_error(ErrorCode::kRefused, fmt::format("{}: {}", where, *why));
  }
  if (f->type != wire::MsgType::kRelayReply)
    return make_error(ErrorCode::kProtocol,
                      fmt::format("{}: {} instead of a relay reply", where, wire::msg_type_name(f->type)));
  auto res = decode_reply(f->payload);
  if (!res.ok()) return at(where, std::move(res.error()));
  return res;
}

Result<NodeAddress> node_address(uint32_t node, const std::string& control) {
  OMX_ASSIGN(auto nodes, ask({{"op", "nodes"}}, control));
  return find_node(nodes, node);
}

Result<NodeAddress> find_node(const nlohmann::json& nodes, uint32_t node) {
  try {
    uint32_t self = nodes.at("node").get<uint32_t>();
    for (const auto& n : nodes.at("nodes")) {
      if (n.at("id").get<uint32_t>() != node) continue;
      return NodeAddress{node, n.at("addr").get<std::string>(), n.at("port").get<uint16_t>(),
                         node == self};
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kProtocol, std::string("omxd node table: ") + e.what());
  }
  return make_error(ErrorCode::kInvalid, fmt::format("node {} is not in the cluster map", node));
}

Result<wire::Key> cluster_key(const std::string& control) {
  OMX_ASSIGN(auto reply, ask({{"op", "key"}}, control));
  return wire::Key::from_hex(reply.value("key", std::string()));
}

Result<RunResult> run_on(uint32_t node, const RunAs& as, const std::vector<std::string>& argv,
                         milliseconds timeout, const std::string& control, const wire::Key* key) {
  OMX_ASSIGN(NodeAddress where, node_address(node, control));
  if (key) return relay_run(where.host, where.port, *key, as, argv, timeout);
  OMX_ASSIGN(wire::Key k, cluster_key(control));
  return relay_run(where.host, where.port, k, as, argv, timeout);
}

}  // namespace omx::relay
