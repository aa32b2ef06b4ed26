/* io_reader FILE SECONDS: reads FILE one byte at a time (back to the start at its end) for about
 * SECONDS seconds of wall time: an I/O-bound process whose every call goes home while it is away
 * (balance_io_test.sh). About every 250 ms it prints "  at T: N bytes" (T: CLOCK_REALTIME in
 * seconds, so a test can tell the rate before and after a move); at the end "  done: N bytes,
 * sum S" (S: the sum of the bytes read, for the test to check against the file). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: io_reader FILE SECONDS\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  double seconds = atof(argv[2]);
  double start = now(CLOCK_MONOTONIC), last = start;
  unsigned long n = 0, sum = 0;
  for (;;) {
    unsigned char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0) {
      perror("read");
      return 1;
    }
    if (r == 0) {
      if (lseek(fd, 0, SEEK_SET) != 0) {
        perror("lseek");
        return 1;
      }
      continue;
    }
    n++;
    sum += c;
    if ((n & 63) == 0) {
      double t = now(CLOCK_MONOTONIC);
      if (t - last >= 0.25) {
        last = t;
        printf("  at %.3f: %lu bytes\n", now(CLOCK_REALTIME), n);
        fflush(stdout);
        if (t - start >= seconds) break;
      }
    }
  }
  printf("  done: %lu bytes, sum %lu\n", n, sum);
  return 0;
}
