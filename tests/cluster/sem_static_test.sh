# Statically linked programs move like any other: zdtm_memory_static (glibc, static: no
# ld.so, no shared libraries; 32 MiB of heap it keeps changing, a signal on an altstack) and
# zdtm_nolibc (no libc at all, raw syscalls from _start, no TLS) are moved 1 -> 2 -> 3 -> home
# while they run, and must pass their own checks (exit 0, "done ok") with output identical to
# a native run, never going home by themselves.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 3 >/dev/null
T=$D/node1/tmp

for prog in "zdtm_memory_static 32 600" zdtm_nolibc; do
  name=${prog%% *}
  for mig in 0 1; do
    tag=$name$mig
    log "$prog, $([ $mig = 1 ] && echo "moved 1 -> 2 -> 3 -> home" || echo natively)"
    res=$(on_node "$D" 1 '
      tag=$1 mig=$2
      shift 2
      OMX_LOG=home:info OMX_SUPERVISOR_LOG=/tmp/sup.$tag.log omx run --stats-json stats.$tag -- "$P/$1" "${@:2}" > out.$tag 2> err.$tag &
      pid=$!
      started out.$tag $pid || { kill -KILL $pid; exit; }
      if [ "$mig" = 1 ]; then
        for to in 2 3 home; do
          move $pid $to || { kill -KILL $pid; exit; }
          sleep 0.1
        done
      fi
      wait $pid
      echo "R rc=$?"
    ' $tag $mig $prog)
    unset rc
    results "$res" "$T/out.$tag" "$T/err.$tag"
    sed 's/^/    /' "$T/out.$tag"
    [ "$rc" = 0 ] || { show "$T/err.$tag"; bad "$prog (migrated: $mig): exit status $rc"; continue; }
    [[ "$(tail -1 "$T/out.$tag")" = "done ok"* ]] || bad "$prog (migrated: $mig): no 'done ok'"
    [ $mig = 0 ] && continue
    { grep -E "now runs|is home" "$T/sup.$tag.log" || echo "(no moves logged)"; } | sed "s/^/    /"
    check_stats "$T/stats.$tag" 4 0  # (2 -> 3 passes through home: 4 moves)
    diff <(grep -v '^ready' "$T/out.${name}0") <(grep -v '^ready' "$T/out.$tag") >/dev/null ||
      bad "$prog: output differs from the native run"
  done
done
finish
