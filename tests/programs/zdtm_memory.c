/* zdtm_memory MB ROUNDS: fills MB MiB of heap, a stack buffer and a zeroed block, then runs
 * ROUNDS passes that each add 1 to every heap word. Exits 0 only if, at the end, every word,
 * the stack buffer, the untouched zero block, the signal handler count and the altstack are
 * exactly what a native run gives. SIGUSR1 increments a counter (handled on an altstack). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count;
static char altstack[65536];

static void on_usr1(int sig) {
  (void)sig;
  stack_t cur;
  sigaltstack(NULL, &cur);
  if (cur.ss_flags & SS_ONSTACK) usr1_count++;
}

int main(int argc, char** argv) {
  size_t mb = argc > 1 ? strtoul(argv[1], 0, 10) : 16;
  long rounds = argc > 2 ? atol(argv[2]) : 50;
  size_t n = (mb << 20) / sizeof(uint64_t);
  uint64_t* a = malloc(n * sizeof *a);
  uint64_t* zero = calloc(1 << 20, 1);
  uint64_t stackbuf[2048];
  if (!a || !zero) return 2;
  for (size_t i = 0; i < n; i++) a[i] = i * 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < 2048; i++) stackbuf[i] = i ^ 0x5555;
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK | SA_RESTART};
  sigaction(SIGUSR1, &sa, NULL);
  printf("ready %d\n", getpid());
  fflush(stdout);
  for (long r = 0; r < rounds; r++) {
    for (size_t i = 0; i < n; i++) a[i] += 1;
    usleep(1000);
  }
  int bad = 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] != i * 0x9E3779B97F4A7C15ull + (uint64_t)rounds) { bad |= 1; break; }
  for (size_t i = 0; i < 2048; i++)
    if (stackbuf[i] != (i ^ 0x5555)) { bad |= 2; break; }
  for (size_t i = 0; i < (1 << 20) / 8; i++)
    if (zero[i]) { bad |= 4; break; }
  raise(SIGUSR1);
  if (usr1_count != 1) bad |= 8;
  printf("done %s (bad=%d)\n", bad ? "FAIL" : "ok", bad);
  return bad ? 1 : 0;
}
