"""Guest test of kernel bypass (docs/kernel-bypass.md): the nvmev controller
behind an emulated Intel IOMMU (./nvmev run --iommu), handed from the
kernel's nvme driver to vfio-pci and driven by QEMU's userspace NVMe driver
(Debian's qemu-io and qemu-img, nvme://).

One boot: data written by the kernel driver is read back by the userspace
driver with its pattern checked, and the other way round; qemu-img bench
IOPS through both drivers on the same device; the IOMMU translating the
userspace driver's DMA (QEMU's vtd_* trace events for the device's source
ID while nvmev counts its commands); an Identify whose PRP points one page
past the VFIO mapping completes with Data Transfer Error while QEMU and the
device carry on; and the run.py and guest-side refusals of a bad
configuration."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import RUN, ROOT, STEP, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py \"$NVMEV_QMP\""
# qemu-img bench: 4 KiB requests at queue depth 8, away from the pattern areas.
BENCH = "-c {count} -d 8 -s 4096 -o 64M"
BENCH_COUNT = 20000
KERNEL_DEV = "/dev/nvme0n1"


def bench(target, write, extra=""):
    w = "-w --pattern=0x5a " if write else ""
    return f"qemu-img bench -f raw -t none {extra} {w}{BENCH.format(count=BENCH_COUNT)} {target}"


JOB = STEP + f"""
set -e
K={KERNEL_DEV}
step KERNEL-WRITE qemu-io -f raw -t none -c 'write -P 0x3c 2M 1M' $K
step KERNEL-BENCH-READ {bench("$K", False, "-i native")}
step KERNEL-BENCH-WRITE {bench("$K", True, "-i native")}
ADDR=$(nvmev-vfio bind nvme0)
echo ==ADDR==; echo $ADDR; echo ==END ADDR==
U=nvme://$ADDR/1
# QEMU's userspace NVMe driver traces its queues (nvme_* events) to a file:
# if qemu-io fails, the test prints the last submissions and completions.
bypass_io() {{
    qemu-io --trace 'nvme_*' -f raw -c 'read -P 0x3c 2M 1M' -c 'write -P 0xab 0 1M' \\
        -c 'read -P 0xab 0 1M' -c 'write -P 0x11 4M 4k' -c 'read -P 0x11 4M 4k' $1 2>/tmp/qio.trace
    rc=$?
    grep -v '^nvme_' /tmp/qio.trace
    return $rc
}}
nvmev-host trace-on
step BYPASS-IO bypass_io $U || {{
    rc=$?
    echo ==BYPASS-TRACE==; grep '^nvme_' /tmp/qio.trace | grep -v map_qiov_page | tail -40
    echo ==END BYPASS-TRACE==
    echo ==DMESG==; dmesg | tail -25; echo ==END DMESG==
    exit $rc
}}
nvmev-host trace-off
step BYPASS-BENCH-READ {bench("$U", False)}
step BYPASS-BENCH-WRITE {bench("$U", True)}
step PROBE nvmev-vfio-probe $ADDR
nvmev-vfio unbind $ADDR
nvmev-wait nvme0
step KERNEL-READBACK qemu-io -f raw -t none -c 'read -P 0xab 0 1M' -c 'read -P 0x11 4M 4k' $K
echo ==DMAR==; dmesg | grep 'DMAR:.*fault' || true; echo ==END DMAR==
"""


def completed_per_s(text):
    """IOPS from qemu-img bench's output ("Run completed in S seconds.")."""
    m = re.search(r"Run completed in ([0-9.]+) seconds", text)
    if not m:
        raise AssertionError(f"no bench result in:\n{text}")
    return BENCH_COUNT / float(m.group(1))


def failure_summary(r):
    """What a failed job shows first, kept short so it survives a
    truncated log: the step that failed and the end of its output, the
    userspace driver's last trace events and the guest kernel's log."""
    steps = re.findall(r"^==([A-Z0-9-]+)==$", r.out, re.M)
    last = next((n for n in reversed(steps) if n not in ("BYPASS-TRACE", "DMESG", "END")), "?")
    parts = [f"job rc {r.rc}; last step {last}"]
    for name in (last, "BYPASS-TRACE", "DMESG"):
        m = re.search(rf"^=={name}==\n(.*?)(^==END {name}==|\Z)", r.out, re.S | re.M)
        if m:
            tail = "\n".join(m.group(1).splitlines()[-25:])
            parts.append(f"--- {name} (end) ---\n{tail}")
    return "\n".join(parts) + "\n--- runner stderr (end) ---\n" + r.err[-800:]


class KernelBypassGuestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nvmev-bypass.")
        self.trace = os.path.join(self.tmp, "trace.log")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def snapshot(self, name):
        return f"{QMP} query-nvmev > {self.tmp}/{name}.json"

    def counters(self, name):
        with open(os.path.join(self.tmp, f"{name}.json")) as f:
            return json.load(f)[0]["counters"]

    def test_userspace_driver_behind_the_iommu(self):
        # The IOTLB events are on only while qemu-io runs (trace-on/off), so
        # the benches are not slowed by the log; a DMAR fault is traced all
        # along. One "-trace" at start-up switches the log backend on.
        tr = "vtd_iotlb_page_*"
        r = run_guest(
            JOB, "--iommu", "--size", "256M", "--timeout", "280",
            "--hook", f"trace-on={self.snapshot('before')} && "
                      f"{QMP} trace-event-set-state '{{\"name\": \"{tr}\", \"enable\": true}}'",
            "--hook", f"trace-off={QMP} trace-event-set-state '{{\"name\": \"{tr}\", \"enable\": false}}'"
                      f" && {self.snapshot('after')}",
            "--", "-trace", "enable=vtd_dmar_fault", "-D", self.trace, timeout=330)
        self.assertEqual(r.rc, 0, failure_summary(r))

        # Data: each pattern read back by the other driver, checked by qemu-io.
        for name in ("KERNEL-WRITE", "BYPASS-IO", "KERNEL-READBACK"):
            text = r.section(name)
            self.assertNotIn("Pattern verification failed", text, name)
            self.assertNotIn("error", text.lower(), name)
        self.assertEqual(r.section("BYPASS-IO").count("read 1048576/1048576 bytes"), 2)
        self.assertEqual(r.section("BYPASS-IO").count("wrote 1048576/1048576 bytes"), 1)
        self.assertEqual(r.section("KERNEL-READBACK").count("read "), 2)

        # IOPS through both drivers (printed for docs/kernel-bypass.md).
        iops = {name: completed_per_s(r.section(name)) for name in
                ("KERNEL-BENCH-READ", "KERNEL-BENCH-WRITE", "BYPASS-BENCH-READ",
                 "BYPASS-BENCH-WRITE")}
        print("\nqemu-img bench IOPS: " + ", ".join(f"{k} {v:.0f}" for k, v in iops.items()),
              file=sys.stderr)
        for v in iops.values():
            self.assertGreater(v, 0)

        # The IOMMU translated the userspace driver's DMA: IOTLB lookups for
        # the device's source ID (bus << 8 | devfn) while nvmev served
        # qemu-io's commands, every one of which fetched its SQE and posted
        # its CQE by DMA.
        addr = r.section("ADDR").strip()
        m = re.fullmatch(r"0000:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])", addr)
        self.assertTrue(m, addr)
        sid = int(m.group(1), 16) << 8 | int(m.group(2), 16) << 3 | int(m.group(3))
        with open(self.trace, errors="replace") as f:
            log = f.read()
        lookups = [ln for ln in log.splitlines()
                   if re.search(rf"vtd_iotlb_page_(hit|update) .*sid 0x{sid:x}\b", ln)]
        before, after = self.counters("before"), self.counters("after")
        commands = sum(after[k] - before[k] for k in ("read-cmds", "write-cmds", "other-cmds"))
        print(f"IOMMU: {len(lookups)} IOTLB lookups for sid 0x{sid:04x} during "
              f"{commands} commands", file=sys.stderr)
        self.assertGreaterEqual(commands, 4)
        self.assertGreaterEqual(len(lookups), 2 * commands)

        # A PRP one page past the mapping: Data Transfer Error (SCT 0, SC
        # 04h), a DMAR fault for the device, and the next command works.
        probe = r.section("PROBE")
        self.assertRegex(probe, r"unmapped-prp iova=0x10010000 status=0x0004 sct=0 sc=0x04")
        self.assertRegex(probe, r"mapped-prp iova=0x10002000 status=0x0000 sct=0 sc=0x00 "
                                r"vid=0x1b36")
        self.assertRegex(log, rf"vtd_dmar_fault sid 0x{sid:x} fault \d+ addr 0x10010000 write 1")
        self.assertRegex(r.section("DMAR"), rf"\[{addr[5:]}\] fault addr 0x10010000")


class BadConfigurationTest(unittest.TestCase):
    def run_py(self, *args):
        return subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=60)

    def test_iommu_device_without_the_guest_flag_is_refused(self):
        r = self.run_py("--cmd", "true", "--", "-device", "intel-iommu")
        self.assertEqual(r.returncode, 2)
        self.assertIn("use --iommu", r.stderr)
        self.assertIn("intel_iommu=on", r.stderr)
        r = self.run_py("--iommu", "--append", "intel_iommu=off", "--cmd", "true")
        self.assertEqual(r.returncode, 2)
        self.assertIn("intel_iommu=off", r.stderr)

    def test_vfio_without_an_iommu_is_refused_in_the_guest(self):
        r = run_guest(STEP + "step BIND nvmev-vfio bind nvme0; echo rc=$?", timeout=200)
        self.assertEqual(r.rc, 0, r.out[-3000:])
        text = r.section("BIND")
        self.assertIn("this guest has no IOMMU", text)
        self.assertIn("./nvmev run --iommu", text)
        self.assertIn("rc=1", r.out)


if __name__ == "__main__":
    unittest.main()
