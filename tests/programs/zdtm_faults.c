/* zdtm_faults MODE: faults the program raises itself. Prints "ready PID", waits for the file
 * "go" in its cwd (the script creates it once it has migrated us), then:
 *   segv         5 rounds of: a write through a NULL pointer (expects SEGV_MAPERR, si_addr 0)
 *                and a write to a read-only page (expects SEGV_ACCERR, si_addr inside it). A
 *                SA_SIGINFO handler records what it saw and siglongjmps back; the program goes
 *                on computing. Prints "segv N" per fault, then "done ok" (exit 0), or what
 *                differed (exit 1).
 *   fpe          an integer division by zero with SIGFPE at its default action: prints
 *                "dividing" and dies by SIGFPE. If it survives it prints "survived" (exit 1).
 *   fpe-handled  the same division with a handler: expects FPE_INTDIV and si_addr at the
 *                faulting instruction (non-zero), siglongjmps, prints "done ok". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "zdtm_util.h"

static sigjmp_buf env;
static volatile int seen_sig, seen_code;
static void* volatile seen_addr;

static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  seen_sig = sig;
  seen_code = si->si_code;
  seen_addr = si->si_addr;
  siglongjmp(env, 1);
}

static int catch_signal(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  return sigaction(sig, &sa, NULL);
}

static volatile int zero = 0, one = 1;
/* Live across siglongjmp: static or volatile, never in registers. */
static int bad;
static char* ro;

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "segv";
  ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ro == MAP_FAILED) return 2;
  if (strcmp(mode, "fpe") != 0 && catch_signal(strcmp(mode, "segv") ? SIGFPE : SIGSEGV) != 0)
    return 2;
  say("ready %d\n", getpid());
  if (zdtm_wait_file("go", 30000) != 0) return 3;
  if (!strcmp(mode, "segv")) {
    volatile unsigned long sum = 0;  /* work between faults */
    for (volatile int round = 0; round < 5; round++) {
      for (volatile int kind = 0; kind < 2; kind++) {
        volatile char* volatile target = kind ? ro + 100 : NULL;
        seen_sig = 0;
        if (sigsetjmp(env, 1) == 0) {
          *target = 1;
          say("no fault on round %d kind %d\n", round, kind);
          bad = 1;
          continue;
        }
        int want_code = kind ? SEGV_ACCERR : SEGV_MAPERR;
        if (seen_sig != SIGSEGV || seen_code != want_code || seen_addr != (void*)target) {
          say("round %d kind %d: got sig %d code %d addr %p, want %d %d %p\n", round, kind,
              seen_sig, seen_code, seen_addr, SIGSEGV, want_code, (void*)target);
          bad = 1;
        }
        for (unsigned long i = 0; i < 1000000; i++) sum += i ^ (unsigned long)round;
        say("segv %d\n", round * 2 + kind + 1);
      }
    }
  } else if (!strcmp(mode, "fpe")) {
    say("dividing\n");
    int r = one / zero;
    say("survived (%d)\n", r);
    return 1;
  } else if (!strcmp(mode, "fpe-handled")) {
    if (sigsetjmp(env, 1) == 0) {
      int r = one / zero;
      say("no SIGFPE (%d)\n", r);
      return 1;
    }
    if (seen_sig != SIGFPE || seen_code != FPE_INTDIV || seen_addr == NULL) {
      say("got sig %d code %d addr %p, want SIGFPE FPE_INTDIV\n", seen_sig, seen_code, seen_addr);
      bad = 1;
    }
  } else {
    return 2;
  }
  say("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
