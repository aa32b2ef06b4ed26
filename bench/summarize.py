#!/usr/bin/env python3
"""Summary of a bench/run_all.sh run: reads its JSON lines (one measurement each), prints the
details of every figure (median, min, max, sample count) and the summary table: figure, value,
baseline, ratio, target, met?. Every value is a median over the run's repetitions; every
baseline was measured in the same run on the same nodes (see the header of run_all.sh). Ratios
in (b) and (c) are medians of per-repetition ratios (each measurement against the baseline
measured next to it, which cancels slow drifts of the machine's load); in (a) the ratio of the
medians (the round-trip baseline brackets every run).
Exit status 1 if a correctness check failed (wrong file size, memory changed by a move, a file
written on the wrong node, different results of the CPU workload), else 0."""
import json
import statistics
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs, scale=1.0, unit=""):
    if not xs:
        return "no samples"
    return (f"median {med(xs) / scale:.4g}{unit}  min {min(xs) / scale:.4g}  "
            f"max {max(xs) / scale:.4g}  n={len(xs)}")


def main():
    rows = load(sys.argv[1])
    by = defaultdict(list)
    for r in rows:
        by[r["fig"]].append(r)
    checks = []   # (ok, text)
    table = []    # (figure, value, baseline, ratio, target, met)

    setup = by["setup"][0] if by["setup"] else {}
    print(f"\nomx bench: 2 nodes {setup.get('node1')} / {setup.get('node2')} (namespaced, one "
          f"host, {setup.get('cpus')} CPUs), kernel {setup.get('kernel')}"
          + ("  [--quick: small counts, not for reporting]" if setup.get("quick") else ""))

    # ---- (a) system calls ----
    rtt = [x for r in by["rtt"] for x in r["rtt_ns"]]
    sc = defaultdict(lambda: defaultdict(list))
    for r in by["syscalls"]:
        for k in ("write", "getppid", "getpid", "local"):
            sc[r["mode"]][k] += r[f"{k}_ns"]
        checks.append((r["file_ok"], f"(a) {r['mode']}: file at home has {r['file_bytes']} bytes "
                       f"as written"))
    for r in by["placement"]:
        checks.append((r["files_on_node2"] == 0, f"(a) no workload file on node 2 "
                       f"({r['files_on_node2']} found)"))
    print("\n(a) system call cost, ns per call (CLOCK_MONOTONIC in the process)")
    print(f"  TCP RTT node2->node1 1 byte : {spread(rtt, 1000, ' us')}")
    for mode in ("native", "home", "remote"):
        for k in ("write", "getppid", "getpid", "local"):
            print(f"  {mode:6} {k:8}: {spread(sc[mode][k], 1000, ' us')}")
    if rtt and sc["remote"]["write"]:
        base = med(rtt)
        budget = base + 10000
        for k, what in (("write", "forwarded write(1 byte), remote"),
                        ("getppid", "forwarded getppid, remote")):
            v = med(sc["remote"][k])
            table.append((f"(a) {what}", f"{v / 1000:.1f} us", f"TCP RTT {base / 1000:.1f} us",
                          f"{v / base:.2f}x", f"<= RTT+10us = {budget / 1000:.1f} us",
                          f"{'yes' if v <= budget else 'no'} (margin {(budget - v) / 1000:+.1f} us)"))
        v, n = med(sc["remote"]["getpid"]), med(sc["native"]["getpid"])
        table.append(("(a) emulated getpid, remote", f"{v / 1000:.2f} us",
                      f"native {n / 1000:.3f} us", f"{v / n:.0f}x",
                      "~2 us/trap (ARCH §1 agent)", "yes" if v <= 2000 else "no"))
        v, n = med(sc["remote"]["local"]), med(sc["native"]["local"])
        table.append(("(a) local call, remote (no trap)", f"{v / 1000:.3f} us",
                      f"native {n / 1000:.3f} us", f"{v / n:.2f}x", "(info)", "-"))
        v, n = med(sc["home"]["write"]), med(sc["native"]["write"])
        table.append(("(a) write at home under mosrun", f"{v / 1000:.3f} us",
                      f"native {n / 1000:.3f} us", f"{v / n:.2f}x", "(info: ARCH 'zero')", "-"))

    # ---- (b) migration ----
    mig = defaultdict(list)
    wall = defaultdict(list)
    mbytes = {}
    for r in by["migrate"]:
        mig[(int(r["mb"]), r["dir"])].append(r["move_ms"])
        wall[(int(r["mb"]), r["dir"])].append(r["wall_ms"])
        mbytes[int(r["mb"])] = r["move_bytes"]
    raw = defaultdict(list)
    chan = defaultdict(list)
    aead = {}
    for r in by["raw_transfer"]:
        raw[int(r["mb"])].append(r["ns"] / 1e6)
    for r in by["chan_transfer"]:
        chan[int(r["mb"])].append(r["ns"] / 1e6)
        aead[int(r["mb"])] = r["aead"]
    for r in by["memory_check"]:
        checks.append((r["ok"] and r["rc"] == "0",
                       f"(b) {r['mb']} MiB: every word intact after all moves"))
    if mig:
        print("\n(b) migration, ms (move_ms = frozen time = total time in this first-step engine)")
    for mb in sorted(mbytes):
        b = mbytes[mb]
        print(f"  {mb} MiB process, move_bytes {b} ({b / 2**20:.1f} MiB)")
        for d in ("out", "back"):
            print(f"    migrate {d:4} move_ms: {spread(mig[(mb, d)])}")
            print(f"    migrate {d:4} wall_ms: {spread(wall[(mb, d)])}")
        print(f"    raw TCP        ms: {spread(raw[mb])}  ({b / 2**20 / (med(raw[mb]) / 1000):.0f} MiB/s)")
        print(f"    Channel {aead.get(mb, '?'):11}: {spread(chan[mb])}  "
              f"({b / 2**20 / (med(chan[mb]) / 1000):.0f} MiB/s)")
        base = med(raw[mb])
        label = f"{mb} MiB" if mb < 1024 else f"{mb // 1024} GiB"
        for d, arrow in (("out", "1->2"), ("back", "2->1")):
            v = med(mig[(mb, d)])
            pairs = [m / r for m, r in zip(mig[(mb, d)], raw[mb])]
            print(f"    {d:4}/raw per repetition: " + " ".join(f"{p:.2f}" for p in pairs))
            ratio = med(pairs)
            table.append((f"(b) migrate {label} {arrow} (move_ms)", f"{v:.0f} ms",
                          f"raw TCP {base:.0f} ms", f"{ratio:.2f}x", "<= 1.5x raw",
                          "yes" if ratio <= 1.5 else "no"))
        v = med(chan[mb])
        ratio = med([c / r for c, r in zip(chan[mb], raw[mb])])
        table.append((f"(b) Channel ({aead.get(mb, '?')}) {label} 1->2", f"{v:.0f} ms",
                      f"raw TCP {base:.0f} ms", f"{ratio:.2f}x", "(info: floor of a move)", "-"))

    small = [r["move_ms"] for r in by["syscalls_migrate"]]
    if small:
        kib = statistics.median(r["move_bytes"] for r in by["syscalls_migrate"]) / 1024
        print(f"  fixed cost: omx_bench_syscalls ({kib:.0f} KiB of pages) migrate out move_ms: "
              f"{spread(small)}")
        table.append((f"(b) migrate {kib:.0f} KiB process 1->2 (fixed cost)", f"{med(small):.0f} ms",
                      "-", "-", "(info)", "-"))

    # ---- (c) CPU ----
    cpu = defaultdict(lambda: defaultdict(list))
    results = set()
    for r in by["cpu"]:
        cpu[r["mode"]]["wall"].append(r["ns"] / 1e9)
        cpu[r["mode"]]["steady"].append(r["steady_ns"] / 1e9)
        results.add(r["result"])
    if cpu:
        checks.append((len(results) == 1, "(c) every run computed the same result"))
        print("\n(c) CPU-bound program, s (wall: whole run; steady: 200 x median chunk time)")
        for mode in ("native", "home", "remote"):
            for k in ("wall", "steady"):
                print(f"  {mode:6} {k:6}: {spread(cpu[mode][k], 1, ' s')}")
        n = med(cpu["native"]["wall"])
        for mode, what in (("remote", "remote (migrated)"), ("home", "control: home under mosrun")):
            for k in ("steady", "wall"):
                pairs = [a / b for a, b in zip(cpu[mode][k], cpu["native"][k])]
                print(f"  {mode}/native {k} per repetition: "
                      + " ".join(f"{p:.3f}" for p in pairs) + f"  (median {med(pairs):.3f})")
                if mode == "home" and k == "wall":
                    continue
                v, b, ratio = med(cpu[mode][k]), med(cpu["native"][k]), med(pairs)
                q = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else [ratio, ratio, ratio]
                iqr = f"IQR {q[0]:.3f}-{q[2]:.3f}"
                if mode == "home":
                    # Nothing differs from native there (seized, never stopped, no syscalls in
                    # the loop): its deviation from 1 is the noise floor of this measurement.
                    table.append((f"(c) CPU-bound ~{n:.0f} s, {what}, {k}", f"{v:.3f} s",
                                  f"native {b:.3f} s", f"{ratio:.3f}x", "= 1 (noise floor)", iqr))
                    continue
                table.append((f"(c) CPU-bound ~{n:.0f} s, {what}, {k}", f"{v:.3f} s",
                              f"native {b:.3f} s", f"{ratio:.3f}x", "<= 1.02x native",
                              f"{'yes' if ratio <= 1.02 else 'no'} ({iqr})"))

    starts = by["start"]
    stuck = sum(1 for r in starts if r["stuck"])
    if starts:
        print(f"\nengine bug worked around (node_run.sh start_workload): {stuck} of {len(starts)} "
              f"mosrun starts sat in their exec stop until SIGCHLD was sent to the supervisor")

    print("\nchecks:")
    for ok, text in checks:
        print(f"  [{'ok' if ok else 'FAILED'}] {text}")
    if by["elapsed"]:
        print(f"\nelapsed: {by['elapsed'][0]['s']} s")

    head = ("figure", "value", "baseline (same run)", "ratio", "target", "met?")
    w = [max(len(str(r[i])) for r in table + [head]) for i in range(len(head))]
    line = "-+-".join("-" * x for x in w)
    print("\nSUMMARY (medians)")
    print(" | ".join(h.ljust(x) for h, x in zip(head, w)))
    print(line)
    for r in table:
        print(" | ".join(str(c).ljust(x) for c, x in zip(r, w)))
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
