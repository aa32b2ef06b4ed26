# Helpers for the cluster tests (sourced). Every cluster a test starts through `up` is torn down
# and its directory removed when the test exits, whatever happened.
set -euo pipefail
OMX=${OMX_BIN:?OMX_BIN must point at build/bin}/omx
OMXD=$OMX_BIN/omxd
CLUSTERS=()   # directories to tear down and remove at exit
BG_PIDS=()    # background processes to kill at exit

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (network and mount namespaces)"; }
log() { echo "--- $*"; }

# OMX_TEST_KEEP=1: a failing test's cluster directories (node logs, private /tmp) are copied to
# /tmp/omx-kept.* before they are removed, and their names printed.
cleanup() {
  local rc=$? d p err
  for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for d in "${CLUSTERS[@]}"; do
    # A failed tear-down would leave the nodes running after the directory is gone: say why
    # (in the test's log) and try once more.
    if ! err=$("$OMX" cluster down --dir "$d" 2>&1 >/dev/null); then
      echo "cleanup: omx cluster down --dir $d: $err (retrying)" >&2
      sleep 1
      "$OMX" cluster down --dir "$d" >/dev/null 2>&1 || echo "cleanup: $d still up" >&2
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${OMX_TEST_KEEP:-}" ] && [ -d "$d" ]; then
      local k
      k=$(mktemp -d /tmp/omx-kept.XXXXXX)
      cp -a "$d/." "$k/" 2>/dev/null || true
      echo "kept $d as $k" >&2
    fi
    rm -rf "$d"
  done
}
trap cleanup EXIT

# new_dir VAR: VAR=a fresh directory, torn down (if it holds a cluster) and removed at exit.
new_dir() {
  local d
  d=$(mktemp -d /tmp/omx-ctest.XXXXXX)
  CLUSTERS+=("$d")
  printf -v "$1" %s "$d"
}

# up DIR ARGS...: omx cluster up
up() { local d=$1; shift; "$OMX" cluster up --dir "$d" "$@"; }
# x DIR NODE CMD...: omx cluster exec
x() { local d=$1 n=$2; shift 2; "$OMX" cluster exec --dir "$d" "$n" -- "$@"; }

# json_get FILE EXPR: a python expression on the parsed JSON file `j`
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
cluster_index() { json_get "$1/cluster.json" 'j["index"]'; }
omxd_pids() { json_get "$1/cluster.json" '" ".join(str(n["pid"]) for n in j["nodes"])'; }

# expect_rc WANT CMD...: runs CMD, fails unless its exit status is WANT
expect_rc() {
  local want=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want"
}

# A pid is gone when /proc has no live (non-zombie) process with it.
pid_gone() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# Every namespace omx<c>... must belong to a claimed index. The harness claims an index (under
# flock on the registry) before it makes namespaces, and releases it (under the lock) after
# removing them, so while we hold the lock this holds even with other tests' clusters coming
# and going in parallel.
REGISTRY=/run/omx/clusters
check_no_orphan_netns() {
  [ -d "$REGISTRY" ] || return 0
  local ns c orphan=""
  exec 9<"$REGISTRY"
  flock -w 20 9 || fail "cannot lock $REGISTRY"
  for ns in $(ip netns list | awk '{print $1}'); do
    [[ $ns =~ ^omx([0-9]+)(hub|n[0-9]+)$ ]] || continue
    c=${BASH_REMATCH[1]}
    [ -e "$REGISTRY/$c" ] || orphan="$orphan $ns"
  done
  exec 9<&-
  [ -z "$orphan" ] || fail "namespaces left without a cluster claiming their index:$orphan"
}

# After `down` of the cluster that was in DIR with index C and omxd pids PIDS.
check_cluster_gone() {
  local d=$1 c=$2 pids=$3 p
  [ ! -e "$d/cluster.json" ] || fail "$d/cluster.json still exists"
  for p in $pids; do pid_gone "$p" || fail "omxd pid $p still runs"; done
  # Our claim is released; then our namespaces are gone, or check_no_orphan_netns would see them
  # (unless another cluster has claimed index C since: then they are its own).
  ! grep -qxs "$d" "$REGISTRY/$c" || fail "index $c is still claimed for $d"
  ! grep -q " $d/" /proc/self/mountinfo || fail "a mount of $d is left in the host"
  check_no_orphan_netns
}

# up_equal DIR N [EXTRA...]: N nodes of one core each (--cpu 1,...) whose speeds are set equal
# (mosctl setspeed 10000: the start-up calibration of nodes sharing two CPUs is noisy, and the
# balancer rightly prefers a faster node); EXTRA runs on each node before the speeds travel
# (e.g. "3:mosctl block"). Returns once the next gossip records carry them.
up_equal() {
  local d=$1 n=$2 i cpus=1
  shift 2
  for ((i = 2; i <= n; i++)); do cpus+=,1; done
  up "$d" --nodes "$n" --cpu "$cpus" >/dev/null
  for ((i = 1; i <= n; i++)); do x "$d" $i mosctl setspeed 10000; done
  local e
  for e in "$@"; do x "$d" "${e%%:*}" ${e#*:}; done
  sleep 1.5
}

# check_primes_output FILE: demo_primes' output is complete and every count in it is right.
check_primes_output() {
  python3 - "$1" <<'PY' || fail "output of $1 is wrong or incomplete: $(tail -2 "$1")"
import bisect, re, sys
lines = open(sys.argv[1]).read().splitlines()
done = re.fullmatch(r"  done: (\d+) primes below (\d+)", lines[-1])
assert done, "no final line"
top = int(done.group(2))
sieve = bytearray([1]) * top
sieve[0:2] = b"\0\0"
for i in range(2, int(top ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i::i] = bytearray(len(range(i * i, top, i)))
primes = [i for i in range(top) if sieve[i]]
assert len(lines) >= 10, "too few progress lines"
for l in lines[:-1]:
    m = re.fullmatch(r"  primes below (\d+): (\d+) \([0-9.]+ s\)", l)
    assert m, "bad line " + l
    assert bisect.bisect_left(primes, int(m.group(1))) == int(m.group(2)), "wrong count: " + l
assert len(primes) == int(done.group(1)), "wrong final count"
PY
}
