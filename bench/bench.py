#!/usr/bin/env python3
"""./nvmev bench [--quick]: guest fio against nvmev and QEMU's own devices,
measured in the same run so that ratios mean something on a noisy machine.

--quick: 4 KiB random reads at QD32 with zero added latency, nvmev vs QEMU's
`nvme` on a null-co drive (the figure issue #2 asks for).
Full: adds QD1, nvmev in an IOThread and in the main loop, and virtio-blk,
and the host-only Google Benchmark of the conv FTL (build/host/bench/
nvmev-ftl-bench: simulated 4 KiB random writes per second in GC steady state,
single core, beside memcpy of the same size).
Each configuration runs --repeat times (interleaved); medians are reported.
Results: a table on stdout and JSON in build/bench/results.json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = [sys.executable, os.path.join(ROOT, "scripts", "run.py")]

# Zero added latency and a bandwidth far above anything TCG can reach, so the
# emulation path itself is what is measured.
NVMEV_FAST = "read-latency-ns=0,write-latency-ns=0,read-bandwidth-mbps=1000000,write-bandwidth-mbps=1000000"


def fio_cmd(rw, bs, qd, runtime, dev):
    return (f"fio --name=b --filename={dev} --direct=1 --rw={rw} --bs={bs} "
            f"--size=512M --ioengine=io_uring --iodepth={qd} --runtime={runtime} "
            f"--time_based --output-format=json")


def measure(device, rw, bs, qd, runtime):
    dev = "/dev/vda" if device.startswith("virtio") else "/dev/nvme0n1"
    args = ["--size", "1G", "--timeout", str(runtime * 3 + 120)]
    if device == "nvmev-iothread":
        args += ["--iothread", "--device-opts", NVMEV_FAST]
    elif device == "nvmev":
        args += ["--device-opts", NVMEV_FAST]
    elif device == "qemu-nvme":
        args += ["--baseline", "nvme"]
    elif device == "virtio-blk":
        args += ["--baseline", "virtio-blk", "--iothread"]
    cmd = (f"{fio_cmd(rw, bs, qd, runtime, dev)} > /tmp/r.json && "
           "echo ==JSON== && cat /tmp/r.json && echo ==END==")
    proc = subprocess.run([*RUN, *args, "--cmd", cmd], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    if proc.returncode != 0 or "==JSON==" not in proc.stdout:
        raise RuntimeError(f"{device}: run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    text = proc.stdout.split("==JSON==\n", 1)[1].split("==END==", 1)[0]
    job = json.loads(text)["jobs"][0]
    side = job["read" if "read" in rw else "write"]
    return {"iops": side["iops"], "lat_mean_us": side["lat_ns"]["mean"] / 1000.0}


def ftl_microbench():
    """Medians of the FTL microbenchmark (Google Benchmark, 3 repetitions)."""
    exe = os.path.join(ROOT, "build", "host", "bench", "nvmev-ftl-bench")
    proc = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=1",
                           "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true"],
                          capture_output=True, text=True, check=True)
    medians = {b["run_name"]: b for b in json.loads(proc.stdout)["benchmarks"]
               if b.get("aggregate_name") == "median"}
    print(f"\n{'host microbenchmark (median of 3)':44s} {'items/s':>12s} {'ns/item':>10s}")
    for name, b in medians.items():
        print(f"{name:44s} {b['items_per_second']:12.0f} {b['cpu_time']:10.1f}")
    return medians


def main():
    ap = argparse.ArgumentParser(description="nvmev benchmarks")
    ap.add_argument("--quick", action="store_true", help="QD32 4 KiB random read only")
    ap.add_argument("--repeat", type=int, default=None, help="runs per configuration (default 3)")
    ap.add_argument("--runtime", type=int, default=5, help="seconds per fio run")
    args = ap.parse_args()
    repeat = args.repeat or 3

    cases = [("randread", "4k", 32)]
    devices = ["nvmev-iothread", "qemu-nvme"]
    if not args.quick:
        cases.append(("randread", "4k", 1))
        devices = ["nvmev-iothread", "nvmev", "qemu-nvme", "virtio-blk"]

    results = []
    for rw, bs, qd in cases:
        samples = {d: [] for d in devices}
        for i in range(repeat):
            for d in devices:  # interleaved: drift hits every device alike
                samples[d].append(measure(d, rw, bs, qd, args.runtime))
                print(f"  {rw} {bs} QD{qd} {d:15s} run {i + 1}: "
                      f"{samples[d][-1]['iops']:9.0f} IOPS", file=sys.stderr, flush=True)
        for d in devices:
            results.append({
                "workload": f"{rw} {bs} QD{qd}", "device": d,
                "iops_median": statistics.median(s["iops"] for s in samples[d]),
                "lat_mean_us_median": statistics.median(s["lat_mean_us"] for s in samples[d]),
                "runs": samples[d]})

    print(f"\n{'workload':22s} {'device':16s} {'IOPS (median)':>14s} {'mean lat us':>12s} "
          f"{'vs qemu-nvme':>13s}")
    for r in results:
        base = next(x for x in results if x["workload"] == r["workload"]
                    and x["device"] == "qemu-nvme")
        ratio = r["iops_median"] / base["iops_median"]
        r["ratio_vs_qemu_nvme"] = ratio
        print(f"{r['workload']:22s} {r['device']:16s} {r['iops_median']:14.0f} "
              f"{r['lat_mean_us_median']:12.1f} {ratio:12.2f}x")

    micro = None if args.quick else ftl_microbench()

    out_dir = os.path.join(ROOT, "build", "bench")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "results.json")
    with open(out, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                               "accel": "tcg"},
                   "quick": args.quick, "runtime_s": args.runtime, "repeat": repeat,
                   "results": results, "ftl_microbench": micro}, f, indent=2)
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
