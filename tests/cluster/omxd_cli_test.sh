# omxd's command line: --help, one-line errors with exit status 2 for bad input (including a
# bad map line as file:line), 1 when it cannot listen, "ready" on --ready-fd, orderly exit 0
# on SIGTERM. Runs in the host namespace on 127.0.0.1 with port 0 (any free port).
source "$(dirname "$0")/lib.sh"

new_dir D
printf '# test map\n1 127.0.0.1 2\n' > "$D/good.map"
printf '1 127.0.0.1 2\n3 127.0.0\n' > "$D/bad.map"
ctl="@omx/omxd-cli-test.$$"
base=(--foreground --port 0 --control "$ctl")

"$OMXD" --help | grep -q -- "--ready-fd" || fail "--help"
# one_line_error WANT_RC PATTERN ARGS...: omxd fails with WANT_RC and one stderr line matching
one_line_error() {
  local want=$1 pattern=$2 rc=0 err
  shift 2
  err=$("$OMXD" "$@" 2>&1 >/dev/null) || rc=$?
  [ $rc -eq "$want" ] || fail "omxd $* exited $rc, expected $want ($err)"
  [ "$(echo "$err" | wc -l)" -eq 1 ] || fail "omxd $*: more than one line: $err"
  echo "$err" | grep -q -- "$pattern" || fail "omxd $*: '$err' does not match '$pattern'"
}
one_line_error 2 "^omxd: --node-id is required" --foreground --map "$D/good.map"
one_line_error 2 "only --foreground" --node-id 1 --map "$D/good.map"
# Without --map omxd looks for the default map files in order (unit test: find_map_file).
if ! [ -e /etc/omx/openmosix.map ] && ! [ -e /etc/openmosix.map ] && ! [ -e /etc/mosix.map ] &&
   ! [ -e /etc/hpc.map ]; then
  one_line_error 2 "^omxd: no map file: none of /etc/omx/openmosix.map, /etc/openmosix.map, /etc/mosix.map, /etc/hpc.map exists (give one with --map)$" "${base[@]}" --node-id 1
fi
one_line_error 2 "^omxd: $D/bad.map:2: expected 'first-id host count'" "${base[@]}" --node-id 1 --map "$D/bad.map"
one_line_error 2 "node 5 is not in the map" "${base[@]}" --node-id 5 --map "$D/good.map"
one_line_error 2 "open key file" "${base[@]}" --node-id 1 --map "$D/good.map" --key "$D/none"
one_line_error 2 "port" "${base[@]}" --node-id 1 --map "$D/good.map" --port 65536
one_line_error 2 "--ready-fd 9" "${base[@]}" --node-id 1 --map "$D/good.map" --ready-fd 9
one_line_error 1 "bind 192.0.2.1:0" "${base[@]}" --node-id 1 --map "$D/good.map" --listen 192.0.2.1

log "ready, control, SIGTERM"
exec 8> "$D/ready"
"$OMXD" "${base[@]}" --node-id 2 --map "$D/good.map" --listen 127.0.0.1 --ready-fd 8 \
  --state-dir "$D/state" 2> "$D/omxd.log" &
pid=$!
BG_PIDS+=("$pid")
exec 8>&-
for _ in $(seq 100); do grep -q ready "$D/ready" && break; sleep 0.05; done
[ "$(cat "$D/ready")" = ready ] || fail "no ready on --ready-fd"
[ "$(OMX_CONTROL=$ctl "$OMX" control ping)" = '{"ok":true,"node":2}' ] || fail "ping"
[ -d "$D/state" ] || fail "state dir not created"
one_line_error 1 "is another omxd running" "${base[@]}" --node-id 1 --map "$D/good.map"
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ $rc -eq 0 ] || fail "omxd exited $rc on SIGTERM"
grep -q "node2 omxd info: SIGTERM: shutting down" "$D/omxd.log" || fail "no shutdown log: $(cat "$D/omxd.log")"
expect_rc 4 "$OMX" control --address "$ctl" ping 2>/dev/null
echo PASS
