"""sem_pty.py [--dies] MIGRATE STATS PROG ARGS...: runs `omx run --stats-json STATS -- PROG ARGS`
on a new pseudo-terminal (as its session leader, the terminal's foreground process group),
waits for "ready", migrates it to node 2 if MIGRATE is 1, and types ^C on the terminal.
Default: waits for the program's "got SIGINT" line, then sends it SIGTERM and waits for it.
--dies: the program has no SIGINT handler; waits up to 2 s for it to die, and if it has not,
types a line (unblocking a read of the terminal) and waits again.
Prints the terminal output, then "R key=value" lines for the calling test: rc (exit status,
as bash reports it), where (node after the move), int_line (the program's SIGINT report),
died_ms (--dies: ms from ^C to its end, or "no" if it outlived the 2 s)."""
import os
import pty
import select
import shlex
import signal
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    dies = args[0] == "--dies"
    if dies:
        args = args[1:]
    mig, stats, argv = args[0] == "1", args[1], args[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("omx", ["omx", "run", "--stats-json", stats, "--"] + argv)
    out = b""

    def read_until(pat, limit=10.0):
        nonlocal out
        end = time.monotonic() + limit
        while pat not in out:
            left = end - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    return pat in out
        return True

    def report(**kw):
        text = out.decode(errors="replace").replace("\r", "")
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        for k, v in kw.items():
            print("R %s=%s" % (k, shlex.quote(str(v))))

    nudged = 0
    for _ in range(10):  # the start-up race of the supervisor: see started() in sem_node.sh
        if read_until(b"ready ", 1.0):
            break
        try:  # only when stopped at its execve (state t, syscall 59), as started() does
            with open("/proc/%d/status" % pid) as f:
                st = dict(ln.split(":", 1) for ln in f if ":" in ln)
            with open("/proc/%d/syscall" % pid) as f:
                sc = f.read().split()[0]
            tracer = int(st["TracerPid"].strip())
            if tracer and st["State"].split()[0] == "t" and sc == "59":
                os.kill(tracer, signal.SIGCHLD)
                nudged = 1
        except (OSError, IndexError, ValueError, KeyError):
            pass
    if nudged:
        print("R nudged=1")
    if b"ready " not in out:
        os.kill(pid, signal.SIGKILL)
        return report(timeout="no ready line")
    where = 1
    if mig:
        r = subprocess.run(["migrate", str(pid), "2"], capture_output=True, text=True)
        where = subprocess.run(["omx", "where", str(pid)], capture_output=True, text=True).stdout.strip()
        if r.returncode != 0 or where != "2":
            os.kill(pid, signal.SIGKILL)
            return report(move_failed="migrate: %d %s where=%s" % (r.returncode, r.stderr.strip(), where))
    os.write(fd, b"\x03")  # VINTR: the terminal sends SIGINT to its foreground process group
    if dies:
        t0 = time.monotonic()
        died = "no"
        while time.monotonic() - t0 < 2.0:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                died = int((time.monotonic() - t0) * 1000)
                break
            time.sleep(0.01)
        if died == "no":
            os.write(fd, b"unblock\n")
            _, status = os.waitpid(pid, 0)
        read_until(b"\x00", 0.2)  # whatever it printed
        rc = os.waitstatus_to_exitcode(status)
        rc = 128 - rc if rc < 0 else rc
        return report(rc=rc, where=where, died_ms=died)
    got = read_until(b"got SIGINT")
    read_until(b"\n", 1.0)
    os.kill(pid, signal.SIGTERM)
    read_until(b"done", 5.0)
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    rc = 128 - rc if rc < 0 else rc
    line = ""
    for ln in out.decode(errors="replace").replace("\r", "").splitlines():
        if "got SIGINT" in ln:
            line = ln[ln.index("got SIGINT"):]
    report(rc=rc, where=where, int_line=line if got else "none")


main()
