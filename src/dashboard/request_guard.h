// The checks every dashboard request passes before its handler runs (docs/dashboard.md
// "Security"):
//
//  * Host (every request): must name this server: its listen address, a loopback literal or a
//    localhost name, with the server's port. A DNS-rebinding page reaches us under its own
//    domain name in Host, so it is refused before it can read or change anything. When the
//    server listens on a wildcard address any IP literal (no name) is accepted.
//  * POST: Content-Type must be application/json (a cross-site form can only send
//    form/text types without a CORS preflight, and preflights are never granted).
//
// Each check returns the one-line reason for a 403, or nothing when the request passes.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omx::dashboard {

struct ListenAddress {
  std::string host;  // IP literal, without brackets
  uint16_t port = 0;
};

// "ADDR:PORT", "[V6]:PORT" or ":PORT"/"PORT" (127.0.0.1). Nothing when malformed.
std::optional<ListenAddress> parse_listen(std::string_view text);
std::string format_host_port(const ListenAddress& a);  // brackets around IPv6

std::optional<std::string> check_host(std::string_view host_header, const ListenAddress& self);
std::optional<std::string> check_content_type(std::string_view method, std::string_view content_type);

}  // namespace omx::dashboard
