/* zdtm_timers [TOLERANCE_MS]: ITIMER_REAL and alarm() across migrations.
 *
 * Prints "ready PID". Then five phases; each arms a timer, prints "armed N" and waits for
 * SIGALRM in sigsuspend (SIGALRM blocked otherwise). The script moves the process while the
 * timer runs and then creates the file named below; when the timer fires the program checks
 * that this file exists (the move really happened before the signal; else the phase proves
 * nothing and counts as failed) and that the signal came DELAY ms after arming, within
 * TOLERANCE_MS (default 50):
 *   1  setitimer 1500 ms armed at home, moved to a node during it   (file m1)
 *   2  alarm(1) armed while away (after m1)                         (no move)
 *   3  setitimer 200 ms periodic, 5 expiries while away: every
 *      interval and the total (1000 ms) within tolerance            (no move)
 *   4  setitimer 1500 ms armed while away, brought home during it   (file h4)
 *   5  alarm(2) armed at home, moved to a node during it            (file m5)
 * One line per phase: "phase N DESC: fired after D ms (want W) ok|BAD"; then "done ok" (exit 0)
 * or "done FAIL" (exit 1). A timer that never fires ends the program after 10 s (exit 3). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "zdtm_util.h"

static volatile long long fired_us[16];
static volatile sig_atomic_t nfired;
static long tol_ms = 50;
static int bad;

static void on_alarm(int sig) {
  (void)sig;
  if (nfired < 16) fired_us[nfired] = zdtm_mono_us();
  nfired = nfired + 1;
}

/* Waits (in sigsuspend) until `n` expiries have been recorded; -1 after 10 s. */
static int wait_fired(int n) {
  sigset_t none;
  sigemptyset(&none);
  long long end = zdtm_mono_us() + 10000000;
  while (nfired < n) {
    if (zdtm_mono_us() > end) return -1;
    sigsuspend(&none);
  }
  return 0;
}

static void set_real(long value_ms, long interval_ms) {
  struct itimerval it = {{interval_ms / 1000, (interval_ms % 1000) * 1000},
                         {value_ms / 1000, (value_ms % 1000) * 1000}};
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
    perror("setitimer");
    exit(2);
  }
}

static void check(int phase, const char* desc, long long from_us, long long at_us, long want_ms,
                  const char* moved_file) {
  long d = (long)((at_us - from_us) / 1000);
  int ok = labs(d - want_ms) <= tol_ms;
  if (moved_file && access(moved_file, F_OK) != 0) {
    say("phase %d %s: fired after %ld ms, before the move (no file %s): inconclusive BAD\n",
        phase, desc, d, moved_file);
    bad = 1;
    return;
  }
  say("phase %d %s: fired after %ld ms (want %ld) %s\n", phase, desc, d, want_ms, ok ? "ok" : "BAD");
  if (!ok) bad = 1;
}

/* One phase: arm (the caller did), announce, wait for one expiry, check it. */
static void one_shot(int phase, const char* desc, long long armed, long want_ms, const char* file) {
  say("armed %d\n", phase);
  if (wait_fired(nfired + 1) != 0) {
    say("phase %d %s: no SIGALRM within 10 s\n", phase, desc);
    exit(3);
  }
  check(phase, desc, armed, fired_us[nfired - 1], want_ms, file);
}

int main(int argc, char** argv) {
  if (argc > 1) tol_ms = atol(argv[1]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  say("ready %d\n", getpid());

  long long t = zdtm_mono_us();
  set_real(1500, 0);
  one_shot(1, "setitimer armed at home, moved during it", t, 1500, "m1");

  t = zdtm_mono_us();
  alarm(1);
  one_shot(2, "alarm armed while away", t, 1000, NULL);

  t = zdtm_mono_us();
  int base = nfired;
  set_real(200, 200);
  say("armed 3\n");
  if (wait_fired(base + 5) != 0) {
    say("phase 3: fewer than 5 periodic expiries within 10 s\n");
    return 3;
  }
  set_real(0, 0);
  long long prev = t;
  for (int i = 0; i < 5; i++) {
    long d = (long)((fired_us[base + i] - prev) / 1000);
    if (labs(d - 200) > tol_ms) {
      say("phase 3 periodic: interval %d was %ld ms (want 200) BAD\n", i + 1, d);
      bad = 1;
    }
    prev = fired_us[base + i];
  }
  check(3, "periodic setitimer while away, 5 expiries", t, fired_us[base + 4], 1000, NULL);

  t = zdtm_mono_us();
  set_real(1500, 0);
  one_shot(4, "setitimer armed away, brought home during it", t, 1500, "h4");

  t = zdtm_mono_us();
  alarm(2);
  one_shot(5, "alarm armed at home, moved during it", t, 2000, "m5");

  say("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
