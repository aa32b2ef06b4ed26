# SIGSTOP sent to the home pid while the process runs on node 2 and a forwarded call is under
# way at home (zdtm_signals printing a tick line every millisecond: its write()s are executed
# by the deputy) must stop it for good, as natively: the home pid stays stopped until SIGCONT.
# See sem_signal_stop_test.sh, which this runs with SIGSTOP and a 1 ms tick.
#
# Races this catches (all fixed; see Deputy::start / Deputy::on_stop):
# (1) a forwarded call injected while the deputy is in its job-control stop resumes it out of
#     the stop (ps S while the parent saw "stopped 19"). Calls arriving after the supervisor
#     saw the stop are held until SIGCONT; the last window was a call arriving after on_stop()
#     let the SIGSTOP act but before the supervisor reaped the group-stop report: the
#     PTRACE_INTERRUPT of Deputy::start reaped it, took it for "any stop", and PTRACE_CONT'ed
#     the deputy out of it (about 1 run in 5).
# (2) a SIGSTOP flushed by SIGCONT in the kernel leaving a stale entry in the guest's queue
#     (STOP and CONT now cancel each other there, as in the kernel).
# (3) the final SIGTERM's cancel interrupting the deputy just after its call's int3: the
#     interrupt trap is reported before the int3's SIGTRAP, which was then taken for a signal
#     to the process and forwarded to the body ("signaled 5" instead of "exited 0", rare).
SEM_STOP_SIGS="STOP STOP STOP" SEM_STOP_TICK_MS=1 exec bash "$(dirname "$0")/sem_signal_stop_test.sh"
