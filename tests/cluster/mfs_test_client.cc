// mfs_test_client: one /mfs request to another node's omxd, for tests/cluster/mfs_server_test.sh.
// Holds the cluster key (root's), so it states the session owner itself, as omx mfs serve will.
//
//   mfs_test_client --key FILE --host ADDR [--port 4660] [--uid U --gid G] [--hold S] OP PATH [DATA]
//     (--hold: keep the session open S seconds after the request)
//     write PATH DATA   create (O_CREAT|O_TRUNC, 0644), write DATA at 0, release; prints nothing
//     read PATH         open, read up to 1 MiB, release; prints the bytes
//     stat PATH         prints "size MODE(octal) uid gid"
//     statfs PATH       prints "blocks bfree bavail frsize files"
//     unlink PATH
//     mkdir PATH
//
// Exit: 0 ok, 1 the server answered an errno (printed as "errno N NAME" on stderr), 2 usage or
// transport error.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mfs/protocol.h"
#include "wire/channel.h"
#include "wire/key.h"
#include "wire/session_owner.h"

using namespace omx;
using namespace std::chrono_literals;

namespace {

struct Args {
  std::string key, host, op, path, data;
  uint16_t port = 4660;
  uint32_t uid = 0, gid = 0;
  unsigned hold = 0;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "mfs_test_client: %s\n", why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (s == "--key") a.key = val();
    else if (s == "--host") a.host = val();
    else if (s == "--port") a.port = static_cast<uint16_t>(std::stoul(val()));
    else if (s == "--uid") a.uid = static_cast<uint32_t>(std::stoul(val()));
    else if (s == "--gid") a.gid = static_cast<uint32_t>(std::stoul(val()));
    else if (s == "--hold") a.hold = static_cast<unsigned>(std::stoul(val()));
    else pos.push_back(s);
  }
  if (a.key.empty() || a.host.empty() || pos.size() < 2) usage("usage: --key F --host A OP PATH");
  a.op = pos[0];
  a.path = pos[1];
  if (pos.size() > 2) a.data = pos[2];
  return a;
}

class Client {
 public:
  explicit Client(wire::Channel ch) : ch_(std::move(ch)) {}
  mfs::Reply call(mfs::Request q) {
    q.id = ++id_;
    if (!ch_.send(wire::MsgType::kMfsRequest, mfs::encode_request(q)).ok()) usage("send failed");
    auto f = ch_.recv(10s);
    if (!f.ok()) usage(("recv: " + f.error().message()).c_str());
    if (f->type != wire::MsgType::kMfsReply) usage("not an mfs reply");
    auto r = mfs::decode_reply(q.op, f->payload);
    if (!r.ok()) usage(r.error().message().c_str());
    if (r->id != q.id) usage("reply id mismatch");
    if (r->err != 0) {
      std::fprintf(stderr, "errno %d %s\n", r->err, strerrorname_np(r->err));
      std::exit(1);
    }
    return *r;
  }

 private:
  wire::Channel ch_;
  uint64_t id_ = 0;
};

mfs::Request req(mfs::Op op, const std::string& path) {
  mfs::Request q;
  q.op = op;
  q.path = path;
  return q;
}

void run(Client& c, const Args& a) {
  using mfs::Op;
  if (a.op == "write") {
    mfs::Request q = req(Op::kCreate, a.path);
    q.flags = O_WRONLY | O_CREAT | O_TRUNC;
    q.mode = 0644;
    uint64_t fh = c.call(q).fh;
    mfs::Request w = req(Op::kWrite, "");
    w.fh = fh;
    w.data.assign(a.data.begin(), a.data.end());
    if (c.call(w).written != a.data.size()) usage("short write");
    mfs::Request r = req(Op::kRelease, "");
    r.fh = fh;
    c.call(r);
  } else if (a.op == "read") {
    mfs::Request q = req(Op::kOpen, a.path);
    q.flags = O_RDONLY;
    uint64_t fh = c.call(q).fh;
    mfs::Request rd = req(Op::kRead, "");
    rd.fh = fh;
    rd.size = mfs::kMaxRead;
    auto data = c.call(rd).data;
    std::fwrite(data.data(), 1, data.size(), stdout);
    mfs::Request r = req(Op::kRelease, "");
    r.fh = fh;
    c.call(r);
  } else if (a.op == "stat") {
    auto at = c.call(req(Op::kGetattr, a.path)).attr;
    std::printf("%llu %o %u %u\n", static_cast<unsigned long long>(at.size), at.mode, at.uid, at.gid);
  } else if (a.op == "statfs") {
    auto s = c.call(req(Op::kStatfs, a.path)).statfs;
    std::printf("%llu %llu %llu %llu %llu\n", static_cast<unsigned long long>(s.blocks),
                static_cast<unsigned long long>(s.bfree), static_cast<unsigned long long>(s.bavail),
                static_cast<unsigned long long>(s.frsize), static_cast<unsigned long long>(s.files));
  } else if (a.op == "unlink") {
    c.call(req(Op::kUnlink, a.path));
  } else if (a.op == "mkdir") {
    mfs::Request q = req(Op::kMkdir, a.path);
    q.mode = 0755;
    c.call(q);
  } else {
    usage("unknown op");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  auto key = wire::load_key(a.key);
  if (!key.ok()) usage(key.error().message().c_str());
  wire::SessionOptions so;
  so.app_features = mfs::kFeatureMfs;
  auto ch = wire::Channel::connect(a.host, a.port, *key, 1, 5s, so);
  if (!ch.ok()) usage(ch.error().message().c_str());
  if (!(ch->features() & mfs::kFeatureMfs)) usage("the peer does not serve mfs");
  wire::SessionOwner owner{a.uid, a.gid, {}};
  if (!ch->send(wire::MsgType::kSessionOwner, wire::encode_owner(owner)).ok()) usage("send owner");
  Client c(std::move(*ch));
  run(c, a);
  std::fflush(stdout);
  if (a.hold) ::sleep(a.hold);
  return 0;
}
