#include "wire/channel_handoff.h"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include <fmt/format.h>

#include "wire/codec.h"

namespace omx::wire {
namespace {

void put_direction(Writer& w, const SessionSecrets::Direction& d) {
  w.raw(std::span<const uint8_t>(d.key, kAeadKeySize));
  w.u64(d.seq);
  w.u64(d.bytes);
  w.u64(d.epoch);
}

Status get_direction(Reader& r, SessionSecrets::Direction& d) {
  OMX_ASSIGN(auto key, r.raw("key", kAeadKeySize));
  std::memcpy(d.key, key.data(), kAeadKeySize);
  OMX_ASSIGN(d.seq, r.u64("seq"));
  OMX_ASSIGN(d.bytes, r.u64("bytes"));
  OMX_ASSIGN(d.epoch, r.u64("epoch"));
  return ok_status();
}

}  // namespace

std::vector<uint8_t> encode_handoff(const ChannelHandoff& h) {
  Writer w(160);
  w.u32(h.node);
  w.u32(h.peer_node);
  w.u64(h.features);
  w.u8(static_cast<uint8_t>(h.secrets.algorithm));
  w.u64(h.secrets.rekey_bytes);
  put_direction(w, h.secrets.tx);
  put_direction(w, h.secrets.rx);
  return std::move(w).take();
}

Result<ChannelHandoff> decode_handoff(std::span<const uint8_t> payload) {
  Reader r(payload, "channel handoff");
  ChannelHandoff h;
  OMX_ASSIGN(h.node, r.u32("node"));
  OMX_ASSIGN(h.peer_node, r.u32("peer node"));
  OMX_ASSIGN(h.features, r.u64("features"));
  OMX_ASSIGN(uint8_t alg, r.u8("algorithm"));
  if (alg != static_cast<uint8_t>(AeadAlgorithm::kAes256Gcm) &&
      alg != static_cast<uint8_t>(AeadAlgorithm::kChaCha20Poly1305))
    return make_error(ErrorCode::kProtocol, fmt::format("channel handoff: unknown AEAD {}", alg));
  h.secrets.algorithm = static_cast<AeadAlgorithm>(alg);
  OMX_ASSIGN(h.secrets.rekey_bytes, r.u64("rekey bytes"));
  if (h.secrets.rekey_bytes == 0) return make_error(ErrorCode::kProtocol, "channel handoff: rekey bytes 0");
  OMX_TRY(get_direction(r, h.secrets.tx));
  OMX_TRY(get_direction(r, h.secrets.rx));
  OMX_TRY(r.expect_end());
  return h;
}

Status send_with_fd(int sock, std::span<const uint8_t> msg, int fd) {
  iovec iov{const_cast<uint8_t*>(msg.data()), msg.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (fd >= 0) {
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("sendmsg on the handoff socket");
  if (static_cast<size_t>(n) != msg.size())
    return make_error(ErrorCode::kSys, "sendmsg on the handoff socket: short send");
  return ok_status();
}

Result<std::pair<std::vector<uint8_t>, ScopedFd>> recv_with_fd(int sock, Duration timeout) {
  pollfd p{sock, POLLIN, 0};
  int ms = timeout == kForever ? -1 : static_cast<int>(timeout.count());
  int pr;
  do {
    pr = ::poll(&p, 1, ms);
  } while (pr < 0 && errno == EINTR);
  if (pr < 0) return sys_error("poll on the handoff socket");
  if (pr == 0) return make_error(ErrorCode::kTimeout, "no reply on the handoff socket");
  std::vector<uint8_t> buf(kMaxHandoffMessage);
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("recvmsg on the handoff socket");
  ScopedFd fd;
  int extra = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int got;
      std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!fd.valid()) {
        fd = ScopedFd(got);
      } else {
        ::close(got);
        ++extra;
      }
    }
  }
  if (extra) return make_error(ErrorCode::kProtocol, "handoff message carried more than one fd");
  if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    return make_error(ErrorCode::kProtocol, "handoff message truncated");
  if (n == 0) return make_error(ErrorCode::kProtocol, "handoff socket closed without a reply");
  buf.resize(static_cast<size_t>(n));
  return std::pair{std::move(buf), std::move(fd)};
}

}  // namespace omx::wire
