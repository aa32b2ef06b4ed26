// omx_bench_syscalls N ROUNDS: cost of one system call of each class, timed inside the process.
//
// Opens ./omx_bench_syscalls.<pid>.dat (in its cwd, so at home), prints "ready <pid>", waits
// for SIGUSR1 (go_signal.h: the script migrates it in between), then runs ROUNDS rounds; each
// round times N calls of each kind, in this order:
//   write    1-byte write(2) to that file           forwarded (executed by the deputy at home)
//   getppid  getppid(2)                             forwarded (the table keeps it exact)
//   getpid   getpid(2)                              emulated (answered by the guest, no round trip)
//   local    rt_sigprocmask(SIG_BLOCK, NULL, &old)  local (allowed by the seccomp filter)
// Time is CLOCK_MONOTONIC through the vDSO (no system call). Prints one JSON line with the
// per-round ns/call of each kind and the file's final size (must be N * ROUNDS + warm-up), then
// removes the file. Exit 0 when the file size is right, 1 otherwise.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "go_signal.h"

namespace {

using omx::bench::now_ns;

constexpr long kWarmup = 100;

long raw_write(int fd) {
  static const char byte = 'x';
  return syscall(SYS_write, fd, &byte, 1);
}
long raw_getppid() { return syscall(SYS_getppid); }
long raw_getpid() { return syscall(SYS_getpid); }
long raw_local() {
  sigset_t old;
  return syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &old, 8);
}

template <typename F>
double time_calls(long n, F&& call) {
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    if (call() < 0) {
      perror("omx_bench_syscalls: call failed");
      exit(2);
    }
  }
  return static_cast<double>(now_ns() - t0) / static_cast<double>(n);
}

std::string json_list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    char b[32];
    snprintf(b, sizeof b, "%s%.1f", i ? "," : "", v[i]);
    s += b;
  }
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N ROUNDS\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]), rounds = atol(argv[2]);
  if (n <= 0 || rounds <= 0) return 2;
  char path[64];
  snprintf(path, sizeof path, "omx_bench_syscalls.%d.dat", static_cast<int>(getpid()));
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror("omx_bench_syscalls: open");
    return 2;
  }
  omx::bench::arm_go_signal();
  omx::bench::say_ready();
  omx::bench::wait_for_go();
  // Warm-up: the first calls of a kind may fault in code and buffers on either side.
  time_calls(kWarmup, [&] { return raw_write(fd); });
  time_calls(kWarmup, raw_getppid);
  time_calls(kWarmup, raw_getpid);
  time_calls(kWarmup, raw_local);
  std::vector<double> w, pp, p, l;
  for (long r = 0; r < rounds; ++r) {
    w.push_back(time_calls(n, [&] { return raw_write(fd); }));
    pp.push_back(time_calls(n, raw_getppid));
    p.push_back(time_calls(n, raw_getpid));
    l.push_back(time_calls(n, raw_local));
  }
  struct stat st = {};
  fstat(fd, &st);
  long want = kWarmup + n * rounds;
  printf("{\"n\":%ld,\"rounds\":%ld,\"write_ns\":%s,\"getppid_ns\":%s,\"getpid_ns\":%s,"
         "\"local_ns\":%s,\"file_bytes\":%lld,\"file_ok\":%s}\n",
         n, rounds, json_list(w).c_str(), json_list(pp).c_str(), json_list(p).c_str(),
         json_list(l).c_str(), static_cast<long long>(st.st_size),
         st.st_size == want ? "true" : "false");
  fflush(stdout);
  close(fd);
  unlink(path);
  return st.st_size == want ? 0 : 1;
}
