#define FUSE_USE_VERSION 314
#include "mfs/fuse_client.h"

#include <fuse3/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_client.h"
#include "mfs/session_pool.h"

namespace omx::mfs {
namespace {

using json = nlohmann::json;
constexpr const char* kMagicLinks[] = {"here", "home", "lastexec", "selected"};

std::shared_ptr<spdlog::logger> log() { return omx::log::get("mfs"); }

// omxd's node table, refreshed by the maintenance thread.
class NodeTable {
 public:
  std::optional<NodeAddress> find(uint32_t id) {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<uint32_t> ids() {
    std::lock_guard lock(mu_);
    std::vector<uint32_t> out;
    for (const auto& [id, n] : nodes_) out.push_back(id);
    return out;
  }
  // Returns the nodes that were up and are not any more.
  std::vector<uint32_t> replace(std::map<uint32_t, NodeAddress> next) {
    std::lock_guard lock(mu_);
    std::vector<uint32_t> gone;
    for (const auto& [id, n] : nodes_) {
      auto it = next.find(id);
      if (n.up && (it == next.end() || !it->second.up)) gone.push_back(id);
    }
    nodes_ = std::move(next);
    return gone;
  }

 private:
  std::mutex mu_;
  std::map<uint32_t, NodeAddress> nodes_;
};

Result<std::map<uint32_t, NodeAddress>> fetch_nodes(const std::string& control) {
  OMX_ASSIGN(json r, daemon::control_request({{"op", "nodes"}}, control));
  if (!r.value("ok", false)) return make_error(ErrorCode::kRefused, r.value("error", "nodes refused"));
  std::map<uint32_t, NodeAddress> out;
  for (const json& n : r.at("nodes")) {
    NodeAddress a{n.value("addr", ""), n.value("port", uint16_t{0}),
                  n.value("self", false) || n.value("state", "up") == "up"};
    out[n.at("id").get<uint32_t>()] = a;
  }
  return out;
}

struct Handle {
  uint32_t node = 0;
  uint64_t session = 0;
  uint64_t fh = 0;  // the server's
};

struct Client {
  FuseClientOptions opts;
  NodeTable nodes;
  std::unique_ptr<SessionPool> pool;
  std::mutex mu;
  std::unordered_map<uint64_t, Handle> handles;
  uint64_t next_handle = 1;
  std::atomic<bool> stop{false};
};

Client& client() { return *static_cast<Client*>(fuse_get_context()->private_data); }

// What a path under the mount names.
struct Target {
  enum Kind { kRoot, kLink, kNode } kind = kRoot;
  uint32_t node = 0;      // kNode
  std::string path;       // kNode: the path on that node; kLink: the magic name
  bool node_root = false; // kNode: the /N directory itself
  bool magic = false;     // kNode reached through /mfs/magic
};

std::optional<uint32_t> parse_node(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || s[0] == '0') return std::nullopt;
  return v;
}

Result<json> whois() {
  pid_t pid = fuse_get_context()->pid;
  OMX_ASSIGN(json r, daemon::control_request({{"op", "mfs_whois"}, {"pid", pid}}, client().opts.control));
  if (!r.value("ok", false)) return errno_error(ESRCH, r.value("error", "mfs_whois refused"));
  return r;
}

// -errno or a Target. create: the op makes a new object (magic then means here).
Result<Target> resolve(const char* raw, bool create = false) {
  std::string_view p(raw);
  if (p == "/") return Target{};
  p.remove_prefix(1);
  auto slash = p.find('/');
  std::string_view first = p.substr(0, slash);
  std::string rest = slash == std::string_view::npos ? "/" : std::string(p.substr(slash));
  for (const char* m : kMagicLinks)
    if (first == m) {
      if (slash != std::string_view::npos) return errno_error(ENOTDIR, "magic link");
      return Target{Target::kLink, 0, std::string(first), false};
    }
  uint32_t node = 0;
  if (first == "magic") {
    OMX_ASSIGN(json w, whois());
    node = w.value(create ? "here" : "magic", 0u);
  } else if (auto n = parse_node(first)) {
    node = *n;
  }
  if (node == 0 || !client().nodes.find(node)) return errno_error(ENOENT, "no such node");
  return Target{Target::kNode, node, rest, rest == "/", first == "magic"};
}

// After a create through /mfs/magic: omxd remembers the node for the caller's later lookups.
void remember_magic(const Target& t) {
  if (!t.magic) return;
  json req{{"op", "mfs_magic"}, {"pid", fuse_get_context()->pid}, {"node", t.node}};
  (void)daemon::control_request(req, client().opts.control);
}

wire::SessionOwner caller() {
  fuse_context* ctx = fuse_get_context();
  wire::SessionOwner o{ctx->uid, ctx->gid, {}};
  std::vector<gid_t> groups(64);
  int n = fuse_getgroups(static_cast<int>(groups.size()), groups.data());
  if (n > static_cast<int>(groups.size())) {
    groups.resize(n);
    n = fuse_getgroups(n, groups.data());
  }
  for (int i = 0; i < n && i < static_cast<int>(groups.size()); ++i) o.groups.push_back(groups[i]);
  return o;
}

// One request to the node of `t` for the caller; the reply or -errno.
Result<Reply> ask(uint32_t node, const Request& r) {
  auto reply = client().pool->call(node, caller(), r);
  if (!reply.ok()) log()->debug("{} on node {}: {}", op_name(r.op), node, reply.error().message());
  return reply;
}

// The lease on the session holding handle `h` (fi->fh), and the server's fh in r.
Result<SessionPool::Lease> lease_handle(uint64_t h, Request& r) {
  Handle handle;
  {
    std::lock_guard lock(client().mu);
    auto it = client().handles.find(h);
    if (it == client().handles.end()) return errno_error(EBADF, "unknown handle");
    handle = it->second;
  }
  r.fh = handle.fh;
  return client().pool->get_session(handle.session);
}

// The same on the session holding handle `h` (fi->fh).
Result<Reply> ask_handle(uint64_t h, Request r) {
  OMX_ASSIGN(auto lease, lease_handle(h, r));
  return client().pool->call(lease, std::move(r));
}

int fail(const Error& e) { return -error_errno(e); }
int reply_err(const Result<Reply>& r) { return !r.ok() ? fail(r.error()) : -r->err; }

void to_stat(const Attr& a, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_ino = a.ino;
  st->st_mode = a.mode;
  st->st_nlink = a.nlink;
  st->st_uid = a.uid;
  st->st_gid = a.gid;
  st->st_rdev = a.rdev;
  st->st_size = static_cast<off_t>(a.size);
  st->st_blocks = static_cast<blkcnt_t>(a.blocks);
  st->st_blksize = a.blksize;
  st->st_atim = {a.atime_ns / 1000000000, a.atime_ns % 1000000000};
  st->st_mtim = {a.mtime_ns / 1000000000, a.mtime_ns % 1000000000};
  st->st_ctim = {a.ctime_ns / 1000000000, a.ctime_ns % 1000000000};
}

void fake_dir(struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFDIR | 0555;
  st->st_nlink = 2;
}

uint64_t add_handle(uint32_t node, SessionPool::Lease& lease, uint64_t fh) {
  lease.add_handle(1);
  std::lock_guard lock(client().mu);
  uint64_t id = client().next_handle++;
  client().handles[id] = Handle{node, lease.session_id(), fh};
  return id;
}

// Forgets handle h and tells its server with `op` (release or releasedir).
int drop_handle(uint64_t h, Op op) {
  Request r;
  r.op = op;
  auto reply = ask_handle(h, r);
  Handle handle;
  {
    std::lock_guard lock(client().mu);
    auto it = client().handles.find(h);
    if (it == client().handles.end()) return 0;
    handle = it->second;
    client().handles.erase(it);
  }
  client().pool->release_handle(handle.session);
  return 0;  // release errors are not reported to close()
}

}  // namespace

namespace {

// open/opendir/create: the reply and a new client handle pinned to the session that opened it.
Result<std::pair<Reply, uint64_t>> open_on(uint32_t node, const Request& r) {
  for (int attempt = 0;; ++attempt) {
    OMX_ASSIGN(auto lease, client().pool->get(node, caller()));
    bool reused = lease.reused();
    auto reply = client().pool->call(lease, r);
    if (!reply.ok()) {
      if (attempt == 0 && reused && wire::is_peer_closed(reply.error())) continue;
      return reply.error();
    }
    if (reply->err != 0) return std::make_pair(std::move(*reply), uint64_t{0});
    uint64_t h = add_handle(node, lease, reply->fh);
    return std::make_pair(std::move(*reply), h);
  }
}

void* op_init(fuse_conn_info* conn, fuse_config* cfg) {
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  cfg->hard_remove = 1;
  cfg->use_ino = 0;
  cfg->nullpath_ok = 0;
  conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_READDIRPLUS_AUTO);
  return fuse_get_context()->private_data;
}

int op_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  auto t = resolve(path);
  if (!t.ok()) return fail(t.error());
  if (t->kind == Target::kRoot) return fake_dir(st), 0;
  if (t->kind == Target::kLink) {
    std::memset(st, 0, sizeof *st);
    st->st_mode = S_IFLNK | 0777;
    st->st_nlink = 1;
    st->st_size = 1;
    return 0;
  }
  Request r;
  r.op = Op::kGetattr;
  r.path = t->path;
  auto reply = fi && fi->fh ? ask_handle(fi->fh, r) : ask(t->node, r);
  if (t->node_root && (!reply.ok() || reply->err)) return fake_dir(st), 0;  // a down node's entry
  if (int e = reply_err(reply)) return e;
  to_stat(reply->attr, st);
  return 0;
}

int op_readlink(const char* path, char* buf, size_t size) {
  auto t = resolve(path);
  if (!t.ok()) return fail(t.error());
  if (t->kind == Target::kRoot) return -EINVAL;
  std::string target;
  if (t->kind == Target::kLink) {
    auto w = whois();
    if (!w.ok()) return fail(w.error());
    target = std::to_string(w->value(t->path, 0u));
  } else {
    Request r;
    r.op = Op::kReadlink;
    r.path = t->path;
    auto reply = ask(t->node, r);
    if (int e = reply_err(reply)) return e;
    target = reply->target;
  }
  if (size == 0) return -EINVAL;
  size_t n = std::min(size - 1, target.size());
  std::memcpy(buf, target.data(), n);
  buf[n] = '\0';
  return 0;
}

int op_opendir(const char* path, fuse_file_info* fi) {
  auto t = resolve(path);
  if (!t.ok()) return fail(t.error());
  fi->fh = 0;
  if (t->kind == Target::kRoot) return 0;
  if (t->kind == Target::kLink) return -ENOTDIR;
  Request r;
  r.op = Op::kOpendir;
  r.path = t->path;
  auto opened = open_on(t->node, r);
  if (!opened.ok()) return fail(opened.error());
  if (opened->first.err) return -opened->first.err;
  fi->fh = opened->second;
  return 0;
}

int fill_root(void* buf, fuse_fill_dir_t filler) {
  filler(buf, ".", nullptr, 0, fuse_fill_dir_flags{});
  filler(buf, "..", nullptr, 0, fuse_fill_dir_flags{});
  for (uint32_t id : client().nodes.ids())
    filler(buf, std::to_string(id).c_str(), nullptr, 0, fuse_fill_dir_flags{});
  for (const char* m : kMagicLinks) filler(buf, m, nullptr, 0, fuse_fill_dir_flags{});
  filler(buf, "magic", nullptr, 0, fuse_fill_dir_flags{});
  return 0;
}

int op_readdir(const char* path, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
               fuse_readdir_flags) {
  if (std::strcmp(path, "/") == 0 || !fi || fi->fh == 0) return fill_root(buf, filler);
  Request r;
  r.op = Op::kReaddir;
  r.max_bytes = kMaxReaddir;
  for (int pages = 0; pages < 1 << 16; ++pages) {
    auto reply = ask_handle(fi->fh, r);
    if (int e = reply_err(reply)) return e;
    for (const DirEntry& d : reply->entries) {
      struct stat st;
      to_stat(d.attr, &st);
      if (filler(buf, d.name.c_str(), &st, 0, fuse_fill_dir_flags{})) return 0;
      r.cookie = d.next_cookie;
    }
    if (reply->eof || reply->entries.empty()) return 0;
  }
  return -EIO;
}

int op_releasedir(const char*, fuse_file_info* fi) {
  return fi->fh ? drop_handle(fi->fh, Op::kReleasedir) : 0;
}

int open_or_create(const char* path, fuse_file_info* fi, std::optional<mode_t> mode) {
  auto t = resolve(path, mode.has_value());
  if (!t.ok()) return fail(t.error());
  if (t->kind != Target::kNode) return mode ? -EACCES : -EISDIR;
  Request r;
  r.op = mode ? Op::kCreate : Op::kOpen;
  r.path = t->path;
  r.flags = static_cast<uint32_t>(fi->flags);
  r.mode = mode.value_or(0);
  r.umask = 0;  // the kernel applied it
  auto opened = open_on(t->node, r);
  if (!opened.ok()) return fail(opened.error());
  if (opened->first.err) return -opened->first.err;
  fi->fh = opened->second;
  fi->direct_io = 1;
  fi->keep_cache = 0;
  if (mode) remember_magic(*t);
  return 0;
}

int op_open(const char* path, fuse_file_info* fi) { return open_or_create(path, fi, std::nullopt); }
int op_create(const char* path, mode_t mode, fuse_file_info* fi) {
  return open_or_create(path, fi, mode);
}

// read/write: the data goes between FUSE's buffer and the channel's frame buffers directly
// (SessionPool::read_pipelined/write_pipelined), one lease for the whole call.
int op_read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  Request r;
  auto lease = lease_handle(fi->fh, r);
  if (!lease.ok()) return fail(lease.error());
  size_t done = 0;
  while (done < size) {
    r.off = static_cast<uint64_t>(off) + done;
    r.size = std::min<size_t>(size - done, kMaxRead);
    auto reply = client().pool->read_pipelined(
        *lease, r, {reinterpret_cast<uint8_t*>(buf) + done, static_cast<size_t>(r.size)});
    if (int e = reply_err(reply)) return done ? static_cast<int>(done) : e;
    done += reply->written;
    if (reply->written < r.size) break;
  }
  return static_cast<int>(done);
}

int op_write(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  Request r;
  auto lease = lease_handle(fi->fh, r);
  if (!lease.ok()) return fail(lease.error());
  size_t done = 0;
  while (done < size) {
    r.off = static_cast<uint64_t>(off) + done;
    size_t n = std::min<size_t>(size - done, kMaxWrite);
    auto reply = client().pool->write_pipelined(
        *lease, r, {reinterpret_cast<const uint8_t*>(buf) + done, n});
    if (int e = reply_err(reply)) return done ? static_cast<int>(done) : e;
    done += reply->written;
    if (reply->written < n) break;
  }
  return static_cast<int>(done);
}

int op_release(const char*, fuse_file_info* fi) { return drop_handle(fi->fh, Op::kRelease); }

int op_flush(const char*, fuse_file_info* fi) {
  Request r;
  r.op = Op::kFlush;
  return reply_err(ask_handle(fi->fh, r));
}

int op_fsync(const char*, int datasync, fuse_file_info* fi) {
  Request r;
  r.op = Op::kFsync;
  r.datasync = datasync ? 1 : 0;
  return reply_err(ask_handle(fi->fh, r));
}

}  // namespace

namespace {

// An op on one path: r gets the node's path; with an open handle it goes to that session.
Result<Reply> on_path(const char* path, Request r, fuse_file_info* fi = nullptr) {
  bool create = r.op == Op::kMkdir || r.op == Op::kSymlink;
  auto t = resolve(path, create);
  if (!t.ok()) return t.error();
  if (t->kind != Target::kNode) return errno_error(EPERM, "not a file of a node");
  r.path = t->path;
  auto reply = fi && fi->fh ? ask_handle(fi->fh, std::move(r)) : ask(t->node, r);
  if (create && reply.ok() && reply->err == 0) remember_magic(*t);
  return reply;
}

int simple(const char* path, Op op, fuse_file_info* fi = nullptr) {
  Request r;
  r.op = op;
  return reply_err(on_path(path, std::move(r), fi));
}

int op_unlink(const char* path) { return simple(path, Op::kUnlink); }
int op_rmdir(const char* path) { return simple(path, Op::kRmdir); }

int op_mkdir(const char* path, mode_t mode) {
  Request r;
  r.op = Op::kMkdir;
  r.mode = mode;
  return reply_err(on_path(path, std::move(r)));
}

int op_symlink(const char* target, const char* path) {
  Request r;
  r.op = Op::kSymlink;
  r.target = target;
  return reply_err(on_path(path, std::move(r)));
}

// rename and link: both paths on one node, else EXDEV.
int two_paths(const char* from, const char* to, Op op, unsigned flags) {
  auto a = resolve(from);
  auto b = resolve(to);
  if (!a.ok()) return fail(a.error());
  if (!b.ok()) return fail(b.error());
  if (a->kind != Target::kNode || b->kind != Target::kNode) return -EPERM;
  if (a->node != b->node) return -EXDEV;
  Request r;
  r.op = op;
  r.path = a->path;
  r.to = b->path;
  r.flags = flags;
  return reply_err(ask(a->node, r));
}

int op_rename(const char* from, const char* to, unsigned flags) {
  return two_paths(from, to, Op::kRename, flags);
}
int op_link(const char* from, const char* to) { return two_paths(from, to, Op::kLink, 0); }

int op_chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  Request r;
  r.op = Op::kChmod;
  r.mode = mode;
  return reply_err(on_path(path, std::move(r), fi));
}

int op_chown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  Request r;
  r.op = Op::kChown;
  r.uid = uid;
  r.gid = gid;
  return reply_err(on_path(path, std::move(r), fi));
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
  Request r;
  r.op = Op::kTruncate;
  r.size = static_cast<uint64_t>(size);
  return reply_err(on_path(path, std::move(r), fi));
}

int op_utimens(const char* path, const struct timespec tv[2], fuse_file_info* fi) {
  Request r;
  r.op = Op::kUtimens;
  for (int i = 0; i < 2; ++i) {
    if (tv) r.times[i] = Timespec{tv[i].tv_sec, static_cast<uint32_t>(tv[i].tv_nsec)};
    else r.times[i] = Timespec{0, kUtimeNow};
  }
  return reply_err(on_path(path, std::move(r), fi));
}

int op_access(const char* path, int mask) {
  auto t = resolve(path);
  if (!t.ok()) return fail(t.error());
  if (t->kind != Target::kNode) return (mask & W_OK) && t->kind == Target::kRoot ? -EACCES : 0;
  Request r;
  r.op = Op::kAccess;
  r.path = t->path;
  r.mask = static_cast<uint32_t>(mask);
  auto reply = ask(t->node, r);
  if (t->node_root && !reply.ok()) return 0;
  return reply_err(reply);
}

int op_statfs(const char* path, struct statvfs* sv) {
  std::memset(sv, 0, sizeof *sv);
  sv->f_namemax = kMaxName;
  sv->f_bsize = sv->f_frsize = 4096;
  auto t = resolve(path);
  if (!t.ok()) return fail(t.error());
  if (t->kind != Target::kNode) return 0;  // no blocks: never a sum over nodes
  Request r;
  r.op = Op::kStatfs;
  r.path = t->path;
  auto reply = ask(t->node, r);
  if (int e = reply_err(reply)) return e;
  const StatFs& s = reply->statfs;
  sv->f_bsize = s.bsize;
  sv->f_frsize = s.frsize;
  sv->f_blocks = s.blocks;
  sv->f_bfree = s.bfree;
  sv->f_bavail = s.bavail;
  sv->f_files = s.files;
  sv->f_ffree = s.ffree;
  sv->f_favail = s.ffree;
  sv->f_namemax = s.namemax;
  return 0;
}

int op_mknod(const char*, mode_t, dev_t) { return -EPERM; }

fuse_operations make_ops() {
  fuse_operations o{};
  o.init = op_init;
  o.getattr = op_getattr;
  o.readlink = op_readlink;
  o.mknod = op_mknod;
  o.mkdir = op_mkdir;
  o.unlink = op_unlink;
  o.rmdir = op_rmdir;
  o.symlink = op_symlink;
  o.rename = op_rename;
  o.link = op_link;
  o.chmod = op_chmod;
  o.chown = op_chown;
  o.truncate = op_truncate;
  o.open = op_open;
  o.read = op_read;
  o.write = op_write;
  o.statfs = op_statfs;
  o.flush = op_flush;
  o.release = op_release;
  o.fsync = op_fsync;
  o.opendir = op_opendir;
  o.readdir = op_readdir;
  o.releasedir = op_releasedir;
  o.access = op_access;
  o.create = op_create;
  o.utimens = op_utimens;
  return o;
}

// Every second: the node table from omxd (sessions to a node that went down are cut), and
// idle sessions closed.
void maintain(Client& c) {
  while (!c.stop.load()) {
    if (auto n = fetch_nodes(c.opts.control); n.ok()) {
      for (uint32_t gone : c.nodes.replace(std::move(*n))) c.pool->mark_down(gone);
    }
    c.pool->close_idle();
    for (int i = 0; i < 10 && !c.stop.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A mount point left behind by a client that died answers ENOTCONN: lazily unmount it.
void clear_stale_mount(const std::string& mount) {
  struct stat st;
  if (::stat(mount.c_str(), &st) != 0 && errno == ENOTCONN) {
    log()->warn("{}: a stale /mfs mount; unmounting it", mount);
    ::umount2(mount.c_str(), MNT_DETACH);
  }
}

Status prepare(Client& c) {
  OMX_ASSIGN(json ping, daemon::control_request({{"op", "ping"}}, c.opts.control));
  OMX_ASSIGN(json key, daemon::control_request({{"op", "key"}}, c.opts.control));
  if (!key.value("ok", false))
    return make_error(ErrorCode::kRefused, "omxd gave no cluster key: " + key.value("error", ""));
  OMX_ASSIGN(wire::Key k, wire::Key::from_hex(key.value("key", "")));
  OMX_ASSIGN(auto nodes, fetch_nodes(c.opts.control));
  c.nodes.replace(std::move(nodes));
  NodeTable* table = &c.nodes;
  c.pool = std::make_unique<SessionPool>(ping.value("node", 0u), k,
                                         [table](uint32_t id) { return table->find(id); });
  return ok_status();
}

int serve(Client& c, fuse* f) {
  fuse_session* se = fuse_get_session(f);
  if (fuse_set_signal_handlers(se) != 0) return 1;
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, 16);
  fuse_loop_cfg_set_clone_fd(cfg, 1);
  std::thread maint([&c] { maintain(c); });
  log()->info("serving /mfs at {}", c.opts.mount);
  int rc = fuse_loop_mt(f, cfg);
  c.stop = true;
  maint.join();
  fuse_loop_cfg_destroy(cfg);
  fuse_remove_signal_handlers(se);
  return rc == 0 ? 0 : 1;
}

}  // namespace

int run_fuse_client(const FuseClientOptions& options) {
  Client c;
  c.opts = options;
  if (::chdir("/") != 0) return 1;
  if (auto st = prepare(c); !st.ok()) {
    std::fprintf(stderr, "omx mfs serve: %s\n", st.error().message().c_str());
    return 1;
  }
  clear_stale_mount(options.mount);
  std::vector<std::string> argv_s = {"omx-mfs", "-o",
                                     "allow_other,fsname=omx,subtype=omxmfs"};
  if (options.debug) argv_s.push_back("-d");
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_operations ops = make_ops();
  fuse* f = fuse_new(&args, &ops, sizeof ops, &c);
  if (!f) {
    std::fprintf(stderr, "omx mfs serve: fuse_new failed\n");
    return 1;
  }
  int rc = 1;
  if (fuse_mount(f, options.mount.c_str()) == 0) {
    rc = serve(c, f);
    fuse_unmount(f);
  } else {
    std::fprintf(stderr, "omx mfs serve: cannot mount %s\n", options.mount.c_str());
  }
  fuse_destroy(f);
  return rc;
}

}  // namespace omx::mfs
