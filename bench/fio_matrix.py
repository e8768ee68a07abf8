"""The guest fio matrix: every workload of one device in one boot, devices
interleaved per repeat, with the host CPU time of the device's threads
(bench/thread_cpu.py snapshots around each job) per completed I/O."""

import json
import os
import statistics
import sys
import tempfile

import guest
import thread_cpu

GUEST_CPUS = 2  # run.py's default -smp

# name: (rw, block size, queue depth, jobs)
WORKLOADS = {
    "randread-4k-qd1": ("randread", "4k", 1, 1),
    "randread-4k-qd32": ("randread", "4k", 32, 1),
    "randwrite-4k-qd1": ("randwrite", "4k", 1, 1),
    "randwrite-4k-qd32": ("randwrite", "4k", 32, 1),
    "read-128k-qd8": ("read", "128k", 8, 1),
    "write-128k-qd8": ("write", "128k", 8, 1),
    f"randread-4k-qd32-j{GUEST_CPUS}": ("randread", "4k", 32, GUEST_CPUS),
    f"randwrite-4k-qd32-j{GUEST_CPUS}": ("randwrite", "4k", 32, GUEST_CPUS),
    # With randread-4k-qd1/qd32 above: the IOPS-by-queue-depth series.
    "randread-4k-qd4": ("randread", "4k", 4, 1),
    "randread-4k-qd16": ("randread", "4k", 16, 1),
}
QD_SERIES = [1, 4, 16, 32]
QD_DEVICES = ["nvmev-iothread", "qemu-nvme"]
FULL_DEVICES = ["nvmev-iothread", "nvmev-iothread-nopoll", "nvmev-2iothreads",
                "nvmev-2iothreads-nopoll", "nvmev", "qemu-nvme", "virtio-blk"]
# Two IOThreads only differ from one with a queue pair per job.
MULTI_IOTHREAD_WORKLOADS = ["randread-4k-qd32", f"randread-4k-qd32-j{GUEST_CPUS}",
                            f"randwrite-4k-qd32-j{GUEST_CPUS}"]
QUICK = (["randread-4k-qd1", "randread-4k-qd32"], ["nvmev-iothread", "qemu-nvme"])


def plan(quick):
    """(workloads per device, devices)."""
    if quick:
        names, devices = QUICK
        return {d: names for d in devices}, devices
    per = {}
    for d in FULL_DEVICES:
        per[d] = [w for w in WORKLOADS
                  if not (w in ("randread-4k-qd4", "randread-4k-qd16") and d not in QD_DEVICES)
                  and (not d.startswith("nvmev-2iothreads") or w in MULTI_IOTHREAD_WORKLOADS)]
    return per, FULL_DEVICES


def script(device, workloads, runtime, cpu_file):
    dev = guest.block_device(device)
    # A discarded warm-up: a fresh TCG guest translates code and runs slower
    # (after 2 s, nvmev's QD32 run that came first measured half its rate).
    text = guest.fio("warmup", dev, rw="randread", bs="4k", iodepth=32,
                     runtime=5, time_based=1)
    hooks = {}
    for w in workloads:
        rw, bs, qd, jobs = WORKLOADS[w]
        for edge in ("pre", "post"):
            hooks[f"cpu-{edge}-{w}"] = (f"{sys.executable} {guest.ROOT}/bench/thread_cpu.py "
                                        f"{cpu_file} {edge}-{w}")
        text += guest.hook(f"cpu-pre-{w}")
        text += guest.fio(w, dev, rw=rw, bs=bs, iodepth=qd, numjobs=jobs, group_reporting=1,
                          runtime=runtime, time_based=1, lat_percentiles=1)
        text += guest.hook(f"cpu-post-{w}")
    return text, hooks


def one_run(device, workloads, runtime, opts):
    with tempfile.TemporaryDirectory(prefix="nvmev-bench.") as tmp:
        cpu_file = os.path.join(tmp, "cpu.jsonl")
        text, hooks = script(device, workloads, runtime, cpu_file)
        results = guest.boot(device, text, hooks, opts,
                             timeout=120 + len(workloads) * (runtime + 10))
        snaps = {}
        with open(cpu_file) as f:
            for line in f:
                s = json.loads(line)
                snaps[s["tag"]] = s
    out = {}
    for w in workloads:
        job = results[w]["jobs"][0]
        rw = WORKLOADS[w][0]
        side = job["write" if "write" in rw else "read"]
        ios = side["total_ios"]
        pre, post = snaps[f"pre-{w}"], snaps[f"post-{w}"]
        out[w] = {
            "iops": side["iops"],
            "bw_mbps": side["bw_bytes"] / 1e6,
            # Total latency: io_uring may reap in the submitting call (clat ~0).
            "lat_mean_us": side["lat_ns"]["mean"] / 1000.0,
            "lat_p50_us": side["lat_ns"].get("percentile", {}).get("50.000000", 0) / 1000.0,
            "errors": job["error"],
            "cpu": thread_cpu.cost(pre, post, post["pid"], ios),
        }
    return out


def median_of(runs, key, sub=None):
    vals = [(r[sub][key] if sub else r[key]) for r in runs]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(samples):
    """{device: {workload: [run, ...]}} -> {device: {workload: medians + runs}}."""
    out = {}
    for d, per in samples.items():
        out[d] = {}
        for w, runs in per.items():
            kinds = sorted({k for r in runs for k in r["cpu"]["by_kind_ns"]})
            out[d][w] = {
                "iops": median_of(runs, "iops"),
                "bw_mbps": median_of(runs, "bw_mbps"),
                "lat_mean_us": median_of(runs, "lat_mean_us"),
                "lat_p50_us": median_of(runs, "lat_p50_us"),
                "device_cpu_ns_per_io": median_of(runs, "device_ns_per_io", "cpu"),
                "device_cpu_ns_per_io_by_kind": {
                    k: statistics.median(r["cpu"]["by_kind_ns"].get(k, 0) / r["cpu"]["ios"]
                                         for r in runs) for k in kinds},
                "runs": runs,
            }
    return out


def run(opts, quick, repeat, runtime):
    per, devices = plan(quick)
    samples = {d: {w: [] for w in per[d]} for d in devices}
    for i in range(repeat):
        for d in devices:  # interleaved: drift hits every device alike
            res = one_run(d, per[d], runtime, opts)
            for w, r in res.items():
                samples[d][w].append(r)
            print(f"  matrix run {i + 1}/{repeat} {d:15s} " +
                  " ".join(f"{w}={r['iops']:.0f}" for w, r in res.items()),
                  file=sys.stderr, flush=True)
    return {"devices": devices, "workloads": {w: list(WORKLOADS[w]) for w in WORKLOADS},
            "qd_series": {"qd": QD_SERIES, "devices": QD_DEVICES},
            "results": summarize(samples)}
