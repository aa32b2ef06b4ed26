# Helpers for scenarios that sem_lib.sh's `on_node` runs inside a node (sourced there).

# wait_for FILE REGEX [SECONDS]: waits until a line of FILE matches REGEX (default 10 s).
wait_for() {
  local f=$1 re=$2 limit=$((${3:-10} * 50)) i
  for ((i = 0; i < limit; i++)); do
    grep -qE -- "$re" "$f" 2>/dev/null && return 0
    sleep 0.02
  done
  echo "R timeout=$(printf %q "no /$re/ in $f after ${3:-10} s")"
  return 1
}

# ready_pid FILE: the PID of the "ready PID" line of FILE.
ready_pid() { sed -n 's/^ready \([0-9]*\).*/\1/p' "$1" | head -1; }

# move PID NODE|home: migrates PID and checks where it is; prints "R move_KEY=..." on trouble.
# Returns migrate's status (0 when the move happened and `omx where` agrees).
move() {
  local rc=0 want=$2 now
  migrate "$1" "$2" 2>>/tmp/migrate.err || rc=$?
  [ "$want" != home ] || want=1
  now=$(omx where "$1" 2>/dev/null || echo gone)
  if [ "$rc" != 0 ] || [ "$now" != "$want" ]; then
    echo "R move_failed=$(printf %q "migrate $1 $2: status $rc, where=$now")"
    return 1
  fi
}

# sender UID SIG PID: sends SIG to PID from a fresh process whose real uid is UID (its
# effective uid stays 0, so it may signal root's processes; kill() puts the sender's real uid
# in si_uid). A python3 one, so its pid is known: it prints it.
sender() {
  setpriv --ruid="$1" \
    /usr/bin/python3 -c 'import os, sys; print(os.getpid(), flush=True); os.kill(int(sys.argv[2]), int(sys.argv[1]))' \
    "$2" "$3"
}

# started FILE PID: waits (10 s at most) for the "ready" line that program PID writes to FILE.
# It works around a start-up race of the home supervisor (see sem_startup_test.sh): when the
# SIGCHLD of the program's first ptrace stop (its exec) comes before the supervisor has
# blocked SIGCHLD, the signal is discarded and the supervisor sleeps in poll() while the
# program stays stopped at its execve, forever. Every second without "ready", if the program
# is stopped that way (state t, syscall 59), we send the supervisor a SIGCHLD and report it as
# "R nudged=1", so the tests of other semantics are not hostage to that bug;
# sem_startup_test.sh fails on it.
started() {
  local f=$1 pid=$2 i
  for ((i = 0; i < 10; i++)); do
    wait_for "$f" '^ready' 1 >/dev/null && return 0
  done
  echo "R timeout=$(printf %q "no ready line in $f after 10 s")"
  return 1
}
