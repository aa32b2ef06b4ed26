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
    : io_(io),
      key_(key),
      self_(self),
      me_(me),
      opts_(std::move(options)),
      on_announce_(std::move(on_announce)),
      socket_(io),
      timer_(io),
      rx_(2048),
      rng_(std::random_device{}()) {}

Discovery::~Discovery() {
  asio::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
}

Status Discovery::start() {
  if (!opts_.interface.empty()) {
    OMX_ASSIGN(cluster::Ipv4 a, interface_address(opts_.interface));
    if (a != me_.addr)
      log()->info("announcing {} from interface {} ({})", me_.addr.to_string(), opts_.interface, a.to_string());
  }
  asio::error_code ec;
  group_ep_ = asio::ip::udp::endpoint(to_asio(opts_.group), opts_.port);
  auto fail = [&](const char* what) {
    return make_error(ErrorCode::kSys, fmt::format("discovery: {} ({}:{}): {}", what,
                                                   opts_.group.to_string(), opts_.port, ec.message()));
  };
  socket_.open(asio::ip::udp::v4(), ec);
  if (ec) return fail("socket");
  socket_.set_option(asio::socket_base::reuse_address(true), ec);
  // Bound to the group address: only datagrams sent to the group arrive here (several nodes
  // of a loopback cluster may share one namespace and port).
  socket_.bind(group_ep_, ec);
  if (ec) return fail("bind");
  socket_.set_option(asio::ip::multicast::join_group(to_asio(opts_.group), to_asio(me_.addr)), ec);
  if (ec) return fail("join group");
  socket_.set_option(asio::ip::multicast::outbound_interface(to_asio(me_.addr)), ec);
  if (ec) return fail("multicast interface");
  socket_.set_option(asio::ip::multicast::hops(opts_.ttl), ec);
  if (ec) return fail("multicast TTL");
  socket_.set_option(asio::ip::multicast::enable_loopback(true), ec);
  open_ = true;
  log()->info("node {}: announcing {}:{} to {}:{} every {} ms", self_, me_.addr.to_string(),
              me_.port, opts_.group.to_string(), opts_.port, opts_.interval.count());
  receive_next();
  send_announce(false);
  arm_timer();
  return ok_status();
}

void Discovery::stop() {
  if (!open_) return;
  send_announce(true);
  open_ = false;
  asio::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
}

void Discovery::announce_soon() {
  auto now = std::chrono::steady_clock::now();
  if (!open_ || now - last_extra_ < std::chrono::milliseconds(100)) return;
  last_extra_ = now;
  send_announce(false);
}

void Discovery::send_announce(bool leaving) {
  Announce a = me_;
  if (leaving) a.flags |= kAnnounceLeaving;
  auto sealed = wire::seal_datagram(key_, wire::MsgType::kDiscoverAnnounce, self_,
                                    wire::wall_clock_ms(), ++counter_, encode_announce(a));
  if (!sealed.ok()) return;
  asio::error_code ec;
  socket_.send_to(asio::buffer(*sealed), group_ep_, 0, ec);  // a datagram: never blocks long
  if (ec) {
    log()->debug("discovery: send: {}", ec.message());
    return;
  }
  ++stats_.sent;
}

void Discovery::arm_timer() {
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  timer_.expires_after(std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(opts_.interval.count()) * jitter(rng_))));
  timer_.async_wait([this](asio::error_code ec) {
    if (ec || !open_) return;
    send_announce(false);
    arm_timer();
  });
}

void Discovery::receive_next() {
  socket_.async_receive_from(asio::buffer(rx_), from_, [this](asio::error_code ec, size_t n) {
    if (ec == asio::error::operation_aborted || !open_) return;
    if (!ec) on_datagram(n);
    receive_next();
  });
}

void Discovery::drop(const std::string& why) {
  ++stats_.dropped;
  auto now = std::chrono::steady_clock::now();
  if (now - last_drop_log_ < std::chrono::seconds(1)) return;
  last_drop_log_ = now;
  log()->warn("discovery: dropped a datagram from {}: {} ({} dropped so far)",
              from_.address().to_string(), why, stats_.dropped);
}

void Discovery::on_datagram(size_t n) {
  auto d = wire::open_datagram(key_, std::span<const uint8_t>(rx_.data(), n));
  if (!d.ok()) return drop(d.error().message());
  if (d->sender == self_) return;  // our own, looped back
  if (d->type != wire::MsgType::kDiscoverAnnounce) return drop("not an announcement");
  if (auto st = replay_.check(*d, wire::wall_clock_ms()); !st.ok()) return drop(st.error().message());
  auto a = decode_announce(d->payload);
  if (!a.ok()) return drop(a.error().message());
  ++stats_.accepted;
  on_announce_(d->sender, *a);
}

}  // namespace omx::membership
