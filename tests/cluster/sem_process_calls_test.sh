# fork, vfork+execve, a raw clone(SIGCHLD) and execve made while the process runs on node 2
# work as natively (zdtm_procs): the process goes home first (stats: went_home > 0) and makes
# the call there; children see the right parent, their exit statuses reach the parent's
# waitpid, an exec'd image keeps the pid, and the exit status reaches the shell. Each mode
# natively, then migrated; then "all": each call after its own move to node 2.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

for mode in fork vfork clone exec all; do
  for mig in 0 1; do
    tag=$mode$mig
    log "$mode, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
    res=$(on_node "$D" 1 '
      tag=$1 mig=$2 mode=$3
      rm -f go go1 go2 go3 go4
      OMX_SUPERVISOR_LOG=/tmp/sup.$tag.log omx run --stats-json stats.$tag -- "$P/zdtm_procs" $mode > out.$tag 2> err.$tag &
      pid=$!
      started out.$tag $pid || { kill -KILL $pid; exit; }
      if [ $mode = all ]; then
        for i in 1 2 3 4; do
          [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
          touch go$i
          [ $i = 4 ] || wait_for out.$tag "^step $i" || { kill -KILL $pid; exit; }
        done
      else
        [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
        touch go
      fi
      wait $pid
      echo "R rc=$?"
    ' $tag $mig $mode)
    echo "$res"
    unset rc
    results "$res" "$T/out.$tag" "$T/err.$tag"
    cat "$T/out.$tag"
    [ "$rc" = 0 ] || { show "$T/err.$tag"; bad "$mode (migrated: $mig): exit status $rc"; continue; }
    last=$(tail -1 "$T/out.$tag")
    case $mode in
      exec|all) [[ $last = "after exec ok"* ]] || bad "$mode: last line '$last', want 'after exec ok'" ;;
      *) [ "$last" = "done ok" ] || bad "$mode: last line '$last', want 'done ok'" ;;
    esac
    [ $mig = 0 ] && continue
    diff <(grep -v '^ready\|^after exec' "$T/out.${mode}0") <(grep -v '^ready\|^after exec' "$T/out.$tag") ||
      bad "$mode: output differs from the native run"
    m=$([ $mode = all ] && echo 4 || echo 1)
    w=$(stat_of "$T/stats.$tag" went_home)
    [ "$w" -ge "$m" ] || bad "$mode: stats $(cat "$T/stats.$tag"): went_home $w, want >= $m"
  done
done
finish
