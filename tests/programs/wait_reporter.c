/* wait_reporter PROG [ARGS...]: a parent that watches its child the way a shell's job control
 * does. It forks; the child execs PROG (with mosrun as PROG the program keeps the child's pid,
 * so this process stays its parent). It prints "child PID", then one line per waitpid event
 * (WUNTRACED | WCONTINUED), T being CLOCK_MONOTONIC in ms:
 *     stopped SIG T | continued T | exited STATUS T | signaled SIG core=0|1 T
 * It exits 0 once the child has ended (the child's fate is in its output), 2 on its own errors. */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "zdtm_util.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wait_reporter PROG [ARGS...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror("execvp");
    _exit(127);
  }
  say("child %d\n", pid);
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, WUNTRACED | WCONTINUED);
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("waitpid");
      return 2;
    }
    long long t = zdtm_mono_us() / 1000;
    if (WIFSTOPPED(st)) {
      say("stopped %d %lld\n", WSTOPSIG(st), t);
    } else if (WIFCONTINUED(st)) {
      say("continued %lld\n", t);
    } else if (WIFEXITED(st)) {
      say("exited %d %lld\n", WEXITSTATUS(st), t);
      return 0;
    } else if (WIFSIGNALED(st)) {
      say("signaled %d core=%d %lld\n", WTERMSIG(st), WCOREDUMP(st) ? 1 : 0, t);
      return 0;
    }
  }
}
