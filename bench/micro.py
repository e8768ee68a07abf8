"""Host microbenchmarks (Google Benchmark): the conv FTL and, when built,
the controller core's command path beside memcpy of the same size, and
nvmev-sim's simulated commands per host second."""

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
    # nvmev-core-bench prints its core/memcpy table after the JSON document.
    doc, _ = json.JSONDecoder().raw_decode(proc.stdout)
    for b in doc["benchmarks"]:
        if reps > 1 and b.get("aggregate_name") != "median":
            continue
        out[b.get("run_name", b["name"])] = {
            "items_per_second": b.get("items_per_second"),
            "bytes_per_second": b.get("bytes_per_second"),
            "cpu_time": b["cpu_time"], "time_unit": b.get("time_unit", "ns")}
    return out


def memcpy_ratios(benches):
    """Per size, per direction: BM_Core/DIR/SIZE's items/s over those of
    BM_Memcpy/DIR/SIZE, its one-copy bound measured in the same run."""
    out = {}
    for name, b in benches.items():
        m = re.fullmatch(r"BM_Core/(\w+)/(\w+)", name)
        ref = benches.get(name.replace("BM_Core/", "BM_Memcpy/", 1))
        if not m or not ref or not ref["items_per_second"] or not b["items_per_second"]:
            continue
        out.setdefault(m.group(2), {})[m.group(1)] = (b["items_per_second"] /
                                                      ref["items_per_second"])
    return out


def run(build_dir, quick):
    result = {}
    for key, exe in (("ftl", "nvmev-ftl-bench"), ("core", "nvmev-core-bench"),
                     ("sim", "nvmev-sim-bench")):
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
