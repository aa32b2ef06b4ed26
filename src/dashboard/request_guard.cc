#include "dashboard/request_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace omx::dashboard {
namespace {

bool ip_literal(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool wildcard(const std::string& s) { return s == "0.0.0.0" || s == "::"; }

bool loopback_name(const std::string& h) {
  if (h == "localhost" || h == "localhost.localdomain" || h == "ip6-localhost" || h == "::1") return true;
  in_addr a;
  return ::inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Splits "host:port", "[v6]:port", "host" (port 0 = not given).
bool split_host_port(std::string_view text, std::string& host, uint32_t& port) {
  port = 0;
  std::string_view rest;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {  // bare IPv6, no port
      host = std::string(text);
      return true;
    }
    host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty()) return true;
  if (rest[0] != ':' || rest.size() < 2) return false;
  auto [end, ec] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), port);
  return ec == std::errc() && end == rest.data() + rest.size() && port > 0 && port <= 65535;
}

}  // namespace

std::optional<ListenAddress> parse_listen(std::string_view text) {
  std::string host;
  uint32_t port = 0;
  if (!text.empty() && text[0] == ':') text.remove_prefix(1);
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {  // "PORT" alone
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || port == 0 || port > 65535) return std::nullopt;
    return ListenAddress{"127.0.0.1", static_cast<uint16_t>(port)};
  }
  if (!split_host_port(text, host, port) || port == 0) return std::nullopt;
  if (host.empty()) host = "127.0.0.1";
  if (host == "localhost") host = "127.0.0.1";
  if (!ip_literal(host)) return std::nullopt;
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

std::string format_host_port(const ListenAddress& a) {
  if (a.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", a.host, a.port);
  return fmt::format("{}:{}", a.host, a.port);
}

std::optional<std::string> check_host(std::string_view host_header, const ListenAddress& self) {
  std::string host;
  uint32_t port = 0;
  if (host_header.empty()) return "a Host header is required";
  if (!split_host_port(lower(host_header), host, port))
    return fmt::format("malformed Host header '{}'", host_header);
  if ((port == 0 ? 80u : port) != self.port)
    return fmt::format("Host '{}' is not this server ({}): wrong port", host_header, format_host_port(self));
  if (host == self.host || loopback_name(host)) return std::nullopt;
  if (wildcard(self.host) && ip_literal(host)) return std::nullopt;
  return fmt::format("Host '{}' is not this server's address (open {} instead; names other than "
                     "localhost are refused against DNS rebinding)",
                     host_header, format_host_port(self));
}

std::optional<std::string> check_content_type(std::string_view method, std::string_view content_type) {
  if (method != "POST") return std::nullopt;
  std::string ct = lower(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == "application/json") return std::nullopt;
  return fmt::format("POST needs Content-Type: application/json (got '{}')", content_type);
}

}  // namespace omx::dashboard
