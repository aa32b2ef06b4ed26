# Every command `omx --help` lists, and every classic name it gives ("[also: NAME]"), has a man
# page in dist/man (omx-CMD.1 or CMD.1 or CMD.8) that groff formats without a warning and that
# mentions every long flag the command's --help shows; every command and classic name answers
# --help (and -h, except where -h is a flag: mosrun -h = start at home; ps/mps -h = no header)
# with its usage on stdout and exit 0, and a bad flag with one line on stderr and exit 2.
# omxd likewise (omxd.8).
source "$(dirname "$0")/../cluster/lib.sh"
command -v groff >/dev/null || skip "groff is not installed (./run deps)"
MAN=$OMX_SRC/dist/man
new_dir T
errors=0
err() { echo "FAIL: $*" >&2; errors=$((errors + 1)); }

mapfile -t commands < <("$OMX" --help | awk '/^commands:/ { f = 1; next } f && NF { print $1 }')
mapfile -t classic < <("$OMX" --help | sed -n 's/.*\[also: \([a-z]*\)\].*/\1/p')
[ ${#commands[@]} -ge 10 ] || fail "omx --help lists only ${#commands[@]} commands"
[ ${#classic[@]} -ge 5 ] || fail "omx --help gives only ${#classic[@]} classic names"
log "commands: ${commands[*]}; classic names: ${classic[*]}"

log "every page formats cleanly"
for page in "$MAN"/man1/*.1 "$MAN"/man8/*.8; do
  out=$(groff -man -ww -z "$page" 2>&1) || err "groff failed on $page"
  [ -z "$out" ] || err "groff -man -ww -z ${page#$MAN/}: $out"
  if command -v lexgrog >/dev/null; then
    lexgrog "$page" >/dev/null 2>&1 || err "${page#$MAN/}: no NAME line whatis can read"
  fi
done

# page_of NAME...: the first existing page among NAME.1 / NAME.8, or nothing.
page_of() {
  local n
  for n in "$@"; do
    [ -e "$MAN/man1/$n.1" ] && { echo "$MAN/man1/$n.1"; return; }
    [ -e "$MAN/man8/$n.8" ] && { echo "$MAN/man8/$n.8"; return; }
  done
  return 0
}

# help_ok PAGE HELP_FLAG CMD...: CMD HELP_FLAG prints usage on stdout only, exit 0, and every
# long flag in it appears in PAGE.
help_ok() {
  local page=$1 flag=$2 rc=0 f
  shift 2
  timeout 10 "$@" "$flag" > "$T/out" 2> "$T/err" < /dev/null || rc=$?
  [ $rc -eq 0 ] || err "'$* $flag' exited $rc (want 0): $(head -2 "$T/err")"
  [ -s "$T/out" ] || err "'$* $flag' printed nothing on stdout"
  [ -s "$T/err" ] && err "'$* $flag' wrote on stderr: $(head -2 "$T/err")"
  [ -n "$page" ] || return 0
  sed 's/\\-/-/g' "$page" > "$T/page"
  for f in $(grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$T/out" | sort -u); do
    grep -qF -- "$f" "$T/page" || err "'$*' --help shows $f, ${page#$MAN/} does not"
  done
}

# bad_flag_ok CMD...: CMD --no-such-flag fails with 2 and one line on stderr, nothing on stdout.
bad_flag_ok() {
  local rc=0
  timeout 10 "$@" --no-such-flag > "$T/out" 2> "$T/err" < /dev/null || rc=$?
  [ $rc -eq 2 ] || err "'$* --no-such-flag' exited $rc (want 2)"
  [ -s "$T/out" ] && err "'$* --no-such-flag' wrote on stdout: $(head -2 "$T/out")"
  [ "$(wc -l < "$T/err")" -eq 1 ] || err "'$* --no-such-flag': want one line on stderr, got: $(cat "$T/err")"
}

takes_h() { case $1 in mosrun|ps|mps) return 0 ;; esac; return 1; }

log "omx"
help_ok "$(page_of omx)" --help "$OMX"
help_ok "" -h "$OMX"
bad_flag_ok "$OMX"

log "each command"
for c in "${commands[@]}"; do
  page=$(page_of "omx-$c" "$c")
  [ -n "$page" ] || err "omx $c: no man page (dist/man/man1/omx-$c.1 or $c.1)"
  help_ok "$page" --help "$OMX" "$c"
  takes_h "$c" || help_ok "" -h "$OMX" "$c"
  bad_flag_ok "$OMX" "$c"
done

log "each classic name"
for n in "${classic[@]}"; do
  page=$(page_of "$n")
  [ -n "$page" ] || err "$n: no man page (dist/man/man1/$n.1)"
  [ -L "$OMX_BIN/$n" ] || { err "$n: no symlink in $OMX_BIN"; continue; }
  help_ok "$page" --help "$OMX_BIN/$n"
  takes_h "$n" || help_ok "" -h "$OMX_BIN/$n"
  bad_flag_ok "$OMX_BIN/$n"
done

log "omxd"
help_ok "$(page_of omxd)" --help "$OMXD"
help_ok "" -h "$OMXD"
bad_flag_ok "$OMXD"

[ $errors -eq 0 ] || fail "$errors problems"
echo PASS
