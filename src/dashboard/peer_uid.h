// Who owns the other end of a loopback TCP connection: the kernel's sock_diag (NETLINK_SOCK_DIAG,
// an inet_diag_req_v2 naming the exact 4-tuple, as `ss -e` shows it) reports the uid that
// created the client's socket. Only meaningful when both ends are on this host (a loopback
// address) and in this network namespace: then the client socket is one of ours to look up.
//
// Addresses are text as the HTTP server reports them ("127.0.0.1", "::1", "::ffff:127.0.0.1");
// an IPv4-mapped IPv6 address is looked up as IPv4 when the IPv6 lookup finds nothing.
//
// Blocking (one netlink round trip); thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/result.h"

namespace omx::dashboard {

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
bool is_loopback_address(const std::string& addr);

// The uid of the socket bound to client_addr:client_port and connected to
// server_addr:server_port. kVanished when there is no such socket (the client has gone).
Result<uid_t> loopback_peer_uid(const std::string& client_addr, uint16_t client_port,
                                const std::string& server_addr, uint16_t server_port);

}  // namespace omx::dashboard
