// Start gate shared by the bench workloads: a workload prints "ready <pid>" on stdout, then
// sleeps until SIGUSR1 arrives, so the script can migrate it first and start the timed part
// afterwards. The wait uses only calls that stay on the remote node while migrated
// (rt_sigprocmask and rt_sigsuspend are `local`; SIGUSR1 sent to the home pid reaches the
// deputy and is delivered to the body), and nothing of it is inside a timed region.
//
// Threading: single-threaded programs only (a process-wide flag and signal mask).
#pragma once

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

namespace omx::bench {

inline volatile sig_atomic_t g_go = 0;

inline void on_go(int) { g_go = 1; }

// Installs the SIGUSR1 handler and blocks SIGUSR1 (so it cannot be lost before the wait).
inline void arm_go_signal() {
  struct sigaction sa = {};
  sa.sa_handler = on_go;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, nullptr);
}

inline void say_ready() {
  printf("ready %d\n", static_cast<int>(getpid()));
  fflush(stdout);
}

// Sleeps until SIGUSR1 has been delivered (SIGUSR1 stays blocked outside the wait).
inline void wait_for_go() {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, nullptr, &cur);
  sigdelset(&cur, SIGUSR1);
  while (!g_go) sigsuspend(&cur);
  g_go = 0;
}

// CLOCK_MONOTONIC through the vDSO: no system call, so no trap on the remote node.
inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace omx::bench
