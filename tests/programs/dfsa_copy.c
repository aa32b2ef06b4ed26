/* DFSA test program (tests/cluster/dfsa_test.sh, bench/dfsa_bench.sh).
 *
 *   dfsa_copy IN OUT BLOCK STEPS GO
 *
 * Opens IN (O_RDONLY) and OUT (O_WRONLY|O_CREAT|O_TRUNC) at home, prints "ready PID", then for
 * each step K of STEPS waits for the file GO.K to exist in the cwd (polled every 20 ms: never
 * blocked in a forwarded call, so it can be moved home at any time) and copies
 * 1/STEPS of IN to OUT in BLOCK-byte read/write pairs, printing "step K in=POS out=POS" with
 * both offsets as lseek(SEEK_CUR) reports them *before* the step and after it. OUT = "-" only
 * reads (the bench). After the last step it prints "done", waits for GO.end, prints
 * the offsets and fstat sizes again, makes directory OUT.d, renames it OUT.dir, stats IN and
 * prints "paths insize=N"; then opens OUT.new (created, "local open\n" written) and IN again
 * (16 bytes read, compared with IN's), prints "opens f=FD g=FD", closes both and exits 0. Exits 1 on any error. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#define say(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static const char* go;

static void wait_go(const char* step) {
  char name[4096];
  snprintf(name, sizeof name, "%s.%s", go, step);
  struct timespec ts = {0, 20 * 1000 * 1000};
  for (int i = 0; access(name, F_OK) != 0; ++i) {
    if (i > 50 * 120) { say("error no %s after 120 s\n", name); exit(1); }
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char** argv) {
  if (argc != 6) { fprintf(stderr, "usage: dfsa_copy IN OUT BLOCK STEPS GO\n"); return 2; }
  go = argv[5];
  int in = open(argv[1], O_RDONLY);
  int out = strcmp(argv[2], "-") ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
  long block = atol(argv[3]), steps = atol(argv[4]);
  if (in < 0 || (strcmp(argv[2], "-") && out < 0) || block <= 0 || steps <= 0) { say("error open\n"); return 1; }
  struct stat st;
  if (fstat(in, &st) != 0) { say("error fstat\n"); return 1; }
  char* buf = malloc((size_t)block);
  long long per = (st.st_size + steps - 1) / steps;
  say("ready %d\n", (int)getpid());
  for (long k = 1; k <= steps; ++k) {
    char step[32];
    snprintf(step, sizeof step, "%ld", k);
    wait_go(step);
    say("before %ld in=%lld out=%lld\n", k, (long long)lseek(in, 0, SEEK_CUR),
        out >= 0 ? (long long)lseek(out, 0, SEEK_CUR) : -1LL);
    long long left = per;
    while (left > 0) {
      ssize_t n = read(in, buf, (size_t)(left < block ? left : block));
      if (n < 0) { say("error read\n"); return 1; }
      if (n == 0) break;
      if (out >= 0 && write(out, buf, (size_t)n) != n) { say("error write\n"); return 1; }
      left -= n;
    }
    say("step %ld in=%lld out=%lld\n", k, (long long)lseek(in, 0, SEEK_CUR),
        out >= 0 ? (long long)lseek(out, 0, SEEK_CUR) : -1LL);
  }
  say("done\n");
  wait_go("end");
  struct stat so;
  if (out >= 0 && fstat(out, &so) != 0) { say("error fstat out\n"); return 1; }
  say("end in=%lld out=%lld outsize=%lld\n", (long long)lseek(in, 0, SEEK_CUR),
      out >= 0 ? (long long)lseek(out, 0, SEEK_CUR) : -1LL, out >= 0 ? (long long)so.st_size : -1LL);
  if (out >= 0) {  /* path calls: OUT.d made, renamed OUT.dir; IN's size by stat */
    char d[4096], r[4096];
    snprintf(d, sizeof d, "%s.d", argv[2]);
    snprintf(r, sizeof r, "%s.dir", argv[2]);
    struct stat si;
    if (mkdir(d, 0755) != 0 || rename(d, r) != 0 || stat(argv[1], &si) != 0 ||
        access(r, W_OK) != 0) { say("error path calls\n"); return 1; }
    say("paths insize=%lld\n", (long long)si.st_size);
    /* opens after the move: OUT.new created and written, IN read again from 0 */
    char nw[4096], b2[16], b1[16];
    snprintf(nw, sizeof nw, "%s.new", argv[2]);
    int f = open(nw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int g = open(argv[1], O_RDONLY);
    if (f < 0 || g < 0 || write(f, "local open\n", 11) != 11 || read(g, b2, 16) != 16 ||
        lseek(g, 0, SEEK_CUR) != 16 || pread(in, b1, 16, 0) != 16 || memcmp(b1, b2, 16) != 0) {
      say("error opens\n");
      return 1;
    }
    say("opens f=%d g=%d\n", f, g);
    if (close(f) != 0 || close(g) != 0) { say("error close\n"); return 1; }
  }
  return 0;
}
