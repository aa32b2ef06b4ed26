#include "membership/datagram_endpoint.h"

#include "base/log.h"

namespace omx::membership {

DatagramEndpoint::DatagramEndpoint(asio::io_context& io, const wire::Key& key, cluster::NodeId self,
                                   wire::MsgType type, std::string name)
    : key_(key), self_(self), type_(type), name_(std::move(name)), socket_(io), rx_(65536) {}

void DatagramEndpoint::start(OnDatagram on_datagram) {
  on_datagram_ = std::move(on_datagram);
  open_ = true;
  receive_next();
}

void DatagramEndpoint::close() {
  open_ = false;
  asio::error_code ignored;
  socket_.close(ignored);
}

void DatagramEndpoint::send(std::span<const uint8_t> payload, const asio::ip::udp::endpoint& to) {
  auto sealed = wire::seal_datagram(key_, type_, self_, wire::wall_clock_ms(), ++counter_, payload);
  if (!sealed.ok()) return;
  asio::error_code ec;
  socket_.send_to(asio::buffer(*sealed), to, 0, ec);  // a datagram: never blocks for long
  if (ec) {
    log::get(name_)->debug("{}: send to {}: {}", name_, to.address().to_string(), ec.message());
    return;
  }
  ++stats_.sent;
}

void DatagramEndpoint::receive_next() {
  socket_.async_receive_from(asio::buffer(rx_), from_, [this](asio::error_code ec, size_t n) {
    if (ec == asio::error::operation_aborted || !open_) return;
    if (!ec) on_datagram(n);
    receive_next();
  });
}

void DatagramEndpoint::drop(const std::string& why) {
  ++stats_.dropped;
  auto now = std::chrono::steady_clock::now();
  if (now - last_drop_log_ < std::chrono::seconds(1)) return;
  last_drop_log_ = now;
  log::get(name_)->warn("{}: dropped a datagram from {}: {} ({} dropped so far)", name_,
                        from_.address().to_string(), why, stats_.dropped);
}

void DatagramEndpoint::on_datagram(size_t n) {
  auto d = wire::open_datagram(key_, std::span<const uint8_t>(rx_.data(), n));
  if (!d.ok()) return drop(d.error().message());
  if (d->sender == self_) return;  // our own, looped back (multicast)
  if (d->type != type_) return drop("a " + wire::msg_type_name(d->type) + " datagram on this port");
  if (auto st = replay_.check(*d, wire::wall_clock_ms()); !st.ok()) return drop(st.error().message());
  ++stats_.accepted;
  on_datagram_(*d);
}

}  // namespace omx::membership
