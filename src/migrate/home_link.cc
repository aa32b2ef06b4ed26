#include "migrate/home_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "daemon/control_client.h"
#include "wire/codec.h"
#include "migrate/channel_broker.h"
#include "wire/key.h"
#include "wire/session_owner.h"

namespace omx::migrate {
namespace {

constexpr wire::Duration kConnectTimeout{5000};

}  // namespace

Status NodeDirectory::load(const std::string& control_address) {
  control_ = control_address.empty() ? daemon::default_control_address() : control_address;
  auto reply = daemon::control_request({{"op", "nodes"}}, control_);
  if (!reply.ok())
    return make_error(ErrorCode::kRefused,
                      "no omx daemon on this node (" + reply.error().message() + ")");
  try {
    home_ = (*reply).at("node").get<uint32_t>();
    for (const auto& n : (*reply).at("nodes")) {
      Node node{n.at("id").get<uint32_t>(), n.at("addr").get<std::string>(),
                n.at("port").get<uint16_t>()};
      nodes_.push_back(node);
      ids_.push_back(node.id);
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kProtocol, std::string("omxd node table: ") + e.what());
  }
  std::sort(ids_.begin(), ids_.end());
  return ok_status();
}

bool NodeDirectory::known(uint32_t id) const {
  return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
}

Result<wire::Channel> NodeDirectory::connect(uint32_t node) const {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.id == node; });
  if (it == nodes_.end())
    return make_error(ErrorCode::kInvalid, fmt::format("node {} is not in the cluster map", node));
  // A process that holds the key itself (root, $OMX_KEY) connects and states its own identity;
  // everyone else gets the channel from omxd's broker, which states the caller's.
  if (const char* env = std::getenv("OMX_KEY"); env && *env) {
    OMX_ASSIGN(wire::Key key, wire::load_key(env));
    wire::SessionOptions so;
    so.app_features = wire::kFeatureBodyNice;  // home sends kBodyNice when the guest applies it
    OMX_ASSIGN(wire::Channel ch,
               wire::Channel::connect(it->addr, it->port, key, home_, kConnectTimeout, so));
    OMX_ASSIGN(wire::SessionOwner me, wire::self_owner());
    OMX_TRY(ch.send(wire::MsgType::kSessionOwner, wire::encode_owner(me)));
    return ch;
  }
  return broker_connect(daemon::broker_address(control_), node, kConnectTimeout);
}

Result<std::set<std::string>> decode_accept(std::span<const uint8_t> payload, const Offer& offer) {
  wire::Reader r(payload, "migration accept");
  OMX_ASSIGN(uint32_t n, r.u32("count"));
  if (n != offer.files.size()) return make_error(ErrorCode::kProtocol, "accept: wrong file count");
  std::set<std::string> have;
  for (uint32_t i = 0; i < n; ++i) {
    OMX_ASSIGN(uint8_t yes, r.u8("have"));
    if (yes) have.insert(offer.files[i].path);
  }
  OMX_TRY(r.expect_end());
  return have;
}

Result<ScopedFd> listen_control(const std::string& address) {
  ScopedFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return sys_error("socket(AF_UNIX)");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (address.size() >= sizeof sa.sun_path) return make_error(ErrorCode::kInvalid, "socket address too long");
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (address[0] == '@') sa.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) return sys_error("bind " + address);
  if (listen(fd.get(), 16) != 0) return sys_error("listen " + address);
  return fd;
}

std::string read_request_line(int fd) {
  std::string line;
  char buf[4096];
  for (int rounds = 0; rounds < 256 && line.find('\n') == std::string::npos; ++rounds) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

void write_reply_line(int fd, const std::string& line) {
  std::string out = line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace omx::migrate
