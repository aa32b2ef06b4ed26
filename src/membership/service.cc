#include "membership/service.h"

#include <chrono>

#include "base/log.h"
#include "daemon/control_protocol.h"

namespace omx::membership {
namespace {

constexpr std::chrono::milliseconds kTickInterval{200};

auto log() { return log::get("membership"); }

}  // namespace

int64_t Service::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Service::Service(asio::io_context& io, cluster::NodeId self, cluster::Ipv4 addr, uint16_t port,
                 std::optional<wire::Key> key, ServiceOptions options)
    : io_(io),
      key_(key),
      opts_(std::move(options)),
      table_(self, addr, port, opts_.down_after_ms),
      port_(port),
      tick_(io) {}

Service::~Service() { stop(); }

Status Service::start(const cluster::NodeMap& map) {
  emit(table_.set_map(map, port_));
  if (opts_.discovery) {
    if (!key_)
      return make_error(ErrorCode::kInvalid, "discovery needs the cluster key (--key)");
    const Member* me = table_.find(table_.self());
    Announce a{me->addr, port_, 0, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count())};
    discovery_ = std::make_unique<Discovery>(
        io_, *key_, table_.self(), a, opts_.discovery_options,
        [this](cluster::NodeId id, const Announce& ann) {
          auto ev = table_.on_announce(now_ms(), id, ann);
          for (const MembershipEvent& e : ev)  // a newcomer (or one back): let it hear from us
            if (e.kind == MembershipEvent::Kind::kUp) discovery_->announce_soon();
          emit(ev);
        });
    OMX_TRY(discovery_->start());
  }
  running_ = true;
  arm_tick();
  return ok_status();
}

void Service::set_map(const cluster::NodeMap& map) { emit(table_.set_map(map, port_)); }

void Service::heard(cluster::NodeId id, int64_t age_ms) { emit(table_.on_heard(now_ms(), id, age_ms)); }

void Service::stop() {
  if (!running_) return;
  running_ = false;
  if (discovery_) discovery_->stop();
  tick_.cancel();
}

void Service::emit(const std::vector<MembershipEvent>& ev) {
  for (const MembershipEvent& e : ev) {
    log()->debug("node {} {}", e.id, event_name(e.kind));
    for (auto& f : listeners_) f(e);
  }
}

void Service::arm_tick() {
  tick_.expires_after(kTickInterval);
  tick_.async_wait([this](asio::error_code ec) {
    if (ec || !running_) return;
    emit(table_.tick(now_ms()));
    arm_tick();
  });
}

std::optional<Service::Endpoint> Service::endpoint(cluster::NodeId id) const {
  const Member* m = table_.find(id);
  if (!m) return std::nullopt;
  return Endpoint{m->addr.to_string(), m->port};
}

nlohmann::json Service::nodes_json() const {
  nlohmann::json list = nlohmann::json::array();
  int64_t now = now_ms();
  for (const auto& [id, m] : table_.members()) {
    nlohmann::json j{{"id", id},
                     {"addr", m.addr.to_string()},
                     {"port", m.port},
                     {"self", id == table_.self()},
                     {"state", state_name(m.state)},
                     {"source", source_name(m.source)}};
    if (m.last_heard_ms >= 0 && id != table_.self()) j["heard_ms_ago"] = now - m.last_heard_ms;
    if (describe_) describe_(id, j);
    list.push_back(std::move(j));
  }
  return list;
}

void Service::add_ops(daemon::ControlServer& server) {
  server.add_op("nodes", [this](const daemon::ControlRequest&) {
    return daemon::ok_reply({{"node", table_.self()}, {"nodes", nodes_json()}});
  });
}

}  // namespace omx::membership
