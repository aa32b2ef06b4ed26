# A multi-threaded program cannot migrate: `migrate PID 2` must refuse with exit status 3 and a
# message naming the reason `clone_vm` (openMosix's name), and the program must keep running
# untouched: `omx where` still says 1, both threads keep going (no stall over 300 ms, checked
# by zdtm_threads itself), a signal to itself still works, it exits 0. Tried twice, the
# second time while the first refusal's effects (if any) would show.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

res=$(on_node "$D" 1 '
  omx run --stats-json stats.thr -- "$P/zdtm_threads" 2 > out.thr 2> err.thr &
  pid=$!
  started out.thr $pid || { kill -KILL $pid; exit; }
  for i in 1 2; do
    sleep 0.3
    migrate $pid 2 > mig$i.out 2> mig$i.err
    echo "R rc$i=$? where$i=$(omx where $pid)"
    echo "R msg$i=$(printf %q "$(cat mig$i.err)")"
  done
  wait $pid
  echo "R rc=$?"
')
echo "$res"
unset rc rc1 rc2 where1 where2 msg1 msg2
results "$res" "$T/out.thr" "$T/err.thr"
tail -2 "$T/out.thr"
for i in 1 2; do
  r=rc$i w=where$i m=msg$i
  [ "${!r}" = 3 ] || bad "migrate attempt $i exited ${!r}, want 3 (refused)"
  [[ "${!m}" = *clone_vm* ]] || bad "migrate attempt $i said '${!m}': no 'clone_vm' in it"
  [ "${!w}" = 1 ] || bad "after attempt $i it is on '${!w}', want 1"
done
[ "$rc" = 0 ] || { show "$T/out.thr" "$T/err.thr"; bad "zdtm_threads exited $rc, want 0"; }
[[ "$(tail -1 "$T/out.thr")" = "done ok"* ]] || bad "no 'done ok'"
[ "$(grep -c '^progress' "$T/out.thr")" -ge 15 ] || bad "only $(grep -c '^progress' "$T/out.thr") progress lines in 2 s"
check_stats "$T/stats.thr" 0 0
finish
