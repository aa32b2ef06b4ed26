#!/usr/bin/env python3
"""Input and fragments of bench/thesis_bench.sh's job (the thesis' split render, with bzip2).

  thesis_job.py input FILE MIB          write the job's input: MIB MiB of deterministic data whose
                                        cost to compress varies along the file, as a scene's cost
                                        varies from row to row (random bytes, base64-like text,
                                        short repeats; 64 KiB pieces, mix drifting with position)
  thesis_job.py split FILE K DIR        DIR/0 .. DIR/K-1: K consecutive slices of FILE, slice i
                                        is bytes [i*S/K, (i+1)*S/K) (the thesis' rows +SR/+ER)
"""
import os
import random
import sys

PIECE = 64 << 10


def make_input(path, mib):
    r = random.Random(2005)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    pieces = (mib << 20) // PIECE
    with open(path, "wb") as f:
        for p in range(pieces):
            # Position in the "image", 0..1: the mix of piece kinds drifts with it, so equal
            # slices cost different amounts to compress (measured: random ~6 MB/s, text
            # ~11 MB/s, short repeats ~6.5 MB/s of one core).
            x = p / max(1, pieces - 1)
            w_random = 0.15 + 0.7 * x * x
            w_repeat = 0.25 * (1 - x)
            u = r.random()
            if u < w_random:
                f.write(r.randbytes(PIECE))
            elif u < w_random + w_repeat:
                unit = bytes(r.choice(alphabet) for _ in range(r.randint(3, 40)))
                f.write((unit * (PIECE // len(unit) + 1))[:PIECE])
            else:
                raw = r.randbytes(PIECE)
                f.write(bytes(alphabet[b & 63] for b in raw))


def split(path, k, out):
    os.makedirs(out, exist_ok=True)
    data = open(path, "rb").read()
    size = len(data)
    for i in range(k):
        with open(os.path.join(out, str(i)), "wb") as f:
            f.write(data[i * size // k:(i + 1) * size // k])


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "input":
        make_input(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "split":
        split(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
