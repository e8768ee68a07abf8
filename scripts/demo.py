#!/usr/bin/env python3
"""./nvmev demo: boot a guest on an emulated Optane-like SSD and show it.

Inside the guest: `nvme list`, the key `nvme id-ctrl` fields, and a short fio
run (4 KiB random reads at QD1 and QD32). From the host, while the guest
runs: `query-nvmev` over QMP, showing the device's own view (counters and
completion lateness).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FIO = ("fio --name={name} --filename=/dev/nvme0n1 --direct=1 --rw=randread "
       "--bs=4k --size=256M --ioengine=io_uring --iodepth={qd} --runtime=3 "
       "--time_based --output-format=terse --terse-version=3 | "
       "awk -F';' '{{printf \"  %-28s %8.0f IOPS   mean latency %7.1f us\\n\", "
       "\"{label}\", $8, $40}}'")

GUEST_JOB = "\n".join([
    "echo '== nvme list'",
    "nvme list",
    "echo",
    "echo '== nvme id-ctrl /dev/nvme0 (key fields)'",
    "nvme id-ctrl /dev/nvme0 | grep -E '^(vid|sn|mn|fr|mdts|sqes|cqes|nn|oncs|vwc) '",
    "echo",
    "echo '== fio, 4 KiB random reads (configured: 12 us, 2577 MB/s; "
    "this guest is emulated with TCG, which adds its own cost per I/O)'",
    FIO.format(name="qd1", qd=1, label="QD1"),
    FIO.format(name="qd32", qd=32, label="QD32"),
    "echo",
    "echo '== query-nvmev, from the host over QMP'",
    "nvmev-host query",
])

QUERY_HOOK = (f"python3 {ROOT}/scripts/qmp.py \"$NVMEV_QMP\" query-nvmev | python3 -c '"
              "import json, sys; d = json.load(sys.stdin)[0]; "
              "print(json.dumps({k: d[k] for k in (\"id\", \"kind\", \"preset\", \"model\", "
              "\"capacity-bytes\", \"timing\", \"counters\", \"lateness\")}, indent=2))'")


def main():
    print("nvmev demo: booting a guest on -device nvmev,ssd=nvm (preset intel-p4800x)",
          flush=True)
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "run.py"),
           "--ssd", "nvm", "--size", "1G", "--iothread",
           "--device-opts", "serial=NVMEV-DEMO-0001",
           "--hook", f"query={QUERY_HOOK}", "--timeout", "240",
           "--cmd", GUEST_JOB]
    return subprocess.call(cmd, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
