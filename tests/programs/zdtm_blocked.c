/* zdtm_blocked MODE [ARG]: a process that is blocked in a system call when it is migrated.
 * It prints "ready PID" and blocks at once; the script moves it while it is blocked, then
 * unblocks it. TOLERANCE for sleeps is 100 ms.
 *   read TEXT [LINGER]   read(0) on a pipe (the script writes TEXT and a newline later):
 *                        prints "read N 'DATA'"; ok if DATA is TEXT. Then it sleeps LINGER
 *                        ms (default 0) before it ends.
 *   nanosleep MS         raw SYS_nanosleep for MS ms;
 *   clock_nanosleep MS   clock_nanosleep(CLOCK_MONOTONIC, relative);
 *   libc_sleep MS        glibc nanosleep() (clock_nanosleep CLOCK_REALTIME, relative);
 *   abs_sleep MS         clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until start + MS:
 *                        each prints "slept D ms (want MS)"; ok if |D - MS| <= 100.
 * Then "done ok" (exit 0) or "done FAIL" (exit 1). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/syscall.h>

#include "zdtm_util.h"

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "read";
  const char* arg = argc > 2 ? argv[2] : "hello";
  int bad = 0;
  if (!strcmp(mode, "read")) {
    char buf[256];
    say("ready %d\n", getpid());
    ssize_t n = read(0, buf, sizeof buf - 1);
    int len = n > 0 ? (int)strcspn(buf, "\n") : 0;
    if (n > 0) buf[n] = 0;
    say("read %zd '%.*s'\n", n, len, buf);
    if (n != (ssize_t)strlen(arg) + 1 || strncmp(buf, arg, strlen(arg)) || buf[n - 1] != '\n')
      bad = 1;
    if (argc > 3) zdtm_sleep_ms(atol(argv[3]));
  } else {
    long ms = atol(arg);
    struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem = {0, 0};
    long long t0 = zdtm_mono_us();
    say("ready %d\n", getpid());
    long r;
    if (!strcmp(mode, "nanosleep")) {
      r = syscall(SYS_nanosleep, &req, &rem);
    } else if (!strcmp(mode, "clock_nanosleep")) {
      r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    } else if (!strcmp(mode, "libc_sleep")) {
      r = nanosleep(&req, &rem);
    } else if (!strcmp(mode, "abs_sleep")) {
      struct timespec until;
      long long u = t0 + ms * 1000;
      until.tv_sec = u / 1000000;
      until.tv_nsec = (u % 1000000) * 1000;
      r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    } else {
      return 2;
    }
    long d = (long)((zdtm_mono_us() - t0) / 1000);
    say("slept %ld ms (want %ld), returned %ld\n", d, ms, r);
    if (r != 0 || labs(d - ms) > 100) bad = 1;
  }
  say("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
