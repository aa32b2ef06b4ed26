// DatagramEndpoint: one UDP socket speaking authenticated wire datagrams (wire/datagram.h) of one
// message type, on omxd's event loop. Received datagrams are opened (wrong key, forged, malformed:
// dropped), checked for type and freshness (ReplayWindow: replays dropped), and our own looped
// back ones ignored; the rest go to the callback, which may still drop() one whose payload it
// rejects. Drops are counted and logged at most once a second, so a flood costs no log space.
// Discovery and gossip each own one.
//
// Threading: omxd's event loop.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <asio.hpp>

#include "cluster/node_map.h"
#include "wire/datagram.h"

namespace omx::membership {

struct DatagramStats {
  uint64_t sent = 0, accepted = 0, dropped = 0;
};

class DatagramEndpoint {
 public:
  using OnDatagram = std::function<void(const wire::Datagram&)>;

  DatagramEndpoint(asio::io_context& io, const wire::Key& key, cluster::NodeId self,
                   wire::MsgType type, std::string name);
  ~DatagramEndpoint() { close(); }

  // The socket, for opening, binding and options before start().
  asio::ip::udp::socket& socket() { return socket_; }
  void start(OnDatagram on_datagram);
  // Seals `payload` and sends it; a failed send is logged at debug level (datagrams may be lost).
  void send(std::span<const uint8_t> payload, const asio::ip::udp::endpoint& to);
  void drop(const std::string& why);
  void close();
  const DatagramStats& stats() const { return stats_; }

 private:
  void receive_next();
  void on_datagram(size_t n);

  wire::DatagramKey key_;
  cluster::NodeId self_;
  wire::MsgType type_;
  std::string name_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint from_;
  std::vector<uint8_t> rx_;
  wire::ReplayWindow replay_;
  OnDatagram on_datagram_;
  uint64_t counter_ = 0;
  DatagramStats stats_;
  std::chrono::steady_clock::time_point last_drop_log_{};
  bool open_ = false;
};

}  // namespace omx::membership
