// DFSA's pure parts: path classification, effective directories, the promotion rules, which
// calls run on a lent fd, and the guest's fd table (migrate/dfsa_paths.h, fd_table.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mfs/path_resolver.h"
#include "migrate/dfsa_paths.h"
#include "migrate/fd_table.h"

namespace omx::migrate {
namespace {

TEST(DfsaPaths, NormalizesLexically) {
  EXPECT_EQ(*normalize_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(*normalize_path("/"), "/");
  EXPECT_EQ(*normalize_path("//"), "/");
  EXPECT_FALSE(normalize_path("a/b"));
  EXPECT_FALSE(normalize_path(""));
  EXPECT_FALSE(normalize_path("/a/../etc/passwd"));
  EXPECT_EQ(*normalize_path("/a/..b/c"), "/a/..b/c");  // not a `..` component
}

TEST(DfsaPaths, MfsOfThisNodeIsLocal) {
  auto x = [](std::string_view p, std::string_view mount = "/mfs", uint32_t here = 2) -> std::string {
    auto off = mfs_local_offset(p, mount, here);
    return off ? std::string(p.substr(*off)) : "(home)";
  };
  EXPECT_EQ(x("/mfs/2/tmp/x"), "/tmp/x");
  EXPECT_EQ(x("/mfs/here/tmp/x"), "/tmp/x");
  EXPECT_EQ(x("//mfs/./2//tmp/x"), "//tmp/x");  // the rest of the raw string, still absolute
  EXPECT_EQ(x("/mfs/2/"), "/");
  EXPECT_EQ(x("/mfs/2"), "(home)");             // nothing to point at
  EXPECT_EQ(x("/mfs/1/tmp/x"), "(home)");       // another node
  EXPECT_EQ(x("/mfs/02/tmp/x"), "(home)");
  EXPECT_EQ(x("/mfs/22/tmp/x"), "(home)");
  EXPECT_EQ(x("/mfs/home/tmp/x"), "(home)");    // home is never where a guest runs
  EXPECT_EQ(x("/mfs/magic/tmp/x"), "(home)");
  EXPECT_EQ(x("/mfs/2/tmp/../etc/passwd"), "(home)");
  EXPECT_EQ(x("/mfs/2/proc/self/maps"), "(home)");  // excluded by the /mfs server
  EXPECT_EQ(x("/mfs/2/dev/null"), "(home)");
  EXPECT_EQ(x("/mfs/2/sys"), "(home)");
  EXPECT_EQ(x("/mfs/2/mfs/1/x"), "(home)");     // the node's own /mfs shows empty
  EXPECT_EQ(x("/mfs/2/process"), "/process");
  EXPECT_EQ(x("/mfsx/2/tmp/x"), "(home)");
  EXPECT_EQ(x("mfs/2/tmp/x"), "(home)");
  EXPECT_EQ(x("/cluster/fs/3/a", "/cluster/fs/", 3), "/a");
  EXPECT_EQ(x("/mfs/2/tmp/x", ""), "(home)");  // no /mfs at home
  EXPECT_EQ(x("/tmp/x", "/"), "(home)");
}

// DFSA checks a local /mfs path with the server's resolver, walking without symlinks (the FUSE
// client would resolve them on the caller's node).
TEST(DfsaPaths, ResolverWithoutSymlinks) {
  char tmpl[] = "/tmp/omx-dfsa-resolver.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string d = tmpl;
  ASSERT_EQ(::mkdir((d + "/real").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("real", (d + "/link").c_str()), 0);
  auto strict = mfs::PathResolver::open(d, /*no_symlinks=*/true);
  auto plain = mfs::PathResolver::open(d);
  ASSERT_TRUE(strict.ok() && plain.ok());
  mfs::Located at;
  EXPECT_EQ(strict->locate("/real/x", at), 0);
  EXPECT_EQ(at.name, "x");
  EXPECT_NE(strict->locate("/link/x", at), 0);  // a symlink on the way
  EXPECT_EQ(plain->locate("/link/x", at), 0);   // the server's own walk follows it
  EXPECT_NE(strict->locate("/proc/self", at), 0);
  ::rmdir((d + "/real").c_str());
  ::unlink((d + "/link").c_str());
  ::rmdir(d.c_str());
}

TEST(DfsaPaths, PromotionThroughMfs) {
  FdInfo i;
  i.fd = 3;
  i.path = "/mfs/2/tmp/in";
  i.mode = S_IFREG | 0644;
  EXPECT_NE(promotion_refusal(i, {"/srv/shared"}), "");
  EXPECT_EQ(promotion_refusal(i, {"/srv/shared"}, true), "");
  i.shared = true;
  EXPECT_NE(promotion_refusal(i, {}, true), "");
}

TEST(DfsaPaths, UnderAtComponentBoundaries) {
  std::vector<std::string> dirs = {"/srv/shared", "/var/tmp/x"};
  EXPECT_TRUE(path_under("/srv/shared/in", dirs));
  EXPECT_TRUE(path_under("/srv/shared", dirs));
  EXPECT_TRUE(path_under("/srv//shared/./a/b", dirs));
  EXPECT_TRUE(path_under("/var/tmp/x/out.bz2", dirs));
  EXPECT_FALSE(path_under("/srv/sharedX/in", dirs));
  EXPECT_FALSE(path_under("/srv", dirs));
  EXPECT_FALSE(path_under("/srv/shared/../../etc/passwd", dirs));
  EXPECT_FALSE(path_under("srv/shared/in", dirs));
  EXPECT_FALSE(path_under("/tmp/only_home", dirs));
  EXPECT_FALSE(path_under("/srv/shared/in", {}));
  EXPECT_TRUE(path_under("/anything", {"/"}));
}

TEST(DfsaPaths, EffectiveDirsAreTheIntersection) {
  EXPECT_EQ(effective_dirs({"/a", "/b/", "/c"}, {"/c", "/b", "/d"}),
            (std::vector<std::string>{"/b", "/c"}));
  EXPECT_TRUE(effective_dirs({"/a"}, {}).empty());
  EXPECT_TRUE(effective_dirs({}, {"/a"}).empty());
  EXPECT_TRUE(effective_dirs({"rel"}, {"rel"}).empty());
  EXPECT_EQ(split_dir_list("/a::/b:"), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(split_dir_list("").empty());
  EXPECT_EQ(clean_dirs({"/a/", "/a", "x", "/b/../c"}), (std::vector<std::string>{"/a"}));
}

FdInfo regular(std::string path) {
  FdInfo i;
  i.fd = 3;
  i.path = std::move(path);
  i.mode = S_IFREG | 0644;
  i.flags = O_RDONLY;
  return i;
}

TEST(DfsaPaths, PromotionRules) {
  std::vector<std::string> dirs = {"/srv/shared"};
  EXPECT_EQ(promotion_refusal(regular("/srv/shared/in"), dirs), "");
  EXPECT_NE(promotion_refusal(regular("/tmp/in"), dirs), "");
  FdInfo i = regular("/srv/shared/in");
  i.shared = true;
  EXPECT_NE(promotion_refusal(i, dirs), "");
  i = regular("/srv/shared/in");
  i.locked = true;
  EXPECT_NE(promotion_refusal(i, dirs), "");
  i = regular("/srv/shared/fifo");
  i.mode = S_IFIFO | 0644;
  EXPECT_NE(promotion_refusal(i, dirs), "");
  i = regular("/srv/shared/in");
  i.err = EBADF;
  EXPECT_NE(promotion_refusal(i, dirs), "");
  i = regular("/srv/shared/in (deleted)");  // readlink of an unlinked file
  EXPECT_EQ(promotion_refusal(i, {"/elsewhere"}).empty(), false);
  EXPECT_EQ(reopen_flags(O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC),
            static_cast<uint32_t>(O_WRONLY | O_APPEND | O_CLOEXEC));
}

TEST(DfsaPaths, WhichCallsRunOnALentFd) {
  uint64_t a[6] = {3, 0, 0, 0, 0, 0};
  EXPECT_EQ(classify_fd_call(SYS_read, a, false), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_write, a, false), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_pread64, a, false), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_lseek, a, false), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_fstat, a, false), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_close, a, false), FdCall::kOther);
  EXPECT_EQ(classify_fd_call(SYS_dup2, a, false), FdCall::kOther);
  EXPECT_EQ(classify_fd_call(SYS_ioctl, a, false), FdCall::kOther);
  EXPECT_EQ(classify_fd_call(SYS_flock, a, false), FdCall::kOther);
  EXPECT_EQ(classify_fd_call(SYS_getpid, a, false), FdCall::kNoFd);
  uint64_t st[6] = {3, 0x1000, 0x2000, AT_EMPTY_PATH, 0, 0};
  EXPECT_EQ(classify_fd_call(SYS_newfstatat, st, true), FdCall::kData);
  EXPECT_EQ(classify_fd_call(SYS_newfstatat, st, false), FdCall::kOther);
  uint64_t fc[6] = {3, F_GETFL, 0, 0, 0, 0};
  EXPECT_EQ(classify_fd_call(SYS_fcntl, fc, false), FdCall::kData);
  fc[1] = F_SETLK;
  EXPECT_EQ(classify_fd_call(SYS_fcntl, fc, false), FdCall::kOther);
  fc[1] = F_SETFD;
  EXPECT_EQ(classify_fd_call(SYS_fcntl, fc, false), FdCall::kOther);
}

TEST(DfsaPaths, PathOnlyCalls) {
  for (int64_t nr : {SYS_stat, SYS_newfstatat, SYS_mkdir, SYS_renameat2, SYS_unlinkat, SYS_statx,
                     SYS_readlink, SYS_faccessat2, SYS_utimensat})
    EXPECT_TRUE(is_path_only_call(nr)) << nr;
  // New fds, or state at home: not (yet) local.
  for (int64_t nr : {SYS_open, SYS_openat, SYS_creat, SYS_chdir, SYS_execve, SYS_read})
    EXPECT_FALSE(is_path_only_call(nr)) << nr;
}

TEST(FdTable, States) {
  FdTable t;
  EXPECT_EQ(t.state(3), FdState::kUnknown);
  t.set_home(0);
  t.set_lent(3, {"/srv/shared/in", O_RDONLY});
  t.set_lent(1, {"/srv/shared/out", O_WRONLY});
  EXPECT_EQ(t.state(0), FdState::kHome);
  EXPECT_EQ(t.state(3), FdState::kLent);
  ASSERT_NE(t.lent(3), nullptr);
  EXPECT_EQ(t.lent(3)->path, "/srv/shared/in");
  EXPECT_EQ(t.lent(0), nullptr);
  EXPECT_EQ(t.lent_fds(), (std::vector<int>{1, 3}));
  t.set_home(3);  // demoted
  EXPECT_EQ(t.lent_fds(), (std::vector<int>{1}));
  t.forget(1);
  EXPECT_EQ(t.state(1), FdState::kUnknown);
  t.set_lent(5, {});
  t.set_lent(7, {});
  t.set_home(9);
  t.forget_range(4, 8);
  EXPECT_EQ(t.state(5), FdState::kUnknown);
  EXPECT_EQ(t.state(9), FdState::kHome);
  t.forget_range(8, 4);  // empty
  EXPECT_EQ(t.state(9), FdState::kHome);
}

}  // namespace
}  // namespace omx::migrate
