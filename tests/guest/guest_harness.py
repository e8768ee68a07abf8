"""Helpers for guest end-to-end tests: boot the guest with scripts/run.py and
read what the job printed."""

import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = [os.environ.get("PYTHON", "python3"), os.path.join(ROOT, "scripts", "run.py")]


class GuestRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def section(self, name):
        """Text the job printed between '==NAME==' and '==END NAME=='."""
        m = re.search(rf"^=={re.escape(name)}==\n(.*?)^==END {re.escape(name)}==$",
                      self.out, re.S | re.M)
        if not m:
            raise AssertionError(f"no section {name} in guest output:\n{self.out}\n{self.err}")
        return m.group(1)

    def json(self, name):
        return json.loads(self.section(name))


def run_guest(cmd, *args, timeout=600):
    # Arguments from a bare "--" on go to QEMU, so they stay last.
    args = list(args)
    cut = args.index("--") if "--" in args else len(args)
    proc = subprocess.run([*RUN, *args[:cut], "--timeout", str(timeout - 30), "--cmd", cmd,
                           *args[cut:]],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    return GuestRun(proc)


def fio_job(name, **opts):
    """A fio command line whose JSON output is printed as section NAME."""
    args = " ".join(f"--{k}={v}" for k, v in opts.items())
    return (f"fio --name={name} --filename=/dev/nvme0n1 --direct=1 {args} "
            f"--output-format=json --output=/tmp/{name}.json && "
            f"echo =={name}== && cat /tmp/{name}.json && echo ==END {name}==")


def mean_lat_us(result, op="read"):
    return result["jobs"][0][op]["lat_ns"]["mean"] / 1000.0


def median_lat_us(result, op="read"):
    """Median total latency (needs lat_percentiles=1 in the job)."""
    return result["jobs"][0][op]["lat_ns"]["percentile"]["50.000000"] / 1000.0
