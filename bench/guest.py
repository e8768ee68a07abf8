"""One guest boot running a script of fio jobs, and the pieces of that script.

Each fio job prints its JSON between `==NAME==` and `==END NAME==`; host
hooks (run.py's `nvmev-host NAME`) run between jobs, with the guest waiting.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = [sys.executable, os.path.join(ROOT, "scripts", "run.py")]
QMP = f"{sys.executable} {ROOT}/scripts/qmp.py \"$NVMEV_QMP\""

# Zero added latency and a bandwidth far above anything TCG can reach, so the
# emulation path itself is what is measured.
NVMEV_FAST = ("read-latency-ns=0,write-latency-ns=0,"
              "read-bandwidth-mbps=1000000,write-bandwidth-mbps=1000000")

# run.py options per device under test.
DEVICES = {
    "nvmev-iothread": ["--iothread", "--device-opts", NVMEV_FAST],
    # The same IOThread without adaptive polling: what polling costs in CPU.
    "nvmev-iothread-nopoll": ["--iothread", "--iothread-opts", "poll-max-ns=0",
                              "--device-opts", NVMEV_FAST],
    "nvmev": ["--device-opts", NVMEV_FAST],
    # Two IOThreads (iothread-vq-mapping): each vCPU's queue pair in its own.
    "nvmev-2iothreads": ["--iothreads", "2", "--device-opts", NVMEV_FAST],
    "nvmev-2iothreads-nopoll": ["--iothreads", "2", "--iothread-opts", "poll-max-ns=0",
                                "--device-opts", NVMEV_FAST],
    "qemu-nvme": ["--baseline", "nvme"],
    "virtio-blk": ["--baseline", "virtio-blk", "--iothread"],
}

# fio allows at most 20 entries; enough for a CDF.
PERCENTILES = "1:5:10:20:30:40:50:60:70:80:90:95:97:99:99.5:99.9:99.99"


def block_device(device):
    return "/dev/vda" if device == "virtio-blk" else "/dev/nvme0n1"


def fio(name, dev, **opts):
    """A guest fio job (io_uring, direct) whose JSON becomes section NAME."""
    base = dict(ioengine="io_uring", direct=1, size="512M", percentile_list=PERCENTILES)
    base.update(opts)
    args = " ".join(f"--{k}={v}" for k, v in base.items())
    return (f"fio --name={name} --filename={dev} {args} --output-format=json "
            f"--output=/tmp/{name}.json\n"
            f"echo =={name}==; cat /tmp/{name}.json; echo ==END {name}==\n")


def hook(name):
    """Guest line: run host hook NAME; a failed hook fails the job."""
    return f"nvmev-host {name} || exit 1\n"


def sections(text):
    out = {}
    for m in re.finditer(r"(?ms)^==([^=\n]+)==\n(.*?)^==END \1==$", text):
        out[m.group(1)] = m.group(2)
    return out


class BootFailed(RuntimeError):
    pass


def boot(device, script, hooks, opts, extra=(), timeout=900, attempts=2):
    """Boots DEVICE once and runs SCRIPT; returns {section: parsed fio JSON}.
    HOOKS: {name: host shell command}. A boot that fails right away (the QEMU
    binary being relinked, say) is retried once."""
    args = [*RUN, "--qemu", opts.qemu, "--guest-dir", opts.guest_dir, "--size", "1G",
            "--timeout", str(timeout), *DEVICES[device], *extra]
    for name, cmd in hooks.items():
        args += ["--hook", f"{name}={cmd}"]
    job = "set -e\n" + script
    for attempt in range(attempts):
        start = time.monotonic()
        proc = subprocess.run([*args, "--cmd", job], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        if proc.returncode == 0:
            break
        early = time.monotonic() - start < 30
        if not early or attempt + 1 == attempts:
            raise BootFailed(f"{device}: guest job failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
        print(f"  {device}: boot failed early, retrying", file=sys.stderr, flush=True)
        time.sleep(5)
    return {k: json.loads(v) for k, v in sections(proc.stdout).items()}


def shq(text):
    return shlex.quote(text)
