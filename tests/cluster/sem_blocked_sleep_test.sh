# Sleeps interrupted by a migration must last their requested time in total, as natively:
# sem_blocked_read_test.sh run with its sleep modes (nanosleep, clock_nanosleep, glibc's
# nanosleep, an absolute clock_nanosleep, and a nanosleep moved to node 2 and back home).
#
# Fixed by Registers::rewind_interrupted_syscall: when the caller passed `rem`, the kernel has
# written the time left there at the interruption (do_nanosleep -> nanosleep_copyout), and the
# call is re-made with it. (Before: every relative sleep restarted in full at each move.) A
# relative sleep without `rem` (usleep) still restarts in full.
SEM_BLOCKED_MODES="nanosleep clock_nanosleep libc_sleep abs_sleep nanosleep-home" \
  exec bash "$(dirname "$0")/sem_blocked_read_test.sh"
