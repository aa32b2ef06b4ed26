# Helpers for the semantics tests (sem_*_test.sh; sourced, after which the test runs as root or
# exits 77). A test starts a cluster, runs a scenario inside node 1 with `on_node` (the
# program's parent is the scenario's shell, so `wait` sees its real exit status), and the
# scenario prints its findings as lines "R key=value" that `results` turns into variables.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS
SEM_NODE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sem_node.sh

# on_node DIR NODE SCRIPT ARGS...: runs SCRIPT with bash inside node NODE, cwd /tmp, with the
# helpers of sem_node.sh defined and $P, $1... set. Prints its output.
on_node() {
  local d=$1 n=$2 s=$3
  shift 3
  x "$d" "$n" env P="$P" bash -c "source '$SEM_NODE'; cd /tmp; $s" scenario "$@" || true
}

# results TEXT [FILE...]: sets the variables of the "R key=value..." lines in TEXT, after
# unsetting the common ones (timeout, move_failed, nudged). On timeout or move_failed it shows
# the FILEs and fails.
results() {
  local text=$1
  shift
  unset timeout move_failed nudged
  eval "$(sed -n 's/^R //p' <<<"$text")"
  [ -z "${nudged:-}" ] || echo "NOTE: the home supervisor missed the start-up SIGCHLD and was nudged (bug shown by sem_startup_test.sh)"
  if [ -n "${timeout:-}${move_failed:-}" ]; then
    show "$@"
    fail "${timeout:-}${move_failed:-}"
  fi
}

# netns_pids DIR NODE: every pid in node NODE's network namespace.
netns_pids() { ip netns pids "omx$(cluster_index "$1")n$2" 2>/dev/null || true; }

# procs_named DIR NODE COMM: pids on node NODE whose comm is COMM (live ones, not zombies).
procs_named() {
  local p
  for p in $(netns_pids "$1" "$2"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$3" ] || continue
    pid_gone "$p" || echo "$p"
  done
}

# stat_of FILE KEY: a field of an `omx run --stats-json` file.
stat_of() { json_get "$1" "j[\"$2\"]"; }

# check_stats FILE MIGRATIONS WENT_HOME: the run made exactly MIGRATIONS moves (a number, or
# "+" for at least one) and went home by itself WENT_HOME times (a number, or "+").
check_stats() {
  local f=$1 m w i
  # The supervisor writes the file when it sees the last process of the tree end, which may be
  # just after the parent's wait returned (it is not the program's parent): give it 5 s.
  for ((i = 0; i < 100; i++)); do [ -s "$f" ] && break; sleep 0.05; done
  [ -s "$f" ] || fail "no stats in $f"
  m=$(stat_of "$f" migrations)
  w=$(stat_of "$f" went_home)
  case $2 in +) [ "$m" -gt 0 ] ;; *) [ "$m" = "$2" ] ;; esac || fail "stats $(cat "$f"): migrations $m, want $2"
  case $3 in +) [ "$w" -gt 0 ] ;; *) [ "$w" = "$3" ] ;; esac || fail "stats $(cat "$f"): went_home $w, want $3"
}

# show FILE...: prints files for the log of a failing test.
show() {
  local f
  for f in "$@"; do
    echo "----- $f"
    cat "$f" 2>/dev/null || echo "(missing)"
  done
}

# Failures of independent cases are collected (`bad`), so one run shows all of them; `finish`
# ends the test: PASS, or FAIL with the list.
ERRS=()
bad() { echo "BAD: $*" >&2; ERRS+=("$*"); }
finish() {
  if [ ${#ERRS[@]} -gt 0 ]; then
    printf 'FAIL: %s\n' "${ERRS[@]}" >&2
    exit 1
  fi
  echo PASS
}
