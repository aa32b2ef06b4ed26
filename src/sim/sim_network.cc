#include "sim/sim_network.h"

namespace omx::sim {

SimNetwork::SimNetwork(EventQueue& queue, LinkModel link, uint64_t seed)
    : queue_(queue), link_(link), rng_(seed) {}

void SimNetwork::set_up(SimNodeId n, bool up) {
  if (n >= up_.size()) up_.resize(n + 1, false);
  up_[n] = up;
}

SimTime SimNetwork::sample_latency() {
  SimTime extra{0};
  if (link_.tail_mean.count() > 0) {
    std::exponential_distribution<double> tail(1.0 / static_cast<double>(link_.tail_mean.count()));
    extra = SimTime(static_cast<int64_t>(tail(rng_)));
  }
  return link_.base_latency + extra;
}

void SimNetwork::send(SimNodeId from, SimNodeId to, std::vector<uint8_t> payload) {
  ++stats_.sent;
  stats_.sent_bytes += payload.size();
  if (!is_up(from)) {
    ++stats_.to_down;
    return;
  }
  if (link_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < link_.loss) {
    ++stats_.lost;
    return;
  }
  queue_.after(sample_latency(), [this, from, to, p = std::move(payload)]() mutable {
    if (!is_up(to)) {
      ++stats_.to_down;
      return;
    }
    ++stats_.delivered;
    if (receiver_) receiver_(from, to, std::move(p));
  });
}

}  // namespace omx::sim
