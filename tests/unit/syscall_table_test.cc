// Tests of the system call table (schema/syscalls_x86_64.tsv, compiled by tools/gen_syscalls.py
// into omx::syscall): coverage of the kernel's number range, classes and argument descriptions
// of representative calls, guards, lookups, length resolution, a round trip of every row against
// the source table, and the generator's rejection of malformed tables with FILE:LINE.
//
// Single-threaded; the generator tests run python3 in a temporary directory.
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "syscall/syscall_table.h"

namespace omx::syscall {
namespace {

constexpr int kTableKernelMajor = 6;  // the table is complete for this kernel series
constexpr int kTableKernelMinor = 18;

const SyscallInfo& info_of(const char* name) {
  std::optional<int> nr = syscall_number(name);
  EXPECT_TRUE(nr.has_value()) << name;
  const SyscallInfo* info = syscall_info(nr.value_or(-1));
  if (info == nullptr) {
    ADD_FAILURE() << "no row for " << name;
    static const SyscallInfo kNone{};
    return kNone;
  }
  return *info;
}

// ------------------------------------------------------------------------------------------
// Coverage

TEST(SyscallTable, EveryNumberUpToTheMaximumIsARowOrAHole) {
  EXPECT_EQ(max_syscall_number(), 469);  // file_setattr, Linux 6.17; 6.18 added none
  int rows = 0, holes = 0;
  for (int nr = 0; nr <= max_syscall_number(); ++nr) {
    const SyscallInfo* info = syscall_info(nr);
    EXPECT_NE(info != nullptr, is_hole(nr)) << nr;
    if (info != nullptr) {
      EXPECT_EQ(info->number, nr);
      EXPECT_LE(info->nargs, kMaxArgs);
      ++rows;
    } else {
      ++holes;
    }
  }
  EXPECT_EQ(holes, 423 - 337 + 1);
  EXPECT_EQ(rows, 470 - holes);
  std::vector<HoleRange> h = syscall_holes();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, 337);
  EXPECT_EQ(h[0].last, 423);
  EXPECT_EQ(syscall_info(-1), nullptr);
  EXPECT_EQ(syscall_info(max_syscall_number() + 1), nullptr);
  EXPECT_EQ(syscall_info(0x40000000), nullptr);  // x32
}

TEST(SyscallTable, NumbersMatchTheCLibrary) {
  // The generated header static_asserts this for every name; spot-check at run time too.
  EXPECT_EQ(syscall_number("read"), SYS_read);
  EXPECT_EQ(syscall_number("openat"), SYS_openat);
  EXPECT_EQ(syscall_number("clone3"), SYS_clone3);
  EXPECT_EQ(syscall_number("_sysctl"), SYS__sysctl);
  EXPECT_EQ(syscall_number("set_mempolicy_home_node"), 450);
  EXPECT_EQ(syscall_number("mseal"), 462);
  EXPECT_EQ(syscall_number("uretprobe"), 335);
  EXPECT_EQ(syscall_number("file_setattr"), 469);
}

// Numbers the table calls holes or never-implemented really are ENOSYS on this kernel, and the
// table ends where the kernel does. Only numbers that are ENOSYS by claim are called.
TEST(SyscallTable, RunningKernelAgreesOnHolesAndTheEnd) {
  struct utsname u;
  ASSERT_EQ(uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  if (major > kTableKernelMajor || (major == kTableKernelMajor && minor > kTableKernelMinor)) {
    GTEST_SKIP() << "kernel " << u.release << " is newer than the table (6.18): add its syscalls";
  }
  std::vector<long> enosys;
  for (const HoleRange& h : syscall_holes())
    for (int nr = h.first; nr <= h.last; ++nr) enosys.push_back(nr);
  enosys.push_back(max_syscall_number() + 1);
  for (const char* name : {"_sysctl", "create_module", "get_kernel_syms", "query_module",
                           "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", "tuxcall",
                           "security", "set_thread_area", "get_thread_area", "epoll_ctl_old",
                           "epoll_wait_old", "vserver", "lookup_dcookie"}) {
    EXPECT_EQ(info_of(name).cls, SyscallClass::kLocal) << name;
    enosys.push_back(*syscall_number(name));
  }
  for (long nr : enosys) {
    errno = 0;
    long r = ::syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
    if (r == -1 && errno == EPERM) GTEST_SKIP() << "a seccomp filter answers EPERM for " << nr;
    EXPECT_EQ(r, -1) << nr;
    EXPECT_EQ(errno, ENOSYS) << syscall_name(static_cast<int>(nr));
  }
}

// ------------------------------------------------------------------------------------------
// Classes

TEST(SyscallTable, RepresentativeClasses) {
  const std::map<std::string, SyscallClass> expected = {
      {"read", SyscallClass::kForwarded},        {"write", SyscallClass::kForwarded},
      {"openat", SyscallClass::kForwarded},      {"close", SyscallClass::kForwarded},
      {"ioctl", SyscallClass::kForwarded},       {"fcntl", SyscallClass::kForwarded},
      {"wait4", SyscallClass::kForwarded},       {"poll", SyscallClass::kForwarded},
      {"epoll_wait", SyscallClass::kForwarded},  {"socket", SyscallClass::kForwarded},
      {"chdir", SyscallClass::kForwarded},       {"umask", SyscallClass::kForwarded},
      {"uname", SyscallClass::kForwarded},       {"getppid", SyscallClass::kForwarded},
      {"setuid", SyscallClass::kForwarded},      {"memfd_create", SyscallClass::kForwarded},
      {"munmap", SyscallClass::kLocal},          {"mprotect", SyscallClass::kLocal},
      {"mremap", SyscallClass::kLocal},          {"madvise", SyscallClass::kLocal},
      {"sched_yield", SyscallClass::kLocal},     {"rt_sigprocmask", SyscallClass::kLocal},
      {"rt_sigreturn", SyscallClass::kLocal},    {"sigaltstack", SyscallClass::kLocal},
      {"getrandom", SyscallClass::kLocal},       {"arch_prctl", SyscallClass::kLocal},
      {"set_robust_list", SyscallClass::kLocal}, {"rseq", SyscallClass::kLocal},
      {"nanosleep", SyscallClass::kLocal},       {"gettimeofday", SyscallClass::kLocal},
      {"time", SyscallClass::kLocal},            {"restart_syscall", SyscallClass::kLocal},
      {"getpid", SyscallClass::kEmulated},       {"gettid", SyscallClass::kEmulated},
      {"getuid", SyscallClass::kEmulated},       {"getegid", SyscallClass::kEmulated},
      {"getresuid", SyscallClass::kEmulated},    {"brk", SyscallClass::kEmulated},
      {"fork", SyscallClass::kSpecial},          {"vfork", SyscallClass::kSpecial},
      {"clone", SyscallClass::kSpecial},         {"clone3", SyscallClass::kSpecial},
      {"execve", SyscallClass::kSpecial},        {"execveat", SyscallClass::kSpecial},
      {"exit", SyscallClass::kSpecial},          {"exit_group", SyscallClass::kSpecial},
      {"rt_sigaction", SyscallClass::kSpecial},  {"kill", SyscallClass::kSpecial},
      {"tgkill", SyscallClass::kSpecial},        {"tkill", SyscallClass::kSpecial},
      {"prctl", SyscallClass::kSpecial},         {"getrusage", SyscallClass::kSpecial},
      {"io_uring_setup", SyscallClass::kHome},   {"bpf", SyscallClass::kHome},
      {"perf_event_open", SyscallClass::kHome},  {"userfaultfd", SyscallClass::kHome},
      {"shmget", SyscallClass::kHome},           {"shmat", SyscallClass::kHome},
      {"mount", SyscallClass::kHome},            {"ptrace", SyscallClass::kHome},
      {"seccomp", SyscallClass::kHome},          {"mlock", SyscallClass::kHome},
  };
  for (const auto& [name, cls] : expected) {
    EXPECT_EQ(class_name(info_of(name.c_str()).cls), std::string(class_name(cls))) << name;
  }
}

TEST(SyscallTable, ClassListsPartitionTheRows) {
  size_t total = 0;
  std::set<int> seen;
  for (SyscallClass cls : {SyscallClass::kLocal, SyscallClass::kEmulated, SyscallClass::kForwarded,
                           SyscallClass::kSpecial, SyscallClass::kHome}) {
    std::vector<int> nrs = syscalls_of_class(cls);
    EXPECT_TRUE(std::is_sorted(nrs.begin(), nrs.end()));
    for (int nr : nrs) {
      EXPECT_EQ(syscall_info(nr)->cls, cls);
      EXPECT_TRUE(seen.insert(nr).second) << nr;
    }
    total += nrs.size();
  }
  EXPECT_EQ(total, static_cast<size_t>(max_syscall_number() + 1 - (423 - 337 + 1)));
  std::vector<int> local = syscalls_of_class(SyscallClass::kLocal);
  auto has = [&](const char* n) {
    return std::find(local.begin(), local.end(), *syscall_number(n)) != local.end();
  };
  EXPECT_TRUE(has("munmap"));
  EXPECT_FALSE(has("read"));
  EXPECT_FALSE(has("mmap"));  // guarded: local only for anonymous mappings
}

// ------------------------------------------------------------------------------------------
// Guards

TEST(SyscallTable, GuardsDecideLocalExecution) {
  std::vector<int> guarded = guarded_syscalls();
  std::vector<int> want;
  for (const char* n : {"mmap", "futex", "clock_gettime", "clock_getres", "clock_nanosleep",
                        "get_robust_list"})
    want.push_back(*syscall_number(n));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(guarded, want);

  const int mmap = SYS_mmap, futex = SYS_futex, cgt = SYS_clock_gettime;
  uint64_t anon[6] = {0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, uint64_t(-1), 0};
  uint64_t file[6] = {0, 4096, PROT_READ, MAP_PRIVATE, 3, 0};
  EXPECT_EQ(effective_class(mmap, anon), SyscallClass::kLocal);
  EXPECT_EQ(effective_class(mmap, file), SyscallClass::kHome);

  uint64_t wait_private[6] = {0x1000, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0};
  uint64_t wake_op[6] = {0x1000, FUTEX_WAKE_OP, 0, 0, 0, 0};
  uint64_t bitset_rt[6] = {0x1000, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, 0, 0, 0};
  uint64_t lock_pi[6] = {0x1000, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0};
  uint64_t requeue_pi[6] = {0x1000, FUTEX_CMP_REQUEUE_PI, 0, 0, 0, 0};
  EXPECT_EQ(effective_class(futex, wait_private), SyscallClass::kLocal);
  EXPECT_EQ(effective_class(futex, wake_op), SyscallClass::kLocal);
  EXPECT_EQ(effective_class(futex, bitset_rt), SyscallClass::kLocal);
  EXPECT_EQ(effective_class(futex, lock_pi), SyscallClass::kHome);
  EXPECT_EQ(effective_class(futex, requeue_pi), SyscallClass::kHome);

  auto clock_class = [&](int64_t id) {
    uint64_t a[6] = {static_cast<uint64_t>(id), 0x1000, 0, 0, 0, 0};
    return effective_class(cgt, a);
  };
  for (int64_t id : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI})
    EXPECT_EQ(clock_class(id), SyscallClass::kLocal) << id;
  // CPU-time clocks of the process and a pid's CPU clock (negative id) are not local.
  for (int64_t id : {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, -6})
    EXPECT_EQ(clock_class(id), SyscallClass::kSpecial) << id;
  // The kernel takes clockid_t as an int: the upper half of the register does not matter.
  EXPECT_EQ(clock_class(int64_t{0x7fffffff00000001LL}), SyscallClass::kLocal);
  uint64_t self[6] = {0, 0x1000, 0x1008, 0, 0, 0}, other[6] = {1234, 0x1000, 0x1008, 0, 0, 0};
  EXPECT_EQ(effective_class(SYS_get_robust_list, self), SyscallClass::kLocal);
  EXPECT_EQ(effective_class(SYS_get_robust_list, other), SyscallClass::kHome);
  uint64_t none[6] = {};
  EXPECT_EQ(effective_class(400, none), SyscallClass::kHome);  // a hole
  EXPECT_EQ(effective_class(-1, none), SyscallClass::kHome);
  EXPECT_EQ(effective_class(SYS_read, none), SyscallClass::kForwarded);
}

// ------------------------------------------------------------------------------------------
// Argument descriptions

TEST(SyscallTable, ArgumentsOfCommonCalls) {
  const std::map<std::string, std::string> expected = {
      {"read", "fd out:a2:ret val"},
      {"write", "fd in:a2 val"},
      {"pread64", "fd out:a2:ret val val"},
      {"openat", "fd path val val"},
      {"readv", "fd iov_out:a2 val"},
      {"writev", "fd iov_in:a2 val"},
      {"fstat", "fd out:stat"},
      {"newfstatat", "fd path out:stat val"},
      {"statx", "fd path val val out:statx"},
      {"wait4", "pid inout:4 val inout:rusage"},
      {"pipe2", "out:8 val"},
      {"getcwd", "out:a1:ret val"},
      {"readlink", "path out:a2:ret val"},
      {"getdents64", "fd out:a2:ret val"},
      {"accept4", "fd sockaddr_out:a2 inout:4 val"},
      {"recvfrom", "fd out:a2:ret val val sockaddr_out:a5 inout:4"},
      {"getsockopt", "fd val val inout:*a4:*a4 inout:4"},
      {"select", "val inout:bits(a0) inout:bits(a0) inout:bits(a0) inout:timeval"},
      {"epoll_wait", "fd out:a2*epoll_event:ret*epoll_event val val"},
      {"utimensat", "fd path in:timespec*2 val"},
      {"poll", "inout:a1*pollfd val val"},
      {"execve", "path cstr_array cstr_array"},
      {"fcntl", "fd val irregular"},
      {"getpid", "-"},
  };
  for (const auto& [name, args] : expected) {
    EXPECT_EQ(format_args(info_of(name.c_str())), args) << name;
  }
}

TEST(SyscallTable, ReadCopiesBackTheReturnValueNotTheRoom) {
  const SyscallInfo& read = info_of("read");
  ASSERT_EQ(read.nargs, 3);
  EXPECT_EQ(read.args[0].kind, ArgKind::kFd);
  const ArgSpec& buf = read.args[1];
  EXPECT_EQ(buf.kind, ArgKind::kOut);
  EXPECT_EQ(buf.len.kind, LenKind::kArg);
  EXPECT_EQ(buf.len.arg, 2);
  EXPECT_EQ(buf.valid.kind, LenKind::kRet);
  uint64_t args[6] = {3, 0x7000, 4096, 0, 0, 0};
  EXPECT_EQ(resolve_len(buf.len, args), 4096u);
  EXPECT_EQ(resolve_len(buf.valid, args, 17), 17u);
  EXPECT_EQ(resolve_len(buf.valid, args, -EINTR), std::nullopt);
  EXPECT_EQ(resolve_len(buf.valid, args), std::nullopt);  // before the call
}

TEST(SyscallTable, StructSizesAndCounts) {
  uint64_t none[6] = {};
  EXPECT_EQ(resolve_len(info_of("fstat").args[1].len, none), 144u);
  EXPECT_EQ(resolve_len(info_of("statx").args[4].len, none), 256u);
  const SyscallInfo& wait4 = info_of("wait4");
  EXPECT_EQ(wait4.args[1].kind, ArgKind::kInOut);
  EXPECT_EQ(resolve_len(wait4.args[1].len, none), 4u);
  EXPECT_EQ(resolve_len(wait4.args[3].len, none), 144u);
  EXPECT_STREQ(wait4.args[3].len.unit_name, "rusage");
  EXPECT_EQ(resolve_len(info_of("pipe2").args[0].len, none), 8u);
  EXPECT_EQ(resolve_len(info_of("utimensat").args[2].len, none), 32u);

  const SyscallInfo& readv = info_of("readv");
  EXPECT_EQ(readv.args[1].kind, ArgKind::kIovOut);
  EXPECT_EQ(readv.args[1].len.arg, 2);  // iovec count

  const ArgSpec& events = info_of("epoll_wait").args[1];
  uint64_t ew[6] = {5, 0x7000, 64, 1000, 0, 0};
  EXPECT_EQ(resolve_len(events.len, ew), 64u * 12);
  EXPECT_EQ(resolve_len(events.valid, ew, 3), 36u);

  const ArgSpec& readfds = info_of("select").args[1];
  uint64_t sel[6] = {65, 0, 0, 0, 0, 0};
  EXPECT_EQ(resolve_len(readfds.len, sel), 16u);
  sel[0] = 0;
  EXPECT_EQ(resolve_len(readfds.len, sel), 0u);
  sel[0] = static_cast<uint64_t>(-1);
  EXPECT_EQ(resolve_len(readfds.len, sel), std::nullopt);

  const ArgSpec& optval = info_of("getsockopt").args[3];
  EXPECT_EQ(optval.len.kind, LenKind::kArgDeref);
  EXPECT_EQ(resolve_len(optval.len, none, std::nullopt, 4u), 4u);
  EXPECT_EQ(resolve_len(optval.len, none), std::nullopt);

  const ArgSpec& fds = info_of("poll").args[0];
  uint64_t huge[6] = {0, ~uint64_t{0}, 0, 0, 0, 0};
  EXPECT_EQ(resolve_len(fds.len, huge), std::nullopt);  // overflow
}

TEST(SyscallTable, IrregularArgumentsAreExplained) {
  for (int nr = 0; nr <= max_syscall_number(); ++nr) {
    const SyscallInfo* info = syscall_info(nr);
    if (info == nullptr) continue;
    for (int i = 0; i < info->nargs; ++i) {
      if (info->args[i].kind == ArgKind::kIrregular) {
        EXPECT_STRNE(info->note, "") << info->name;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Names

TEST(SyscallTable, LookupByNameAndNumber) {
  EXPECT_EQ(syscall_number("read"), 0);
  EXPECT_EQ(syscall_number("openat2"), 437);
  EXPECT_EQ(syscall_number("exit_group"), 231);
  EXPECT_EQ(syscall_number("no_such_call"), std::nullopt);
  EXPECT_EQ(syscall_number(""), std::nullopt);
  EXPECT_EQ(syscall_number("Read"), std::nullopt);
  EXPECT_STREQ(syscall_name(0), "read");
  EXPECT_STREQ(syscall_name(SYS_rt_sigreturn), "rt_sigreturn");
  EXPECT_STREQ(syscall_name(400), "syscall_400");
  EXPECT_STREQ(syscall_name(-5), "syscall_-5");
  const char* a = syscall_name(1000);
  const char* b = syscall_name(1001);
  EXPECT_STREQ(a, "syscall_1000");  // still valid after another unknown name
  EXPECT_STREQ(b, "syscall_1001");
  for (int nr = 0; nr <= max_syscall_number(); ++nr) {
    if (const SyscallInfo* info = syscall_info(nr)) {
      EXPECT_EQ(syscall_number(info->name), nr);
    }
  }
}

// ------------------------------------------------------------------------------------------
// The compiled table against its source

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, '\t')) out.push_back(field);
  return out;
}

TEST(SyscallTable, EveryRowRoundTripsFromTheSource) {
  std::ifstream in(OMX_SYSCALL_TABLE);
  ASSERT_TRUE(in) << OMX_SYSCALL_TABLE;
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split_tabs(line);
    ASSERT_EQ(f.size(), 6u) << line;
    if (f[2] == "hole") continue;
    const SyscallInfo* info = syscall_info(std::stoi(f[0]));
    ASSERT_NE(info, nullptr) << line;
    EXPECT_EQ(f[1], info->name);
    EXPECT_EQ(f[2], class_name(info->cls)) << f[1];
    EXPECT_EQ(f[3], info->local_if.present() ? info->local_if.text : "-") << f[1];
    EXPECT_EQ(f[4], format_args(*info)) << f[1];
    EXPECT_EQ(f[5] == "-" ? "" : f[5], info->note) << f[1];
    ++rows;
  }
  EXPECT_EQ(rows, max_syscall_number() + 1 - (423 - 337 + 1));
}

// ------------------------------------------------------------------------------------------
// The generator

class Generator : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/omx_gen_syscalls_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr) << std::strerror(errno);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // Runs the generator on `table` (written to DIR/bad.tsv) and the real structure sizes.
  // Returns the exit status; stderr in `err`.
  int run(const std::string& table, std::string* err, bool real_table = false) {
    const std::string path = real_table ? std::string(OMX_SYSCALL_TABLE) : dir_ + "/bad.tsv";
    if (!real_table) std::ofstream(path) << table;
    const std::string cmd = std::string("'") + OMX_PYTHON3 + "' '" + OMX_GEN_SYSCALLS +
                            "' --table '" + path + "' --types '" + OMX_SYSCALL_TYPES +
                            "' --out '" + out() + "' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return -1;
    char buf[4096];
    size_t n;
    err->clear();
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) err->append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string out() const { return dir_ + "/gen.h"; }
  bool out_exists() const { return access(out().c_str(), F_OK) == 0; }
  std::string bad() const { return dir_ + "/bad.tsv"; }

  std::string dir_;
};

TEST_F(Generator, AcceptsTheRealTable) {
  std::string err;
  EXPECT_EQ(run("", &err, /*real_table=*/true), 0) << err;
  EXPECT_TRUE(out_exists());
}

TEST_F(Generator, AcceptsAMinimalTable) {
  std::string err;
  EXPECT_EQ(run("# comment\n"
                "0\tread\tforwarded\t-\tfd out:a2:ret val\t-\n"
                "1..3\t-\thole\t-\t-\tnothing here\n"
                "4\tstat\tforwarded\t-\tpath out:stat\t-\n",
                &err),
            0)
      << err;
  EXPECT_TRUE(out_exists());
}

TEST_F(Generator, RejectsMalformedRowsWithFileAndLine) {
  const std::string table =
      "# nr\tname\tclass\tlocal_if\targs\tnote\n"                 // 1
      "0\tread\tforwarded\t-\tfd out:a2:ret val\t-\n"             // 2 fine
      "1\twrite\tforwardd\t-\tfd in:a2 val\t-\n"                  // 3 unknown class
      "2\topen\tforwarded\t-\tpath val\n"                         // 4 five fields
      "3\tclose\tforwarded\t-\tfd out:a5\t-\n"                    // 5 argument out of range
      "4\tstat\tforwarded\t-\tpath out:stath\t-\n"                // 6 unknown structure
      "5\tfstat\tforwarded\t-\tfd out:a0\t-\n"                    // 7 length from an fd
      "6\tlstat\tforwarded\t-\tpath in:a1:ret\t-\n"               // 8 VALID on an in buffer
      "7\tpoll\tlocal\ta1&0x1\tptr val val\t-\n"                  // 9 guard on a local call
      "9\tmmap\thome\t-\tptr val val val fd val\t-\n"             // 10 number 8 missing
      "10\tread\tforwarded\t-\tfd\t-\n"                           // 11 duplicate name
      "11\tioctl\tforwarded\t-\tfd val irregular\t-\n"            // 12 irregular, no note
      "12\taccept\tforwarded\t-\tfd sockaddr_out:a2 val\t-\n";    // 13 socklen must be inout:4
  std::string err;
  EXPECT_EQ(run(table, &err), 1) << err;
  EXPECT_FALSE(out_exists()) << "nothing may be written on error";
  const std::vector<std::pair<int, std::string>> want = {
      {3, "unknown class 'forwardd'"},
      {4, "expected 6 TAB-separated fields"},
      {5, "refers to argument 5 but the call has 2 arguments"},
      {6, "unknown structure 'stath'"},
      {7, "must be `val`, not 'fd'"},
      {8, "an `in` buffer has no VALID length"},
      {9, "local_if on a `local` call"},
      {10, "numbers 8..8 are missing before 9"},
      {11, "name 'read' already used at line 2"},
      {12, "`irregular` argument needs a note"},
      {13, "argument 2 must be `inout:4`"},
  };
  for (const auto& [line, reason] : want) {
    const std::string where = bad() + ":" + std::to_string(line) + ": ";
    const size_t at = err.find(where);
    ASSERT_NE(at, std::string::npos) << "no error for line " << line << " in:\n" << err;
    const std::string msg = err.substr(at, err.find('\n', at) - at);
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
  }
  EXPECT_EQ(err.find(bad() + ":2:"), std::string::npos) << "line 2 is fine:\n" << err;
  EXPECT_NE(err.find("11 error(s)"), std::string::npos) << err;
}

}  // namespace
}  // namespace omx::syscall
