/* Small helpers shared by the ZDTM-style test programs (header only, no state).
 *
 * The programs are driven by a cluster script: they print "ready ..." when set up, then wait
 * for the script to migrate them and to create a "go" file in their cwd (a forwarded access()
 * while they are away, so the file is looked up at home), then do the thing under test and
 * verify it themselves. Every wait has a limit so that a lost event ends the program with a
 * message instead of hanging the test until its ctest timeout. */
#ifndef ZDTM_UTIL_H
#define ZDTM_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in microseconds (vDSO: no system call, local on every node). */
static inline long long zdtm_mono_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static inline void zdtm_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Waits until NAME exists in the cwd; 0 when it does, -1 after `limit_ms`. */
static inline int zdtm_wait_file(const char* name, long limit_ms) {
  long long end = zdtm_mono_us() + limit_ms * 1000;
  while (access(name, F_OK) != 0) {
    if (zdtm_mono_us() > end) {
      fprintf(stderr, "gave up waiting for file %s\n", name);
      return -1;
    }
    zdtm_sleep_ms(5);
  }
  return 0;
}

/* printf to stdout and flush at once: the script reads our output while we run. */
#define say(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

#endif
