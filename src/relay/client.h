// relay_run: runs one whitelisted command (run_as.h) as a given user on another node, through
// that node's omxd: an authenticated wire session (cluster key, kFeatureRelay), the owner stated
// in kSessionOwner, one kRelayRequest, one kRelayReply (protocol.h). The remote omxd runs the
// command with run_as as that uid/gid (the uid's groups as the remote node's databases have
// them) and checks the whitelist again.
//
// Only a holder of the cluster key can call it (root: the key file, or omxd's "key" op for root
// callers, cluster_key()); the owner it states is believed by the other node, so a caller acting
// for a user must have established who the user is (the dashboard from its login, `omx on` from
// --user given by root).
//
// Bounds: the whole call (connect, handshake, the command, the reply) takes at most `timeout`
// (clamped to 0..kMaxTimeoutMs, one hour; plus a few ms); the command itself gets the timeout
// minus a margin for the reply (a quarter, at most 1 s), so its timed-out result still comes
// back. Errors say which node and why:
// kTimeout / kSys (ECONNREFUSED, EHOSTUNREACH) when the node does not answer, kRefused when the
// other omxd refused (command not allowed, a node without the relay feature), kProtocol for a
// malformed answer.
//
// Threading: thread-safe (no shared state; each call its own connection). Blocking.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "relay/protocol.h"
#include "relay/run_as.h"
#include "wire/key.h"

namespace omx::relay {

inline constexpr std::chrono::milliseconds kConnectTimeout{5000};

// `self_node` is only this side's node id in the hello (logs on the other side); 0 if unknown.
Result<RunResult> relay_run(const std::string& host, uint16_t port, const wire::Key& key,
                            const RunAs& as, const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout, uint32_t self_node = 0);

// Helpers for a caller on a node with omxd (control socket `control`, "" = the default).
struct NodeAddress {
  uint32_t id = 0;
  std::string host;
  uint16_t port = 0;
  bool self = false;  // the node of this omxd
};
// The node's address from omxd's map (op "node"); kInvalid when it is not in the map,
// kRefused when no omxd answers.
Result<NodeAddress> node_address(uint32_t node, const std::string& control = "");
// The same, from a reply of omxd's "nodes" op the caller already has (kInvalid: not in the map).
Result<NodeAddress> find_node(const nlohmann::json& nodes_reply, uint32_t node);
// The cluster key from omxd (op "key"; omxd gives it to root only: kRefused otherwise).
Result<wire::Key> cluster_key(const std::string& control = "");

// All of it in one call (root): relay_run to the node's omxd (this node's own too: then the
// command talks to the omxd at `control` and omxd logs it like any other), with the key from
// cluster_key() or `key` when given. Errors as above.
Result<RunResult> run_on(uint32_t node, const RunAs& as, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout, const std::string& control = "",
                         const wire::Key* key = nullptr);

}  // namespace omx::relay
