/* zdtm_eintr MODE: a read() from stdin (an empty pipe whose writer is the script) interrupted
 * by SIGUSR1, which has a handler; MODE says whether the handler has SA_RESTART.
 *
 * Prints "ready PID", waits for the file "go" in its cwd (the script migrates us first, or
 * not for the native run), prints "reading" and calls read(0, buf, 64). The script then sends
 * SIGUSR1 and, 500 ms later, writes "hello\n". What native Linux does, and what we check:
 *   norestart  the first read returns -1/EINTR right after the handler ran; the program prints
 *              "eintr" and reads again, which returns "hello\n".
 *   restart    the handler runs while the read is blocked, the read goes on and returns
 *              "hello\n" once it is written.
 *   term       no handler at all: the script sends SIGTERM instead, which must end the process
 *              in the read (default action); if the read returns it prints what it got and
 *              "done FAIL" (exit 1).
 * The first two print "handler +H ms, read returned R (ERRNO) +T ms" (times since "reading"),
 * then "done ok" (exit 0) or what differed and "done FAIL" (exit 1). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "zdtm_util.h"

static volatile sig_atomic_t handled;
static volatile long long handled_us;

static void on_usr1(int sig) {
  (void)sig;
  handled = handled + 1;
  handled_us = zdtm_mono_us();
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "norestart";
  int restart = !strcmp(mode, "restart"), term = !strcmp(mode, "term");
  if (!restart && !term && strcmp(mode, "norestart")) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  if (!term) sigaction(SIGUSR1, &sa, NULL);
  say("ready %d\n", getpid());
  if (zdtm_wait_file("go", 30000) != 0) return 3;
  char buf[64];
  memset(buf, 0, sizeof buf);
  long long t0 = zdtm_mono_us();
  say("reading\n");
  ssize_t n = read(0, buf, sizeof buf - 1);
  int err = errno;
  long long t1 = zdtm_mono_us();
  say("handler %+lld ms, read returned %zd (%s) %+lld ms\n",
      handled ? (handled_us - t0) / 1000 : -1, n, n < 0 ? strerrorname_np(err) : "-", (t1 - t0) / 1000);
  int bad = 0;
  if (term) {
    say("not killed by SIGTERM: read returned %zd '%.*s'\ndone FAIL\n", n, n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
    return 1;
  }
  if (handled != 1) {
    say("handler ran %d times, want 1\n", (int)handled);
    bad = 1;
  }
  if (handled && n > 0 && handled_us > t1 - 100000) {
    say("handler ran only when the data came (+%lld ms), not when the signal was sent\n",
        (handled_us - t0) / 1000);
    bad = 1;
  }
  if (!restart) {
    if (n != -1 || err != EINTR) {
      say("read returned %zd '%.*s', want -1 EINTR\n", n, n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
      bad = 1;
    } else {
      say("eintr\n");
      n = read(0, buf, sizeof buf - 1);
    }
  }
  if (n != 6 || memcmp(buf, "hello\n", 6)) {
    say("data: read returned %zd '%.*s', want 6 'hello'\n", n, n > 0 ? (int)n : 0, buf);
    bad = 1;
  }
  say("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
