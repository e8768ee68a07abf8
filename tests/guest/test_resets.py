"""Resets and hot-unplug from a Linux guest: `nvme reset` and a PCIe
Function Level Reset (sysfs `reset`) when idle and under fio, with the data
verified afterwards; and `device_del` of a second controller behind a
pcie-root-port while fio runs on it: the guest carries on and QEMU answers
QMP, no longer lists the device and lets its memory backend go."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP"
MIB = 2**20


def fio(name, dev="/dev/nvme0n1", more="", **opts):
    """A fio job whose JSON is printed as section NAME; its status does not
    end the job (the test reads the JSON)."""
    base = dict(direct=1, ioengine="io_uring", iodepth=16, bs="4k")
    base.update(opts)
    args = " ".join(f"--{k}={v}" for k, v in base.items())
    return (f"fio --name={name} --filename={dev} {args} {more} --output-format=json "
            f"--output=/tmp/{name}.json; "
            f"echo =={name}== && cat /tmp/{name}.json && echo ==END {name}==")


# inflight DISK: waits until DISK has requests in flight (up to 60 s, then
# ends the job), so that what comes next hits I/O that is under way.
INFLIGHT = ("inflight() { i=0; while read r w < /sys/block/$1/inflight; [ $(( ${r:-0} + ${w:-0} )) -eq 0 ]; "
            "do i=$((i + 1)); [ $i -lt 1200 ] || { echo \"TIMEOUT: no I/O in flight on $1 "
            "within 60 s\"; exit 1; }; sleep 0.05; done; }")


def kernel_nvme_errors(dmesg):
    return [line for line in dmesg.splitlines()
            if re.search(r"(?i)nvme", line) and re.search(r"(?i)error|timeout|abort|fail", line)]


class GuestResetTest(unittest.TestCase):
    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def assertJob(self, r, name, written, read):
        job = r.json(name)["jobs"][0]
        self.assertEqual(job["error"], 0, f"{name}:\n{r.out}")
        self.assertEqual(job["write"]["io_bytes"], written, name)
        self.assertEqual(job["read"]["io_bytes"], read, name)

    def test_nvme_reset_and_flr_idle_and_under_io(self):
        seed = dict(size="32M", rw="randwrite", verify="crc32c", verify_fatal=1)
        busy = dict(size="128M", offset="64M", rw="randwrite", verify="crc32c",
                    do_verify=1, verify_fatal=1)
        job = "\n".join([
            "set -e",
            INFLIGHT,
            "bdf=$(basename $(readlink /sys/class/nvme/nvme0/device))",
            "echo ==METHOD== && cat /sys/bus/pci/devices/$bdf/reset_method && "
            "echo ==END METHOD==",
            fio("seed", do_verify=1, **seed),
            # Idle: controller reset, then FLR; the data is still there.
            "nvme reset /dev/nvme0 && nvmev-wait nvme0 20",
            fio("after_reset", more="--verify_only=1", **seed),
            "echo 1 > /sys/bus/pci/devices/$bdf/reset && nvmev-wait nvme0 20",
            fio("after_flr", more="--verify_only=1", **seed),
            # Under I/O: both resets while fio writes and verifies.
            f"({fio('busy', **busy)}) > /tmp/busy.out 2>&1 &",
            "pid=$!",
            "inflight nvme0n1; kill -0 $pid && echo BUSY-AT-RESET",
            "nvme reset /dev/nvme0; nvmev-wait nvme0 20",
            "inflight nvme0n1; kill -0 $pid && echo BUSY-AT-FLR",
            "echo 1 > /sys/bus/pci/devices/$bdf/reset; nvmev-wait nvme0 20",
            "wait $pid || true",
            "cat /tmp/busy.out",
            fio("after_busy", more="--verify_only=1", **seed),
            "echo ==STATE== && cat /sys/class/nvme/nvme0/state && echo ==END STATE==",
            "echo ==DMESG== && dmesg && echo ==END DMESG==",
        ])
        # Linux logs each reset the test asks for (nvme reset) at warning level.
        r = run_guest(job, "--size", "256M", timeout=900,
                      kernel_log_allow=[r"nvme nvme0: resetting controller$"])
        self.assertGuestOk(r)
        self.assertJob(r, "seed", 32 * MIB, 32 * MIB)
        # verify_only counts the writes it skipped; the read pass checked them.
        for name in ("after_reset", "after_flr", "after_busy"):
            self.assertJob(r, name, 32 * MIB, 32 * MIB)
        self.assertJob(r, "busy", 128 * MIB, 128 * MIB)
        # Both resets hit fio while it ran.
        self.assertIn("BUSY-AT-RESET", r.out)
        self.assertIn("BUSY-AT-FLR", r.out)
        self.assertEqual(r.section("STATE").strip(), "live")
        # The sysfs reset is a Function Level Reset.
        self.assertEqual(r.section("METHOD").split()[0], "flr")
        # The resets are logged; I/O errors or timeouts are not expected.
        self.assertEqual(kernel_nvme_errors(r.section("DMESG")), [])

    def unplug_during_fio(self, iothread):
        dev = "nvmev,id=nvme1,bus=rp1,memdev=hpmem,serial=HOTPLUG-1"
        qemu = ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                "-device", "pcie-root-port,id=rp1,chassis=1,port=1",
                "-object", f"memory-backend-ram,id=hpmem,size={256 * MIB}"]
        if iothread:
            qemu += ["-object", "iothread,id=hpio"]
            dev += ",iothread=hpio"
        qemu += ["-device", dev]
        # The guest powers the slot off after its driver let go; QEMU
        # unrealizes the device then. Give that up to 20 s.
        check = (f"for i in $(seq 40); do {QMP} query-nvmev | grep -q '\"nvme1\"' || break; "
                 "sleep 0.5; done; "
                 f"echo ==QMP==; {QMP} query-nvmev; "
                 f"{QMP} object-del '{{\"id\": \"hpmem\"}}' >/dev/null && echo OBJECT-DEL-OK; "
                 "echo ==END QMP==")
        job = "\n".join([
            "set -e",
            INFLIGHT,
            "nvmev-wait nvme1 20",
            # Probing is asynchronous: find the hot-pluggable one by serial.
            "for c in /sys/class/nvme/nvme*; do case $(cat $c/serial) in HOTPLUG-1*) "
            "hp=${c##*/};; *) keep=${c##*/};; esac; done",
            "echo ==NAMES== && echo $hp $keep && echo ==END NAMES==",
            f"fio --name=victim --filename=/dev/${{hp}}n1 --direct=1 --ioengine=io_uring "
            f"--iodepth=16 --bs=4k --rw=randrw --size=128M --time_based --runtime=120 "
            f"> /tmp/victim.out 2>&1 &",
            "pid=$!",
            "inflight ${hp}n1",
            "nvmev-host unplug",
            # pciehp waits 5 s after the attention button, then removes.
            "i=0; while [ -e /sys/class/nvme/$hp ]; do sleep 0.5; i=$((i+1)); "
            "[ $i -lt 120 ] || { echo $hp not removed; exit 3; }; done",
            "wait $pid || echo fio-ended-with-$?",
            "nvmev-host check",
            fio("survivor", dev="/dev/${keep}n1", size="32M", rw="randwrite", verify="crc32c", do_verify=1,
                verify_fatal=1),
            "echo ==DMESG== && dmesg && echo ==END DMESG==",
        ])
        r = run_guest(job, "--size", "256M", "--hook",
                      f"unplug={QMP} device_del '{{\"id\": \"nvme1\"}}'",
                      "--hook", f"check={check}", "--", *qemu, timeout=900)
        self.assertGuestOk(r)
        out = r.section("QMP")
        self.assertIn("OBJECT-DEL-OK", out)
        listed = json.loads(out[:out.rindex("]") + 1])
        self.assertEqual([d["id"] for d in listed], ["nvme0"])
        self.assertJob(r, "survivor", 32 * MIB, 32 * MIB)
        self.assertRegex(r.section("DMESG"), r"pciehp.*Slot\(\d+\).*Attention button pressed")

    def test_device_del_during_fio(self):
        self.unplug_during_fio(False)

    def test_device_del_during_fio_with_an_iothread(self):
        self.unplug_during_fio(True)


if __name__ == "__main__":
    unittest.main()
