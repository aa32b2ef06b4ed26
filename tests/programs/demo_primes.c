/* demo_primes SECONDS: counts primes for about SECONDS seconds of CPU, printing progress about
 * every 300 ms. Used by ./run demo to show output continuing while the process moves. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 6;
  double start = now(), last = start;
  unsigned long n = 2, found = 0;
  for (;;) {
    int prime = 1;
    for (unsigned long d = 2; d * d <= n; d++)
      if (n % d == 0) { prime = 0; break; }
    found += prime;
    n++;
    if ((n & 1023) == 0 && now() - last >= 0.3) {
      last = now();
      printf("  primes below %lu: %lu (%.1f s)\n", n, found, last - start);
      fflush(stdout);
      if (last - start >= seconds) break;
    }
  }
  printf("  done: %lu primes below %lu\n", found, n);
  return 0;
}
