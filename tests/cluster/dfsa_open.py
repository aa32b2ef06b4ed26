# Migrated by tests/cluster/dfsa_test.sh (case open_home): opens a new file under the shared
# directory DIR after it was moved, writes 1000 bytes, waits for DIR/go.2 (the test moves it
# home meanwhile), then checks the offset is still 1000 and appends 10 bytes.
import os
import sys
import time

d = sys.argv[1]


def wait(n):
    while not os.path.exists(f"{d}/go.{n}"):
        time.sleep(0.02)


print("ready", os.getpid(), flush=True)
wait(1)
f = os.open(f"{d}/new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(f, b"A" * 1000)
print("opened pos", os.lseek(f, 0, os.SEEK_CUR), flush=True)
wait(2)
print("home pos", os.lseek(f, 0, os.SEEK_CUR), flush=True)
os.write(f, b"B" * 10)
os.close(f)
print("size", os.path.getsize(f"{d}/new"), flush=True)
