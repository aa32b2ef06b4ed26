// Discovery (omdiscd, also an omxd option): nodes find each other by authenticated multicast
// announcements. Every interval (default 500 ms, jittered ±10 %) the node sends an Announce
// (announce.h) sealed as a wire datagram (wire/datagram.h: key derived from the cluster key,
// replay window) to the group (default 239.255.77.77, UDP port 5429, TTL 1) on one interface;
// it also sends one at once on start, one when it hears a node it did not know (so the newcomer
// learns of it at once) and a "leaving" one on stop. Verified announcements from
// other nodes go to the callback; anything else (wrong key, malformed, replayed, own echo) is
// dropped and counted, and logged at most once per second.
//
// Interface: given by name (-i), else the interface holding the node's own address. The node's
// id, when not configured, is the last two octets of that interface's address (openMosix
// omdiscd: 192.168.10.220 -> 2780; announce.h node_id_from_address).
//
// Threading: runs on the io_context's thread; the callback is called there.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "cluster/node_map.h"
#include "membership/announce.h"
#include "membership/datagram_endpoint.h"
#include "wire/datagram.h"

namespace omx::membership {

inline constexpr uint16_t kDefaultDiscoveryPort = 5429;
inline constexpr const char* kDefaultDiscoveryGroup = "239.255.77.77";

struct DiscoveryOptions {
  std::string interface;  // "": the interface holding `addr`
  cluster::Ipv4 group = *cluster::Ipv4::parse(kDefaultDiscoveryGroup);
  uint16_t port = kDefaultDiscoveryPort;
  int ttl = 1;
  std::chrono::milliseconds interval{500};
};

// The IPv4 address of interface `name`, or the name of the interface holding `addr`.
Result<cluster::Ipv4> interface_address(const std::string& name);
Result<std::string> interface_of(cluster::Ipv4 addr);
// The interface of the default route (/proc/net/route), as omdiscd used without -i.
Result<std::string> default_route_interface();

class Discovery {
 public:
  using OnAnnounce = std::function<void(cluster::NodeId sender, const Announce&)>;

  Discovery(asio::io_context& io, const wire::Key& key, cluster::NodeId self, Announce me,
            DiscoveryOptions options, OnAnnounce on_announce);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Opens the socket, joins the group, sends the first announcement, arms the timer.
  Status start();
  // Announces now (a newcomer was heard: it learns of us without waiting for the timer). At most
  // once per 100 ms.
  void announce_soon();
  // Sends a "leaving" announcement and closes.
  void stop();
  const DatagramStats& stats() const { return endpoint_.stats(); }

 private:
  void send_announce(bool leaving);
  void arm_timer();
  void on_datagram(const wire::Datagram& d);

  cluster::NodeId self_;
  Announce me_;
  DiscoveryOptions opts_;
  OnAnnounce on_announce_;
  DatagramEndpoint endpoint_;
  asio::steady_timer timer_;
  asio::ip::udp::endpoint group_ep_;
  std::mt19937 rng_;
  std::chrono::steady_clock::time_point last_extra_{};
  bool open_ = false;
};

}  // namespace omx::membership
