# dist/bash-completion/omx: candidates for `omx mig`, `mosctl bl`, `migrate 123 ho`, `mosrun -`
# and a few more, with bash-completion's helpers loaded (when installed) and without them;
# node ids come from a running omxd and are silently absent without one.
source "$(dirname "$0")/../cluster/lib.sh"
COMPLETION=$OMX_SRC/dist/bash-completion/omx
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
new_dir D
export PATH=$OMX_BIN:$PATH

# candidates MODE WORD...: the sorted candidates, one line, for the command line WORD... whose
# last word is the one being completed. MODE: plain (only our file) or bc (bash-completion too).
candidates() {
  local mode=$1
  shift
  bash --norc --noprofile -c '
    mode=$1; shift
    [ "$mode" = bc ] && source "'"$BASH_COMPLETION"'"
    source "'"$COMPLETION"'" || exit 3
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _omx 2>/dev/null  # compopt complains outside a real completion
    printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "' candidates "$mode" "$@" | sed 's/ $//'
}

# expect MODE "WANT" WORD...: the candidates are exactly WANT.
expect() {
  local mode=$1 want=$2 got
  shift 2
  got=$(candidates "$mode" "$@")
  [ "$got" = "$want" ] || fail "[$mode] '$*': got '$got', want '$want'"
}
# expect_has MODE "WORDS" WORD...: the candidates include each of WORDS.
expect_has() {
  local mode=$1 want=$2 got w
  shift 2
  got=" $(candidates "$mode" "$@") "
  for w in $want; do [[ $got == *" $w "* ]] || fail "[$mode] '$*': '$w' missing from '$got'"; done
}

modes=(plain)
if [ -r "$BASH_COMPLETION" ]; then modes+=(bc); else echo "note: bash-completion not installed; testing without its helpers only"; fi

export OMX_CONTROL="@omx/completion-test.$$"  # no omxd here yet
for m in "${modes[@]}"; do
  log "$m: without omxd"
  expect "$m" "migrate" omx mig
  expect "$m" "block" mosctl bl
  expect "$m" "home" migrate 123 ho
  expect "$m" "balance home" migrate 123 ""
  expect_has "$m" "-h -j -F -b -L -l -c -i -n -s -f -t -d --stats-json --help --" mosrun -
  expect "$m" "--help --json" omx migrate --
  expect_has "$m" "$("$OMX" --help | awk '/^commands:/ { f = 1; next } f && NF { print $1 }')" omx ""
  expect "$m" "getfree getload getmem getspeed getutil" omx mosctl get
  expect "$m" "measure" mosctl setspeed m
  expect "$m" "" mosctl getload ""
  expect "$m" "down exec status up" omx cluster ""
  expect "$m" "--balance --bounce" omx run --b
  expect_has "$m" "ls" mosrun ls
  expect_has "$m" "ls" mosrun -c -L ls
  expect_has "$m" "ls" omx run --balance -- ls
  expect_has "$m" "ls" omx cluster exec --dir /tmp/x 1 -- ls
  expect_has "$m" "-w -c -r -off -p -f" setpe -
  expect "$m" "$OMX_SRC/dist/omxd.default" setpe -w -f "$OMX_SRC/dist/omxd.d"
  expect "$m" "lo" omdiscd -i l
  expect "$m" "--json" showmap --j
  expect "$m" "kill omx renice" omx on 2 -- ""
  expect "$m" "migrate mosctl mps" omx on 2 -- omx m
  expect "$m" "--timeout" omx on --t
  expect "$m" "getfree getload getmem getspeed getutil" omx on 2 --user 0 -- omx mosctl get
done

log "with omxd: node ids from omx control nodes"
printf '1 127.0.0.1 3\n' > "$D/map"
exec 8> "$D/ready"
"$OMXD" --foreground --port 0 --control "$OMX_CONTROL" --node-id 2 --map "$D/map" \
  --listen 127.0.0.1 --ready-fd 8 2> "$D/omxd.log" &
omxd=$!
BG_PIDS+=("$omxd")
exec 8>&-
for _ in $(seq 100); do grep -q ready "$D/ready" && break; sleep 0.05; done
grep -q ready "$D/ready" || fail "omxd did not get ready: $(cat "$D/omxd.log")"
for m in "${modes[@]}"; do
  expect "$m" "1 2 3 balance home" migrate 123 ""
  expect "$m" "1 2 3" mosctl getload ""
  expect "$m" "-3" mosrun -c -3
  expect_has "$m" "-1 -2 -3 -h -j -L" mosrun -
  expect "$m" "2" setpe -w -p 2
  expect "$m" "1 2 3" omx on ""
done
kill -TERM "$omxd"
wait "$omxd" || true
echo PASS
