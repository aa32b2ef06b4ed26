/* zdtm_procs MODE: process creation and exec made by a migrated process. Prints "ready PID",
 * waits for the file "go" in its cwd (the script migrates us first), then:
 *   fork    fork(); the child checks getppid() == our pid and exits 7; we wait for it.
 *   vfork   vfork() + execve("/bin/sh", "-c", "exit 5"); we wait for it.
 *   clone   a raw clone(SIGCHLD) syscall (a fork); the child exits 9; we wait for it.
 *   exec    execve of this program with "after-exec PID": the new image checks that its pid
 *           is still PID, prints "after exec ok" and exits 0.
 *   all     fork, vfork, clone one after another, each after its own file go1, go2, go3
 *           (so the script can move us again before each), then exec after go4.
 * For each child: "MODE child exited S (want W) ok|BAD"; then "done ok" (exit 0) or
 * "done FAIL" (exit 1); in exec mode the exit status is the new image's. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm_util.h"

static int bad;

static void reap(const char* what, pid_t pid, int want) {
  int st = 0;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {}
  if (r != pid) {
    say("%s: waitpid(%d) returned %d (%s) BAD\n", what, pid, r, strerror(errno));
    bad = 1;
    return;
  }
  if (WIFEXITED(st)) {
    int ok = WEXITSTATUS(st) == want;
    say("%s child exited %d (want %d) %s\n", what, WEXITSTATUS(st), want, ok ? "ok" : "BAD");
    if (!ok) bad = 1;
  } else {
    say("%s child status %#x, not an exit (want %d) BAD\n", what, st, want);
    bad = 1;
  }
}

static void do_fork(void) {
  pid_t me = getpid();
  pid_t c = fork();
  if (c < 0) { say("fork: %s BAD\n", strerror(errno)); bad = 1; return; }
  if (c == 0) _exit(getppid() == me ? 7 : 1);
  reap("fork", c, 7);
}

static void do_vfork(void) {
  pid_t c = vfork();
  if (c < 0) { say("vfork: %s BAD\n", strerror(errno)); bad = 1; return; }
  if (c == 0) {
    execl("/bin/sh", "sh", "-c", "exit 5", (char*)NULL);
    _exit(127);
  }
  reap("vfork+exec", c, 5);
}

static void do_clone(void) {
  long c = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
  if (c < 0) { say("clone: %s BAD\n", strerror(errno)); bad = 1; return; }
  if (c == 0) syscall(SYS_exit_group, 9);
  reap("clone", (pid_t)c, 9);
}

static void do_exec(const char* self) {
  char pid[32];
  snprintf(pid, sizeof pid, "%d", getpid());
  say("exec\n");
  execl(self, self, "after-exec", pid, (char*)NULL);
  say("execl: %s BAD\n", strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "fork";
  if (!strcmp(mode, "after-exec")) {
    int ok = argc > 2 && atoi(argv[2]) == getpid();
    say("after exec %s (pid %d, was %s)\n", ok ? "ok" : "BAD", getpid(), argc > 2 ? argv[2] : "?");
    return ok ? 0 : 1;
  }
  say("ready %d\n", getpid());
  if (!strcmp(mode, "all")) {
    const char* files[] = {"go1", "go2", "go3", "go4"};
    void (*steps[])(void) = {do_fork, do_vfork, do_clone};
    for (int i = 0; i < 3; i++) {
      if (zdtm_wait_file(files[i], 30000) != 0) return 3;
      steps[i]();
      say("step %d\n", i + 1);
    }
    if (zdtm_wait_file(files[3], 30000) != 0) return 3;
    if (bad) { say("done FAIL\n"); return 1; }
    do_exec(argv[0]);
  }
  if (zdtm_wait_file("go", 30000) != 0) return 3;
  if (!strcmp(mode, "fork")) do_fork();
  else if (!strcmp(mode, "vfork")) do_vfork();
  else if (!strcmp(mode, "clone")) do_clone();
  else if (!strcmp(mode, "exec")) do_exec(argv[0]);
  else return 2;
  say("done %s\n", bad ? "FAIL" : "ok");
  return bad;
}
