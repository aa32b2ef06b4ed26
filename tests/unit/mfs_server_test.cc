// MFS server: driven over a socketpair Channel (ChannelTransport) in a forked child that became
// the session owner (root squashed to 65534), every op checked against the real file system.
// Needs root (to set up files of several owners and to switch credentials): skipped otherwise.
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "mfs/protocol.h"
#include "mfs/server.h"
#include "mfs/transport.h"
#include "wire/codec.h"
#include "wire/channel.h"
#include "wire/key.h"

namespace omx::mfs {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// How the server child starts.
struct Start {
  bool nomfs = false;
  uint32_t uid = 0;
  bool mount_mfs = false;       // a fuse.omxmfs mount nobody serves on dir_/mfs (own namespace)
  bool mount_proc = false;      // proc mounted on dir_/pmnt (own namespace)
  const char* fault = nullptr;  // OMX_FAULT in the server
  std::chrono::milliseconds idle = std::chrono::seconds(20);
};

class MfsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/omx-mfs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    // own/: the squashed owner's (65534) directory; secret: root's 0600; rodir: root's 0755.
    fs::create_directory(dir_ + "/own");
    ASSERT_EQ(::chown((dir_ + "/own").c_str(), kSquashedUid, kSquashedGid), 0);
    std::ofstream(dir_ + "/secret") << "top secret";
    ::chmod((dir_ + "/secret").c_str(), 0600);
    std::ofstream(dir_ + "/public") << "hello world";
    ::chmod((dir_ + "/public").c_str(), 0644);
    fs::create_directory(dir_ + "/rodir");
    ::chmod((dir_ + "/rodir").c_str(), 0755);
    ASSERT_EQ(::mkfifo((dir_ + "/fifo").c_str(), 0666), 0);
    ASSERT_EQ(::mknod((dir_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    fs::create_symlink("public", dir_ + "/link");
    start();
  }

  void TearDown() override {
    stop();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // In the server child, before it drops root: a private mount namespace with a FUSE mount of
  // type fuse.omxmfs on dir_/mfs whose /dev/fuse fd nobody reads. Any request the server sent
  // to it would hang forever.
  static bool mount_dead_mfs(const std::string& at) {
    if (::unshare(CLONE_NEWNS) != 0) return false;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    std::string opts = "fd=" + std::to_string(fd) +
                       ",rootmode=40000,user_id=0,group_id=0,allow_other";
    return ::mount("omxmfs", at.c_str(), "fuse.omxmfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0;
  }

  static bool mount_proc_at(const std::string& at) {
    if (::unshare(CLONE_NEWNS) != 0) return false;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    return ::mount("proc", at.c_str(), "proc", 0, nullptr) == 0;
  }

  void start(Start how = Start{}) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    wire::Key key = wire::generate_key();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::close(sv[0]);
      alarm(60);
      if (how.fault) ::setenv("OMX_FAULT", how.fault, 1);
      if (how.mount_mfs && !mount_dead_mfs(dir_ + "/mfs")) _exit(6);
      if (how.mount_proc && !mount_proc_at(dir_ + "/pmnt")) _exit(7);
      auto ch = wire::Channel::establish(ScopedFd(sv[1]), wire::Role::kResponder, key, 2, 5s);
      if (!ch.ok()) _exit(3);
      if (!become_owner(wire::SessionOwner{how.uid, how.uid, {}}, false).ok()) _exit(4);
      auto first = ch->recv(10s);
      if (!first.ok()) _exit(5);
      ChannelTransport t(*ch);
      MfsServerConfig cfg;
      cfg.nomfs = how.nomfs;
      cfg.idle = how.idle;
      _exit(run_server(t, *first, cfg));
    }
    ::close(sv[1]);
    auto ch = wire::Channel::establish(ScopedFd(sv[0]), wire::Role::kInitiator, key, 1, 5s);
    ASSERT_TRUE(ch.ok()) << ch.error().message();
    ch_.emplace(std::move(*ch));
  }

  int stop() {
    if (pid_ <= 0) return -1;
    ch_.reset();  // closing the channel ends the server
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  Reply call(Request q) {
    q.id = ++next_id_;
    EXPECT_TRUE(ch_->send(wire::MsgType::kMfsRequest, encode_request(q)).ok());
    auto f = ch_->recv(10s);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message());
    if (!f.ok()) return error_reply(0, -1);
    EXPECT_EQ(f->type, wire::MsgType::kMfsReply);
    auto r = decode_reply(q.op, f->payload);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    if (!r.ok()) return error_reply(0, -1);
    EXPECT_EQ(r->id, q.id);
    return *r;
  }

  Reply path_op(Op op, const std::string& path) {
    Request q;
    q.op = op;
    q.path = path;
    return call(q);
  }
  // One readdir of an open directory, as large as the protocol allows.
  Reply readdir_all(uint64_t fh) {
    Request q;
    q.op = Op::kReaddir;
    q.fh = fh;
    q.max_bytes = kMaxReaddir;
    return call(q);
  }
  // opendir (which must succeed) + readdir_all.
  Reply list_dir(const std::string& path) {
    Reply d = path_op(Op::kOpendir, path);
    EXPECT_EQ(d.err, 0) << path;
    return readdir_all(d.fh);
  }
  Reply open(const std::string& path, uint32_t flags) {
    Request q;
    q.op = Op::kOpen;
    q.path = path;
    q.flags = flags;
    return call(q);
  }
  Reply fh_op(Op op, uint64_t fh) {
    Request q;
    q.op = op;
    q.fh = fh;
    return call(q);
  }
  std::string p(const std::string& rel) const { return dir_ + "/" + rel; }

  std::string dir_;
  pid_t pid_ = -1;
  std::optional<wire::Channel> ch_;
  uint64_t next_id_ = 0;
};

TEST_F(MfsServerTest, GetattrMatchesStat) {
  Reply r = path_op(Op::kGetattr, p("public"));
  ASSERT_EQ(r.err, 0);
  struct stat st {};
  ASSERT_EQ(::lstat(p("public").c_str(), &st), 0);
  EXPECT_EQ(r.attr.ino, st.st_ino);
  EXPECT_EQ(r.attr.size, 11u);
  EXPECT_EQ(r.attr.mode, st.st_mode);
  EXPECT_EQ(r.attr.mtime_ns, st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec);
  Reply l = path_op(Op::kGetattr, p("link"));
  ASSERT_EQ(l.err, 0);
  EXPECT_TRUE(S_ISLNK(l.attr.mode));  // not followed
  EXPECT_EQ(path_op(Op::kGetattr, p("missing")).err, ENOENT);
  EXPECT_EQ(path_op(Op::kGetattr, "/").err, 0);
}

TEST_F(MfsServerTest, ExcludedThingsAreNotThere) {
  for (std::string path : {"/proc", "/proc/self/status", "/sys", "/sys/kernel", "/dev/null",
                           "//proc/1", "/./dev", "/dev"}) {
    EXPECT_EQ(path_op(Op::kGetattr, path).err, ENOENT) << path;
    EXPECT_EQ(open(path, O_RDONLY).err, ENOENT) << path;
  }
  EXPECT_EQ(path_op(Op::kGetattr, p("fifo")).err, ENOENT);
  EXPECT_EQ(path_op(Op::kGetattr, p("null")).err, ENOENT);
  EXPECT_EQ(open(p("fifo"), O_RDONLY).err, ENOENT);
  EXPECT_EQ(open(p("null"), O_RDWR).err, ENOENT);
  EXPECT_EQ(path_op(Op::kUnlink, p("fifo")).err, ENOENT);
  // Through a symlink to /proc: the parent lies on a proc mount.
  fs::create_symlink("/proc/self", p("procl"));
  EXPECT_EQ(path_op(Op::kGetattr, p("procl/status")).err, ENOENT);
  // Readdir leaves them out.
  Reply rd = list_dir(dir_);
  ASSERT_EQ(rd.err, 0);
  EXPECT_TRUE(rd.eof);
  std::set<std::string> names;
  for (auto& e : rd.entries) names.insert(e.name);
  EXPECT_EQ(names, (std::set<std::string>{"own", "secret", "public", "rodir", "link", "procl"}));
  // The root listing hides proc, sys, dev.
  Reply rr = list_dir("/");
  ASSERT_EQ(rr.err, 0);
  for (auto& e : rr.entries) EXPECT_TRUE(e.name != "proc" && e.name != "sys" && e.name != "dev");
}

TEST_F(MfsServerTest, DotDotIsRefused) {
  wire::Writer w;
  w.u64(77);
  w.u16(static_cast<uint16_t>(Op::kGetattr));
  w.str(p("own/../secret"));
  w.u64(0);
  ASSERT_TRUE(ch_->send(wire::MsgType::kMfsRequest, w.data()).ok());
  auto f = ch_->recv(10s);
  ASSERT_TRUE(f.ok());
  auto r = decode_reply(Op::kGetattr, f->payload);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, 77u);
  EXPECT_EQ(r->err, EPROTO);
  // Unknown op: ENOSYS. The session goes on.
  wire::Writer u;
  u.u64(78);
  u.u16(200);
  ASSERT_TRUE(ch_->send(wire::MsgType::kMfsRequest, u.data()).ok());
  f = ch_->recv(10s);
  ASSERT_TRUE(f.ok());
  r = decode_reply(Op::kGetattr, f->payload);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->err, ENOSYS);
  // A frame of another type is dropped; garbage without an id too.
  ASSERT_TRUE(ch_->send(wire::MsgType::kPing, {}).ok());
  ASSERT_TRUE(ch_->send(wire::MsgType::kMfsRequest, std::vector<uint8_t>{1, 2}).ok());
  EXPECT_EQ(path_op(Op::kGetattr, p("public")).err, 0);
}

TEST_F(MfsServerTest, PermissionsAreTheKernels) {
  EXPECT_EQ(open(p("secret"), O_RDONLY).err, EACCES);
  Reply pub = open(p("public"), O_RDONLY);
  EXPECT_EQ(pub.err, 0);
  EXPECT_EQ(open(p("public"), O_WRONLY).err, EACCES);
  Request c;
  c.op = Op::kCreate;
  c.path = p("rodir/new");
  c.flags = O_WRONLY | O_CREAT;
  c.mode = 0644;
  EXPECT_EQ(call(c).err, EACCES);
  Request a;
  a.op = Op::kAccess;
  a.path = p("secret");
  a.mask = R_OK;
  EXPECT_EQ(call(a).err, EACCES);
  a.path = p("public");
  EXPECT_EQ(call(a).err, 0);
  a.mask = W_OK;
  EXPECT_EQ(call(a).err, EACCES);
  EXPECT_EQ(path_op(Op::kUnlink, p("public")).err, EACCES);
  Request ch;
  ch.op = Op::kChmod;
  ch.path = p("public");
  ch.mode = 0666;
  EXPECT_EQ(call(ch).err, EPERM);
  Request co;
  co.op = Op::kChown;
  co.path = p("own");
  co.uid = 0;
  EXPECT_EQ(call(co).err, EPERM);
}

TEST_F(MfsServerTest, CreateWriteReadReleaseAndStaleFh) {
  Request c;
  c.op = Op::kCreate;
  c.path = p("own/f");
  c.flags = O_RDWR | O_CREAT | O_EXCL;
  c.mode = 0666;
  c.umask = 022;
  Reply cr = call(c);
  ASSERT_EQ(cr.err, 0);
  EXPECT_EQ(cr.attr.mode & 07777, 0644u);
  EXPECT_EQ(cr.attr.uid, kSquashedUid);
  Request w;
  w.op = Op::kWrite;
  w.fh = cr.fh;
  w.off = 3;
  w.data = {'a', 'b', 'c'};
  Reply wr = call(w);
  ASSERT_EQ(wr.err, 0);
  EXPECT_EQ(wr.written, 3u);
  EXPECT_EQ(slurp(p("own/f")), std::string("\0\0\0abc", 6));
  Request rd;
  rd.op = Op::kRead;
  rd.fh = cr.fh;
  rd.off = 2;
  rd.size = 100;
  Reply rr = call(rd);
  ASSERT_EQ(rr.err, 0);
  EXPECT_EQ(std::string(rr.data.begin(), rr.data.end()), std::string("\0abc", 4));
  Request fsy;
  fsy.op = Op::kFsync;
  fsy.fh = cr.fh;
  EXPECT_EQ(call(fsy).err, 0);
  EXPECT_EQ(fh_op(Op::kFlush, cr.fh).err, 0);
  Request ga;
  ga.op = Op::kGetattr;
  ga.path = p("own/f");
  ga.fh = cr.fh;
  EXPECT_EQ(call(ga).attr.size, 6u);
  EXPECT_EQ(fh_op(Op::kRelease, cr.fh).err, 0);
  EXPECT_EQ(fh_op(Op::kRelease, cr.fh).err, EBADF);
  EXPECT_EQ(call(rd).err, EBADF);
  EXPECT_EQ(call(w).err, EBADF);
  // A new handle never reuses the old number.
  Reply again = open(p("own/f"), O_RDONLY);
  ASSERT_EQ(again.err, 0);
  EXPECT_GT(again.fh, cr.fh);
  EXPECT_EQ(fh_op(Op::kReleasedir, again.fh).err, EBADF);  // not a directory handle
  EXPECT_EQ(fh_op(Op::kRead, 999999).err, EBADF);
  c.path = p("own/f");
  EXPECT_EQ(call(c).err, EEXIST);
}

TEST_F(MfsServerTest, Names) {
  Request m;
  m.op = Op::kMkdir;
  m.path = p("own/d");
  m.mode = 0777;
  m.umask = 077;
  Reply mr = call(m);
  ASSERT_EQ(mr.err, 0);
  EXPECT_TRUE(S_ISDIR(mr.attr.mode));
  EXPECT_EQ(mr.attr.mode & 07777, 0700u);
  std::ofstream(p("own/d/x")) << "12345";
  ::chown(p("own/d/x").c_str(), kSquashedUid, kSquashedGid);
  Request r;
  r.op = Op::kRename;
  r.path = p("own/d/x");
  r.to = p("own/y");
  ASSERT_EQ(call(r).err, 0);
  EXPECT_TRUE(fs::exists(p("own/y")));
  EXPECT_FALSE(fs::exists(p("own/d/x")));
  std::ofstream(p("own/z")) << "z";
  r.path = p("own/z");
  r.flags = RENAME_NOREPLACE;
  EXPECT_EQ(call(r).err, EEXIST);
  Request s;
  s.op = Op::kSymlink;
  s.target = "../anything/at/all";
  s.path = p("own/sl");
  Reply sr = call(s);
  ASSERT_EQ(sr.err, 0);
  EXPECT_TRUE(S_ISLNK(sr.attr.mode));
  Reply rl = path_op(Op::kReadlink, p("own/sl"));
  ASSERT_EQ(rl.err, 0);
  EXPECT_EQ(rl.target, "../anything/at/all");
  EXPECT_EQ(path_op(Op::kReadlink, p("own/y")).err, EINVAL);
  Request l;
  l.op = Op::kLink;
  l.path = p("own/y");
  l.to = p("own/y2");
  Reply lr = call(l);
  ASSERT_EQ(lr.err, 0);
  EXPECT_EQ(lr.attr.nlink, 2u);
  EXPECT_EQ(path_op(Op::kUnlink, p("own/y2")).err, 0);
  EXPECT_FALSE(fs::exists(p("own/y2")));
  EXPECT_EQ(path_op(Op::kRmdir, p("own/d")).err, 0);
  EXPECT_FALSE(fs::exists(p("own/d")));
  EXPECT_EQ(path_op(Op::kRmdir, p("own")).err, EACCES);  // dir_ is root's
  EXPECT_EQ(path_op(Op::kUnlink, p("own")).err, EISDIR);
}

TEST_F(MfsServerTest, Metadata) {
  std::ofstream(p("own/y")) << "12345";
  ASSERT_EQ(::chown(p("own/y").c_str(), kSquashedUid, kSquashedGid), 0);
  Request ch;
  ch.op = Op::kChmod;
  ch.path = p("own/y");
  ch.mode = 0600;
  ASSERT_EQ(call(ch).err, 0);
  EXPECT_EQ(fs::status(p("own/y")).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  Request co;
  co.op = Op::kChown;
  co.path = p("own/y");
  co.gid = kSquashedGid;  // to a group it is in: allowed
  EXPECT_EQ(call(co).err, 0);
  Request t;
  t.op = Op::kTruncate;
  t.path = p("own/y");
  t.size = 2;
  ASSERT_EQ(call(t).err, 0);
  EXPECT_EQ(slurp(p("own/y")), "12");
  Request u;
  u.op = Op::kUtimens;
  u.path = p("own/y");
  u.times[0] = {1000, 5};
  u.times[1] = {2000, kUtimeOmit};
  struct stat before {};
  ::stat(p("own/y").c_str(), &before);
  ASSERT_EQ(call(u).err, 0);
  struct stat after {};
  ::stat(p("own/y").c_str(), &after);
  EXPECT_EQ(after.st_atim.tv_sec, 1000);
  EXPECT_EQ(after.st_atim.tv_nsec, 5);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
}

TEST_F(MfsServerTest, StatfsHasTrueFigures) {
  Reply r = path_op(Op::kStatfs, p("public"));
  ASSERT_EQ(r.err, 0);
  struct statvfs v {};
  ASSERT_EQ(::statvfs(p("public").c_str(), &v), 0);
  EXPECT_EQ(r.statfs.bsize, v.f_bsize);
  EXPECT_EQ(r.statfs.blocks, v.f_blocks);
  EXPECT_EQ(r.statfs.files, v.f_files);
  EXPECT_EQ(r.statfs.namemax, v.f_namemax);
}

TEST_F(MfsServerTest, ReaddirPagesWithCookies) {
  for (int i = 0; i < 300; ++i) {
    std::ofstream(p("own/entry_with_a_long_enough_name_" + std::to_string(i))) << i;
  }
  Reply d = path_op(Op::kOpendir, p("own"));
  ASSERT_EQ(d.err, 0);
  std::set<std::string> seen;
  Request q;
  q.op = Op::kReaddir;
  q.fh = d.fh;
  q.max_bytes = 4096;
  int pages = 0;
  for (;;) {
    Reply r = call(q);
    ASSERT_EQ(r.err, 0);
    ++pages;
    size_t bytes = encode_reply(Op::kReaddir, r).size();
    EXPECT_LE(bytes, 4096u);
    for (auto& e : r.entries) EXPECT_TRUE(seen.insert(e.name).second) << e.name;
    if (r.eof) break;
    ASSERT_FALSE(r.entries.empty());
    q.cookie = r.entries.back().next_cookie;
    ASSERT_LT(pages, 1000);
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_GT(pages, 5);
  EXPECT_EQ(fh_op(Op::kReleasedir, d.fh).err, 0);
  EXPECT_EQ(call(q).err, EBADF);
}

TEST_F(MfsServerTest, NomfsAnswersEaccesToEverything) {
  stop();
  start({.nomfs = true, .uid = 1000});
  EXPECT_EQ(path_op(Op::kGetattr, p("public")).err, EACCES);
  EXPECT_EQ(path_op(Op::kStatfs, "/").err, EACCES);
  EXPECT_EQ(open(p("public"), O_RDONLY).err, EACCES);
}

TEST_F(MfsServerTest, ClosesWhenThePeerCloses) {
  EXPECT_EQ(path_op(Op::kGetattr, "/").err, 0);
  int status = stop();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(MfsServerTest, OwnMfsMountShowsEmptyAndIsNeverAsked) {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
  stop();
  fs::create_directory(p("mfs"));
  start({.mount_mfs = true});
  Reply a = path_op(Op::kGetattr, p("mfs"));
  ASSERT_EQ(a.err, 0);
  EXPECT_TRUE(S_ISDIR(a.attr.mode));
  Reply d = path_op(Op::kOpendir, p("mfs"));
  ASSERT_EQ(d.err, 0);
  Reply rd = readdir_all(d.fh);
  ASSERT_EQ(rd.err, 0);
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(rd.eof);
  Request g;
  g.op = Op::kGetattr;
  g.path = p("mfs");
  g.fh = d.fh;
  EXPECT_EQ(call(g).attr.mode, a.attr.mode);
  EXPECT_EQ(path_op(Op::kGetattr, p("mfs/1")).err, ENOENT);
  EXPECT_EQ(path_op(Op::kGetattr, p("mfs/1/tmp/x")).err, ENOENT);
  EXPECT_EQ(open(p("mfs/1/tmp/x"), O_RDONLY).err, ENOENT);
  Reply sf = path_op(Op::kStatfs, p("mfs"));
  ASSERT_EQ(sf.err, 0);
  EXPECT_EQ(sf.statfs.blocks, 0u);
  EXPECT_EQ(path_op(Op::kRmdir, p("mfs")).err, EBUSY);
  // The parent still lists it.
  Reply prd = list_dir(dir_);
  ASSERT_EQ(prd.err, 0);
  bool found = false;
  for (auto& e : prd.entries) found |= e.name == "mfs";
  EXPECT_TRUE(found);
}

TEST_F(MfsServerTest, ProcMountedElsewhereIsNotThere) {
  stop();
  fs::create_directory(p("pmnt"));
  start({.mount_proc = true});
  EXPECT_EQ(path_op(Op::kGetattr, p("pmnt")).err, ENOENT);
  EXPECT_EQ(path_op(Op::kGetattr, p("pmnt/self/status")).err, ENOENT);
  EXPECT_EQ(open(p("pmnt/self/status"), O_RDONLY).err, ENOENT);
  EXPECT_EQ(path_op(Op::kOpendir, p("pmnt")).err, ENOENT);
  Reply rd = list_dir(dir_);
  ASSERT_EQ(rd.err, 0);
  for (auto& e : rd.entries) EXPECT_NE(e.name, "pmnt");
}

TEST_F(MfsServerTest, FaultLostReplyAndCrash) {
  stop();
  start({.fault = "mfs.server.reply@2"});
  EXPECT_EQ(path_op(Op::kGetattr, "/").err, 0);
  Request q;
  q.op = Op::kGetattr;
  q.path = "/";
  q.id = 1000;
  ASSERT_TRUE(ch_->send(wire::MsgType::kMfsRequest, encode_request(q)).ok());
  auto lost = ch_->recv(500ms);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(path_op(Op::kGetattr, "/").err, 0);  // the session goes on
  stop();
  start({.fault = "mfs.server.crash"});
  ASSERT_TRUE(ch_->send(wire::MsgType::kMfsRequest, encode_request(q)).ok());
  auto gone = ch_->recv(10s);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(wire::is_peer_closed(gone.error())) << gone.error().message();
  int status = stop();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(MfsServerTest, IdleSessionCloses) {
  stop();
  start({.idle = 300ms});
  EXPECT_EQ(path_op(Op::kGetattr, "/").err, 0);
  auto f = ch_->recv(5s);  // nothing more is asked: the server closes after 300 ms
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(wire::is_peer_closed(f.error())) << f.error().message();
  int status = stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(MfsServerTest, OneMebibyteWritesAndReads) {
  Request c;
  c.op = Op::kCreate;
  c.path = p("own/big");
  c.flags = O_RDWR | O_CREAT;
  c.mode = 0600;
  Reply cr = call(c);
  ASSERT_EQ(cr.err, 0);
  Request w;
  w.op = Op::kWrite;
  w.fh = cr.fh;
  w.data.resize(kMaxWrite);
  for (size_t i = 0; i < w.data.size(); ++i) w.data[i] = static_cast<uint8_t>(i * 7);
  ASSERT_EQ(call(w).written, kMaxWrite);
  Request rd;
  rd.op = Op::kRead;
  rd.fh = cr.fh;
  rd.size = kMaxRead;
  Reply rr = call(rd);
  ASSERT_EQ(rr.err, 0);
  EXPECT_EQ(rr.data, w.data);
  Request t;
  t.op = Op::kTruncate;
  t.path = p("own/big");
  t.fh = cr.fh;
  t.size = 10;
  ASSERT_EQ(call(t).err, 0);
  EXPECT_EQ(fs::file_size(p("own/big")), 10u);
}

TEST(MfsOwner, RootIsSquashedUnlessAllowed) {
  wire::SessionOwner root{0, 0, {0, 1}};
  EXPECT_EQ(effective_owner(root, false), (wire::SessionOwner{kSquashedUid, kSquashedGid, {}}));
  EXPECT_EQ(effective_owner(root, true), root);
  wire::SessionOwner user{1000, 100, {24}};
  EXPECT_EQ(effective_owner(user, false), user);
}

}  // namespace
}  // namespace omx::mfs
