# Two clusters at once: different indexes, namespaces and subnets; each works, neither reaches
# the other, and taking one down leaves the other running.
source "$(dirname "$0")/lib.sh"
need_root

new_dir A
new_dir B
up "$A" --nodes 2 >/dev/null
up "$B" --nodes 2 >/dev/null
ca=$(cluster_index "$A")
cb=$(cluster_index "$B")
[ "$ca" != "$cb" ] || fail "both clusters got index $ca"
log "clusters $ca and $cb"

for d in "$A" "$B"; do
  for i in 1 2; do
    [ "$(x "$d" $i "$OMX" control ping)" = "{\"ok\":true,\"node\":$i}" ] || fail "ping $d node $i"
  done
done
x "$A" 1 timeout 5 bash -c "echo > /dev/tcp/198.18.$ca.2/4660" || fail "A: node 1 cannot reach node 2"
x "$B" 2 timeout 5 bash -c "echo > /dev/tcp/198.18.$cb.1/4660" || fail "B: node 2 cannot reach node 1"
if x "$A" 1 timeout 3 bash -c "echo > /dev/tcp/198.18.$cb.1/4660" 2>/dev/null; then
  fail "cluster A reaches cluster B"
fi

log "down A, B keeps running"
pids=$(omxd_pids "$A")
"$OMX" cluster down --dir "$A"
check_cluster_gone "$A" "$ca" "$pids"
for i in 1 2; do
  [ "$(x "$B" $i "$OMX" control ping)" = "{\"ok\":true,\"node\":$i}" ] || fail "B node $i after A went down"
done
"$OMX" cluster status --dir "$B" >/dev/null || fail "B is not fully alive"
pids=$(omxd_pids "$B")
"$OMX" cluster down --dir "$B"
check_cluster_gone "$B" "$cb" "$pids"
echo PASS
