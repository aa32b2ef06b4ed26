# SIGTSTP, SIGTTIN and SIGTTOU (default action: stop) sent to the home pid while the process
# runs on node 2 must stop it as natively: see sem_signal_stop_test.sh, which this runs with
# these signals.
#
# Guards a fixed engine bug (the diagnosis, as found): migrated, none of the three stops it: the parent
# never sees "stopped", the home pid stays S, the body keeps running on node 2 (~106 CPU ticks
# per second). Causes: (1) Deputy::on_stop lets only SIGSTOP really stop the deputy; other
# stop signals are suppressed at home and forwarded. (2) On node 2 the body is in omxd's
# process group and session (/proc/BODY/stat: pgrp = omxd's pid, whose parent is pid 1), an
# orphaned process group, for which the kernel discards the default stop action of
# SIGTSTP/SIGTTIN/SIGTTOU (get_signal: is_current_pgrp_orphaned()). The decision belongs at
# home: if the body's action for the signal is SIG_DFL, stop the deputy with that signal (the
# parent sees WSTOPSIG = it, and the orphaned-pgrp rule is the home one) and stop the body.
SEM_STOP_SIGS="TSTP TTIN TTOU" exec bash "$(dirname "$0")/sem_signal_stop_test.sh"
