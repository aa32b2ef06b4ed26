#include "membership/discovery.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::membership {
namespace {

auto log() { return log::get("discovery"); }

// Walks the IPv4 addresses of all interfaces; stops when `f` returns true.
template <typename F>
Status each_ipv4(F f) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return sys_error("getifaddrs");
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> guard(list, &::freeifaddrs);
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    cluster::Ipv4 a{ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr)};
    if (f(std::string(i->ifa_name), a)) break;
  }
  return ok_status();
}

asio::ip::address_v4 to_asio(cluster::Ipv4 a) { return asio::ip::address_v4(a.value); }

}  // namespace

Result<cluster::Ipv4> interface_address(const std::string& name) {
  std::optional<cluster::Ipv4> found;
  OMX_TRY(each_ipv4([&](const std::string& n, cluster::Ipv4 a) {
    if (n == name) found = a;
    return found.has_value();
  }));
  if (!found) return make_error(ErrorCode::kInvalid, fmt::format("interface {} has no IPv4 address", name));
  return *found;
}

Result<std::string> interface_of(cluster::Ipv4 addr) {
  std::string found;
  OMX_TRY(each_ipv4([&](const std::string& n, cluster::Ipv4 a) {
    if (a == addr) found = n;
    return !found.empty();
  }));
  if (found.empty())
    return make_error(ErrorCode::kInvalid,
                      fmt::format("no interface has the address {} (use -i to name one)", addr.to_string()));
  return found;
}

Result<std::string> default_route_interface() {
  std::ifstream in("/proc/net/route");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, dest;
    if (f >> iface >> dest && dest == "00000000") return iface;
  }
  return make_error(ErrorCode::kInvalid,
                    "unable to determine the default interface (no default route): give one with -i");
}

Discovery::Discovery(asio::io_context& io, const wire::Key& key, cluster::NodeId self, Announce me,
                     DiscoveryOptions options, OnAnnounce on_announce)
    : self_(self),
      me_(me),
      opts_(std::move(options)),
      on_announce_(std::move(on_announce)),
      endpoint_(io, key, self, wire::MsgType::kDiscoverAnnounce, "discovery"),
      timer_(io),
      rng_(std::random_device{}()) {}

Discovery::~Discovery() {
  timer_.cancel();
  endpoint_.close();
}

Status Discovery::start() {
  // Multicast goes out of, and is joined on, the interface: -i's, else the node's address's.
  cluster::Ipv4 iface = me_.addr;
  if (!opts_.interface.empty()) {
    OMX_ASSIGN(iface, interface_address(opts_.interface));
  }
  asio::ip::udp::socket& sock = endpoint_.socket();
  asio::error_code ec;
  group_ep_ = asio::ip::udp::endpoint(to_asio(opts_.group), opts_.port);
  auto fail = [&](const char* what) {
    return make_error(ErrorCode::kSys, fmt::format("discovery: {} ({}:{}): {}", what,
                                                   opts_.group.to_string(), opts_.port, ec.message()));
  };
  sock.open(asio::ip::udp::v4(), ec);
  if (ec) return fail("socket");
  sock.set_option(asio::socket_base::reuse_address(true), ec);
  // Bound to the group address: only datagrams sent to the group arrive here (several nodes
  // of a loopback cluster may share one namespace and port).
  sock.bind(group_ep_, ec);
  if (ec) return fail("bind");
  sock.set_option(asio::ip::multicast::join_group(to_asio(opts_.group), to_asio(iface)), ec);
  if (ec) return fail("join group");
  sock.set_option(asio::ip::multicast::outbound_interface(to_asio(iface)), ec);
  if (ec) return fail("multicast interface");
  sock.set_option(asio::ip::multicast::hops(opts_.ttl), ec);
  if (ec) return fail("multicast TTL");
  sock.set_option(asio::ip::multicast::enable_loopback(true), ec);
  log()->info("node {}: announcing {}:{} to {}:{} via {} every {} ms", self_, me_.addr.to_string(),
              me_.port, opts_.group.to_string(), opts_.port, iface.to_string(), opts_.interval.count());
  endpoint_.start([this](const wire::Datagram& d) { on_datagram(d); });
  send_announce(false);
  arm_timer();
  return ok_status();
}

void Discovery::stop() {
  if (!endpoint_.socket().is_open()) return;
  send_announce(true);
  timer_.cancel();
  endpoint_.close();
}

void Discovery::announce_soon() {
  auto now = std::chrono::steady_clock::now();
  if (!endpoint_.socket().is_open() || now - last_extra_ < std::chrono::milliseconds(100)) return;
  last_extra_ = now;
  send_announce(false);
}

void Discovery::send_announce(bool leaving) {
  Announce a = me_;
  if (leaving) a.flags |= kAnnounceLeaving;
  endpoint_.send(encode_announce(a), group_ep_);
}

void Discovery::arm_timer() {
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  timer_.expires_after(std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(opts_.interval.count()) * jitter(rng_))));
  timer_.async_wait([this](asio::error_code ec) {
    if (ec || !endpoint_.socket().is_open()) return;
    send_announce(false);
    arm_timer();
  });
}

void Discovery::on_datagram(const wire::Datagram& d) {
  auto a = decode_announce(d.payload);
  if (!a.ok()) return endpoint_.drop(a.error().message());
  on_announce_(d.sender, *a);
}

}  // namespace omx::membership
