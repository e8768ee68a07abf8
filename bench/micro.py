"""Host microbenchmarks (Google Benchmark): the conv FTL and, when built,
the controller core's command path beside memcpy of the same size."""

import json
import os
import re
import subprocess
import sys

import guest


def _run(exe, quick):
    reps = 1 if quick else 3
    args = [exe, "--benchmark_format=json", f"--benchmark_min_time={0.2 if quick else 1}",
            f"--benchmark_repetitions={reps}"]
    if reps > 1:
        args.append("--benchmark_report_aggregates_only=true")
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    out = {}
    for b in json.loads(proc.stdout)["benchmarks"]:
        if reps > 1 and b.get("aggregate_name") != "median":
            continue
        out[b.get("run_name", b["name"])] = {
            "items_per_second": b.get("items_per_second"),
            "bytes_per_second": b.get("bytes_per_second"),
            "cpu_time": b["cpu_time"], "time_unit": b.get("time_unit", "ns")}
    return out


def _size(name):
    """4K / 128K from a name such as BM_Read4K or BM_Memcpy/4096."""
    m = re.search(r"(?<![0-9])(4K|128K|4096|131072)(?![0-9])", name, re.IGNORECASE)
    return {"4096": "4K", "131072": "128K"}.get(m.group(1), m.group(1).upper()) if m else None


def memcpy_ratios(benches):
    """Per size and command benchmark: its items/s over memcpy's of that size."""
    out = {}
    for size in ("4K", "128K"):
        named = [(n, b) for n, b in benches.items() if _size(n) == size]
        ref = [b for n, b in named if "memcpy" in n.lower()]
        if len(ref) != 1 or not ref[0]["items_per_second"]:
            if named:
                out[size] = {"error": f"no single memcpy benchmark for {size}"}
            continue
        out[size] = {n: b["items_per_second"] / ref[0]["items_per_second"]
                     for n, b in named if "memcpy" not in n.lower() and b["items_per_second"]}
    return out


def run(build_dir, quick):
    result = {}
    for key, exe in (("ftl", "nvmev-ftl-bench"), ("core", "nvmev-core-bench")):
        path = os.path.join(build_dir, "bench", exe)
        if not os.access(path, os.X_OK):
            print(f"  micro: {path} not built, skipped", file=sys.stderr, flush=True)
            result[key] = None
            continue
        try:
            result[key] = {"benchmarks": _run(path, quick)}
        except (subprocess.CalledProcessError, ValueError) as e:
            result[key] = {"error": str(e)}
            continue
        if key == "core":
            result[key]["memcpy_ratio"] = memcpy_ratios(result[key]["benchmarks"])
    return result


DEFAULT_BUILD = os.path.join(guest.ROOT, "build", "host")
