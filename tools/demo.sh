#!/usr/bin/env bash
# ./run demo: start a local 3-node cluster, run a program with mosrun on node 1, move it to
# node 2, node 3 and home while it keeps printing to this terminal, then tear down.
set -euo pipefail
BUILD=${1:?build dir}
BIN=$BUILD/bin
export PATH=$BIN:$PATH
DIR=$(mktemp -d /tmp/omx-demo.XXXXXX)
cleanup() { omx cluster down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
echo "== starting a 3-node local cluster in $DIR"
omx cluster up --nodes 3 --dir "$DIR"
omx cluster status --dir "$DIR" || true
PROG=$BUILD/tests/programs/demo_primes
echo "== node 1: mosrun demo_primes 8   (its output stays on this terminal wherever it runs)"
omx cluster exec --dir "$DIR" 1 -- bash -c '
  mosrun "$0" 8 &
  pid=$!
  for to in 2 3 home; do
    sleep 1.5
    echo "== migrate $pid $to"
    migrate "$pid" "$to" || echo "   (migration refused or failed: see above)"
    echo "== omx where $pid -> node $(omx where "$pid" 2>/dev/null || echo "?")"
  done
  wait "$pid"
  echo "== demo_primes exited with status $?"
' "$PROG"
echo "== tearing the cluster down"
