# Without root: every node in the host network namespace on 127.77.<c>.<i>, one control socket
# per node, a one-line notice, and a clean down. As root the test runs the harness as `nobody`.
source "$(dirname "$0")/lib.sh"

as_user=()
new_dir D
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || skip "needs setpriv to drop root"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chown nobody:nogroup "$D"
  "${as_user[@]}" test -x "$OMX" || skip "user nobody cannot run $OMX"
fi
run() { "${as_user[@]}" "$@"; }
xu() { local n=$1; shift; run "$OMX" cluster exec --dir "$D" "$n" -- "$@"; }

out=$(run "$OMX" cluster up --dir "$D" --nodes 2 2>&1)
echo "$out" | grep -q "not root: all nodes share the host network namespace on 127.77" ||
  fail "no notice about host mode: $out"
c=$(cluster_index "$D")
json_get "$D/cluster.json" 'j["mode"]' | grep -qx host || fail "mode is not host"
for i in 1 2; do
  [ "$(xu $i "$OMX" control ping)" = "{\"ok\":true,\"node\":$i}" ] || fail "ping node $i"
  [ "$(xu $i printenv OMX_CONTROL)" = "@omx/omxd.$c.$i" ] || fail "OMX_CONTROL on node $i"
done
xu 1 "$OMX" control node id=2 | grep -q "\"addr\":\"127.77.$c.2\"" || fail "node op"
timeout 5 bash -c "echo > /dev/tcp/127.77.$c.2/4660" || fail "cannot reach node 2's omxd"
pids=$(omxd_pids "$D")
run "$OMX" cluster down --dir "$D"
for p in $pids; do pid_gone "$p" || fail "omxd $p still runs"; done
[ ! -e "$D/cluster.json" ] || fail "cluster.json left"
! grep -qxs "$D" /tmp/omx-clusters/* || fail "index still claimed"
echo PASS
