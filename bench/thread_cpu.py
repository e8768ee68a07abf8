#!/usr/bin/env python3
"""Host CPU time of QEMU's threads, for the device CPU cost per I/O.

As a run.py hook (the guest blocks while it runs, so nothing moves):

    python3 bench/thread_cpu.py OUTFILE TAG

appends one JSON line {"tag", "process_ticks", "threads": [{tid, comm, ticks}]}
for the QEMU in $NVMEV_QEMU_PID. QEMU runs with debug-threads=on, so vCPU
threads are "CPU n/TCG" (or /KVM) and IOThreads "IO <id>".

The device's cost is everything QEMU spent outside its vCPUs: the process
total (which keeps the time of threads that have exited, such as idle
thread-pool workers) minus the vCPU threads.
"""

import json
import os
import re
import sys

VCPU_RE = re.compile(r"^CPU \d+/")


def _ticks(stat_text):
    # comm is in parentheses and may hold spaces: split after the last ')'.
    fields = stat_text[stat_text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def snapshot(pid):
    base = f"/proc/{pid}"
    with open(f"{base}/stat") as f:
        total = _ticks(f.read())
    threads = []
    for tid in sorted(os.listdir(f"{base}/task"), key=int):
        try:
            with open(f"{base}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"{base}/task/{tid}/stat") as f:
                ticks = _ticks(f.read())
        except OSError:
            continue  # the thread ended while we looked
        threads.append({"tid": int(tid), "comm": comm, "ticks": ticks})
    return {"process_ticks": total, "threads": threads}


def kind(thread, pid):
    """vcpu, main, iothread (the device's), monitor, worker or other."""
    comm = thread["comm"]
    if VCPU_RE.match(comm):
        return "vcpu"
    if thread["tid"] == pid:
        return "main"
    if comm == "IO mon_iothread":
        return "monitor"
    if comm.startswith("IO "):
        return "iothread"
    if comm == "worker":
        return "worker"
    return "other"


def cost(before, after, pid, ios):
    """Device CPU between two snapshots: ns per I/O and a breakdown by kind."""
    ns_per_tick = 1e9 / os.sysconf("SC_CLK_TCK")
    prev = {t["tid"]: t["ticks"] for t in before["threads"]}
    by_kind = {}
    for t in after["threads"]:
        k = kind(t, pid)
        by_kind[k] = by_kind.get(k, 0) + t["ticks"] - prev.get(t["tid"], 0)
    total = after["process_ticks"] - before["process_ticks"]
    vcpu = by_kind.pop("vcpu", 0)
    device = total - vcpu
    # Threads that exited in between show only in the process total.
    by_kind["exited"] = device - sum(by_kind.values())
    return {
        "device_cpu_ns": device * ns_per_tick,
        "vcpu_cpu_ns": vcpu * ns_per_tick,
        "device_ns_per_io": device * ns_per_tick / ios if ios else None,
        "by_kind_ns": {k: v * ns_per_tick for k, v in by_kind.items() if v},
        "ios": ios,
    }


def main(argv):
    if len(argv) != 3:
        print("usage: thread_cpu.py OUTFILE TAG (with NVMEV_QEMU_PID set)", file=sys.stderr)
        return 2
    pid = int(os.environ["NVMEV_QEMU_PID"])
    snap = dict(snapshot(pid), tag=argv[2], pid=pid)
    with open(argv[1], "a") as f:
        f.write(json.dumps(snap) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
