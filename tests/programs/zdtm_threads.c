/* zdtm_threads [SECONDS]: a multi-threaded program, which cannot migrate (cantmove clone_vm).
 * A second thread counts in 1 ms steps; the main thread prints "ready PID", then runs SECONDS
 * (default 2) more seconds, printing "progress MAIN THREAD" every 100 ms. Meanwhile the
 * script tries to migrate it, which must be refused and leave it untouched. At the end it
 * checks that both threads kept going through the whole run (no stall of more than 300 ms in
 * either) and that its pid and a signal sent to itself behave as before: "done ok" (exit 0)
 * or what went wrong (exit 1). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "zdtm_util.h"

static atomic_long thread_count;
static atomic_llong thread_last_us;
static atomic_llong thread_max_gap_us;
static atomic_int stop;
static volatile sig_atomic_t usr1;

static void* counter(void* arg) {
  (void)arg;
  long long prev = zdtm_mono_us();
  while (!atomic_load(&stop)) {
    zdtm_sleep_ms(1);
    long long now = zdtm_mono_us();
    if (now - prev > atomic_load(&thread_max_gap_us)) atomic_store(&thread_max_gap_us, now - prev);
    prev = now;
    atomic_fetch_add(&thread_count, 1);
    atomic_store(&thread_last_us, now);
  }
  return NULL;
}

static void on_usr1(int sig) { (void)sig; usr1++; }

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2;
  pid_t pid = getpid();
  signal(SIGUSR1, on_usr1);
  pthread_t th;
  if (pthread_create(&th, NULL, counter, NULL) != 0) return 2;
  while (atomic_load(&thread_count) == 0) zdtm_sleep_ms(1);
  say("ready %d\n", pid);
  long long start = zdtm_mono_us(), prev = start, max_gap = 0;
  long steps = 0;
  while (zdtm_mono_us() - start < (long long)(seconds * 1e6)) {
    zdtm_sleep_ms(100);
    long long now = zdtm_mono_us();
    if (now - prev > max_gap) max_gap = now - prev;
    prev = now;
    say("progress %ld %ld\n", ++steps, atomic_load(&thread_count));
  }
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  int bad = 0;
  if (max_gap > 300000) { say("main thread stalled %lld ms\n", max_gap / 1000); bad = 1; }
  if (atomic_load(&thread_max_gap_us) > 300000) {
    say("counting thread stalled %lld ms\n", atomic_load(&thread_max_gap_us) / 1000);
    bad = 1;
  }
  if (getpid() != pid) { say("pid changed\n"); bad = 1; }
  raise(SIGUSR1);
  if (usr1 != 1) { say("SIGUSR1 to itself handled %d times\n", (int)usr1); bad = 1; }
  say("done %s (thread counted %ld)\n", bad ? "FAIL" : "ok", atomic_load(&thread_count));
  return bad;
}
