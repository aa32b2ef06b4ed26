/* zdtm_signals [-t MS | -b] [-n] [-l SECONDS]: a signal receiver.
 *
 * Installs SA_SIGINFO handlers for SIGUSR1, SIGUSR2, SIGINT, SIGHUP and SIGTERM (SIGTERM left at
 * its default action with -n), prints "ready PID", then reports every signal its handlers saw,
 * in order, one line each:
 *     got SIGUSR1 pid=P uid=U code=C val=V
 * (si_pid, si_uid, si_code as the handler received them; V is si_value.sival_int for SI_QUEUE,
 * else 0). A handled SIGTERM ends it: it prints "done ok" and exits 0. Without one it exits 3
 * after SECONDS (-l, default 60).
 *
 * -t MS:  busy mode: between reports it spins on the vDSO clock (no system calls) and prints
 *         "tick N T" every MS ms (T: CLOCK_MONOTONIC in ms), so its CPU time and output show
 *         whether it is running. -b: the same spinning, without tick lines (it then makes
 *         no system call at all between reports). Otherwise it sleeps in 5 ms nanosleeps. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "zdtm_util.h"

struct rec {
  int signo, code, val;
  pid_t pid;
  uid_t uid;
};
static struct rec recs[256];
static volatile sig_atomic_t nrec;

static void on_signal(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  if (nrec < 256) {
    recs[nrec] = (struct rec){sig, si->si_code, si->si_value.sival_int, si->si_pid, si->si_uid};
    nrec = nrec + 1;
  }
}

int main(int argc, char** argv) {
  long tick_ms = 0, limit_s = 60;
  int term_default = 0, busy = 0, opt;
  while ((opt = getopt(argc, argv, "t:bnl:")) != -1) {
    switch (opt) {
      case 't': tick_ms = atol(optarg); break;
      case 'b': busy = 1; break;
      case 'n': term_default = 1; break;
      case 'l': limit_s = atol(optarg); break;
      default: return 2;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGUSR1, SIGUSR2, SIGINT, SIGHUP, SIGTERM};
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    if (sigs[i] == SIGTERM && term_default) continue;
    if (sigaction(sigs[i], &sa, NULL) != 0) return 2;
  }
  say("ready %d\n", getpid());
  long long start = zdtm_mono_us(), last_tick = start;
  long ticks = 0;
  int seen = 0;
  for (;;) {
    while (seen < nrec) {
      struct rec r = recs[seen++];
      say("got SIG%s pid=%d uid=%u code=%d val=%d\n", sigabbrev_np(r.signo), r.pid, r.uid, r.code,
          r.code == SI_QUEUE ? r.val : 0);
      if (r.signo == SIGTERM) {
        say("done ok\n");
        return 0;
      }
    }
    long long now = zdtm_mono_us();
    if (now - start > limit_s * 1000000LL) {
      say("timeout: no SIGTERM after %ld s\n", limit_s);
      return 3;
    }
    if (busy) {
      continue;
    } else if (tick_ms) {
      if (now - last_tick >= tick_ms * 1000) {
        last_tick = now;
        say("tick %ld %lld\n", ++ticks, now / 1000);
      }
    } else {
      zdtm_sleep_ms(5);
    }
  }
}
