#!/usr/bin/env python3
"""./nvmev bench: guest fio against nvmev and QEMU's own devices in the same
run, the device's host CPU per I/O, the latency/bandwidth fidelity sweep and
the host microbenchmarks.

Parts (--only picks one):
  matrix    bench/fio_matrix.py: every workload of a device in one boot,
            devices interleaved per repeat, medians reported
  fidelity  bench/fidelity.py: configured vs guest-measured latency and
            bandwidth, retuned over QMP within one boot
  micro     bench/micro.py: nvmev-ftl-bench and (if built) nvmev-core-bench,
            nvmev-sim-bench
  fidelity-sim
            bench/fidelity_sim.py: every preset in nvmev sim against the
            figures datasheets and reviews publish (docs/fidelity.md); host
            only, deterministic, a few seconds; build/bench/fidelity-sim.{json,md}
            (--update-doc: docs/fidelity.md; --fidelity-guest: also the TCG
            guest's QD1 latency)
Output in --out (default build/bench): results.json, results.txt (also on
stdout) and, via gnuplot, latency-cdf.png, iops-by-qd.png, fidelity.png.
The issue's targets are printed as met / not met; the exit status is 0 unless
something failed to run.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fidelity  # noqa: E402
import fidelity_sim  # noqa: E402
import fio_matrix  # noqa: E402
import host_info  # noqa: E402
import guest  # noqa: E402
import micro  # noqa: E402
import plots  # noqa: E402
import report  # noqa: E402

ROOT = guest.ROOT


def parse_args(argv):
    p = argparse.ArgumentParser(prog="nvmev bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="randread 4 KiB QD32+QD1, nvmev-iothread vs qemu-nvme, one repeat; "
                   "fidelity at 0/20/200 us; no microbenchmarks")
    p.add_argument("--repeat", type=int, default=None,
                   help="boots per device, rounds of the latency sweep (default 3; --quick: 1)")
    p.add_argument("--runtime", type=int, default=5,
                   help="seconds per fio job (default 5; CPU time has 10 ms resolution)")
    p.add_argument("--only", choices=["matrix", "fidelity", "micro", "fidelity-sim"],
                   help="run one part (fidelity-sim runs only when named)")
    p.add_argument("--update-doc", action="store_true",
                   help="fidelity-sim: write docs/fidelity.md too")
    p.add_argument("--fidelity-guest", action="store_true",
                   help="fidelity-sim: also measure the QD1 read in a TCG guest (a few minutes)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"), metavar="DIR")
    p.add_argument("--qemu", default=os.path.join(ROOT, "build", "qemu-system-x86_64"))
    p.add_argument("--guest-dir", default=os.path.join(ROOT, "build", "guest"))
    p.add_argument("--host-build", default=micro.DEFAULT_BUILD, metavar="DIR",
                   help="meson build dir with bench/nvmev-*-bench (default build/host)")
    args = p.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1 or args.runtime < 1:
        p.error("--repeat and --runtime must be at least 1")
    return args


def _first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout \
            .strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def machine(args):
    model = host_info.cpu_model()
    return {"cpus": os.cpu_count(), "kernel": platform.release(), "model_name": model,
            "accel": "tcg", "guest_cpus": fio_matrix.GUEST_CPUS,
            "git_rev": _first_line(["git", "rev-parse", "--short", "HEAD"]),
            "qemu_version": _first_line([args.qemu, "--version"]),
            "clk_tck": os.sysconf("SC_CLK_TCK"), "loadavg_start": os.getloadavg()}


def run_fidelity_sim(args):
    sim = os.path.join(args.host_build, "tools", "sim", "nvmev-sim")
    res = fidelity_sim.run(sim, args.fidelity_guest, args.qemu, args.guest_dir)
    fidelity_sim.write(res, args.out, args.update_doc)
    return {k: v for k, v in res.items() if k != "markdown"}


def run_parts(args, results):
    """Runs the selected parts; returns the names of those that failed."""
    failed = []
    parts = [("matrix", lambda: fio_matrix.run(args, args.quick, args.repeat, args.runtime)),
             ("fidelity", lambda: fidelity.run(args, args.quick, args.repeat, args.runtime))]
    if not args.quick or args.only == "micro":
        parts.append(("micro", lambda: micro.run(args.host_build, args.quick)))
    if args.only == "fidelity-sim":
        parts.append(("fidelity-sim", lambda: run_fidelity_sim(args)))
    for name, fn in parts:
        if args.only and args.only != name:
            continue
        print(f"nvmev bench: {name}", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            results[name] = fn()
        except (guest.BootFailed, KeyError, ValueError, OSError, RuntimeError,
                subprocess.CalledProcessError) as e:
            print(f"nvmev bench: {name} failed: {e}", file=sys.stderr, flush=True)
            results[name] = None
            results.setdefault("errors", {})[name] = str(e)[-4000:]
            failed.append(name)
        results.setdefault("part_wall_time_s", {})[name] = time.monotonic() - t0
    return failed


def main(argv):
    args = parse_args(argv)
    for path, what in ((args.qemu, "QEMU"), (args.guest_dir, "guest image")):
        needs_guest = args.only not in ("micro", "fidelity-sim") or args.fidelity_guest
        if needs_guest and not os.path.exists(path):
            print(f"nvmev bench: {what} {path} not found (./nvmev build, or --qemu/"
                  "--guest-dir)", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    start = time.monotonic()
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(args),
               "options": {"quick": args.quick, "repeat": args.repeat,
                           "runtime_s": args.runtime, "only": args.only}}
    failed = run_parts(args, results)
    results["targets"] = report.targets(results)
    results["wall_time_s"] = time.monotonic() - start
    # Other jobs on a shared machine skew everything: say how busy it was.
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["figures"] = plots.make_all(results, args.out)
    text = report.table(results)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.out, "results.txt"), "w") as f:
        f.write(text)
    print(text + f"results: {args.out}/results.json, results.txt"
          + "".join(f", {p}" for p in results["figures"]))
    if failed:
        print(f"nvmev bench: failed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
