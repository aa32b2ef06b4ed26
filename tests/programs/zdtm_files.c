/* zdtm_files ITER: prints "ready PID PPID", then ITER times: appends a line to a file it
 * opened before (in the cwd), prints the line to stdout, sleeps 10 ms. Meanwhile it may be
 * migrated. At the end it checks, as a native run would: getpid/getppid unchanged, the file's
 * content read back through the old fd, a file created now in the cwd (relative path) can be
 * renamed and stat'ed, getcwd unchanged, and the brk heap (malloc of small blocks) intact.
 * Exits 0 if all hold; prints what failed otherwise. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FAIL(...) do { fprintf(stderr, "zdtm_files: " __VA_ARGS__); fputc('\n', stderr); bad = 1; } while (0)

int main(int argc, char** argv) {
  int iter = argc > 1 ? atoi(argv[1]) : 100;
  int bad = 0;
  pid_t pid = getpid(), ppid = getppid();
  char cwd[4096], name[64], line[128];
  if (!getcwd(cwd, sizeof cwd)) return 2;
  snprintf(name, sizeof name, "zdtm_files.%d.log", pid);
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 2;
  char* blocks[256];
  for (int i = 0; i < 256; i++) {
    blocks[i] = malloc(64 + i);
    memset(blocks[i], i, 64 + i);
  }
  printf("ready %d %d\n", pid, ppid);
  fflush(stdout);
  struct timespec ts = {0, 10 * 1000 * 1000};
  for (int i = 0; i < iter; i++) {
    int n = snprintf(line, sizeof line, "line %d\n", i);
    if (write(fd, line, n) != n) FAIL("write to log failed at %d", i);
    printf("%s", line);
    fflush(stdout);
    nanosleep(&ts, NULL);
  }
  if (getpid() != pid) FAIL("getpid %d != %d", getpid(), pid);
  if (getppid() != ppid) FAIL("getppid %d != %d", getppid(), ppid);
  char now[4096];
  if (!getcwd(now, sizeof now) || strcmp(now, cwd)) FAIL("cwd changed");
  /* Read the whole log back through the same fd. */
  off_t end = lseek(fd, 0, SEEK_END);
  char* all = malloc(end + 1);
  if (pread(fd, all, end, 0) != end) FAIL("pread of log");
  all[end] = 0;
  char* p = all;
  for (int i = 0; i < iter; i++) {
    int n = snprintf(line, sizeof line, "line %d\n", i);
    if (strncmp(p, line, n)) { FAIL("log line %d wrong", i); break; }
    p += n;
  }
  /* A file created after the move, by relative path, renamed, stat'ed. */
  char a[80], b[80];
  snprintf(a, sizeof a, "zdtm_files.%d.tmp", pid);
  snprintf(b, sizeof b, "zdtm_files.%d.done", pid);
  int f2 = open(a, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (f2 < 0 || write(f2, "done\n", 5) != 5 || close(f2)) FAIL("create %s", a);
  if (rename(a, b)) FAIL("rename");
  struct stat st;
  if (stat(b, &st) || st.st_size != 5) FAIL("stat %s", b);
  for (int i = 0; i < 256; i++)
    for (int j = 0; j < 64 + i; j++)
      if (blocks[i][j] != (char)i) { FAIL("heap block %d", i); i = 256; break; }
  printf("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
