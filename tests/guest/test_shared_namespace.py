"""One namespace shared by two controllers (an nvmev-subsys) from a Linux
guest with native NVMe multipath: one subsystem with two controllers and
one block device with two paths; a block written through one controller's
path read back through the other's; fio write + verify through the shared
block device while one controller is reset and then hot-unplugged
(device_del behind a pcie-root-port): the I/O fails over to the other
path and every block verifies."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, fio_job, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP"
MIB = 2**20
SIZE = "128M"


def fio(name, **opts):
    """A fio job on the shared block device $disk; its JSON is section NAME."""
    base = dict(ioengine="io_uring", iodepth=8, bs="4k")
    base.update(opts)
    return fio_job(name, dev="/dev/$disk", **base)


# inflight: waits until the shared disk $disk has requests in flight on
# one of its paths, the hidden nvmeXcYnZ disks (up to 60 s): the
# multipath node itself does not count them in Linux 6.1.
INFLIGHT = ("busy() { t=0; for p in /sys/block/nvme*c*n*; do read r w < $p/inflight; "
            "t=$((t + r + w)); done; [ $t -gt 0 ]; }; "
            "inflight() { i=0; until busy; do i=$((i + 1)); [ $i -lt 1200 ] || "
            "{ echo \"TIMEOUT: no I/O in flight on $disk\"; exit 1; }; sleep 0.05; done; }")


class SharedNamespaceTest(unittest.TestCase):
    def assertJob(self, r, name, written):
        job = r.json(name)["jobs"][0]
        self.assertEqual(job["error"], 0, f"{name}:\n{r.out}")
        self.assertEqual(job["write"]["io_bytes"], written, name)
        self.assertEqual(job["read"]["io_bytes"], written, name)

    def test_two_paths_reset_and_unplug_under_fio(self):
        # The subsystem device comes before the controllers that name it,
        # so both controllers are given here (--no-device).
        qemu = ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                "-device", "nvmev-subsys,id=s0",
                "-device", f"nvmev,id=nvme0,subsys=s0,cntlid=1,size={SIZE}",
                "-device", "pcie-root-port,id=rp1,chassis=1,port=1",
                "-device", f"nvmev,id=nvme1,bus=rp1,subsys=s0,cntlid=2,size={SIZE}"]
        check = (f"for i in $(seq 40); do {QMP} query-nvmev | grep -q '\"nvme1\"' || break; "
                 "sleep 0.5; done; "
                 f"echo ==QMP==; {QMP} query-nvmev; "
                 "echo ==END QMP==")
        busy = dict(size="48M", rw="randwrite", verify="crc32c", do_verify=1, verify_fatal=1)
        job = "\n".join([
            "set -e",
            INFLIGHT,
            "nvmev-wait /dev/nvme1 30 && nvmev-wait nvme0 20 && nvmev-wait nvme1 20",
            # The controllers by CNTLID: a (1, nvme0) stays, b (2) goes.
            "for c in /sys/class/nvme/nvme*; do case $(cat $c/cntlid) in 1) a=${c##*/};; "
            "2) b=${c##*/};; esac; done",
            "disk=$(ls /sys/block | grep -E '^nvme[0-9]+n[0-9]+$')",
            "sub=$(for s in /sys/class/nvme-subsystem/*; do [ -e $s/$a ] && basename $s || true; done)",
            "echo ==TOPOLOGY==; echo disk=$disk a=$a b=$b sub=$sub",
            "ls -1 /sys/class/nvme-subsystem/",
            "echo ctrls: $(ls /sys/class/nvme-subsystem/$sub | grep -E '^nvme[0-9]+$')",
            "echo paths: $(ls /sys/block | grep -E '^nvme[0-9]+c[0-9]+n[0-9]+$')",
            "echo nqn: $(cat /sys/class/nvme-subsystem/$sub/subsysnqn)",
            "echo ==END TOPOLOGY==",
            "echo ==LIST-SUBSYS==; nvme list-subsys -o json /dev/$disk; echo ==END LIST-SUBSYS==",
            # Spread the I/O over both paths.
            "echo round-robin > /sys/class/nvme-subsystem/$sub/iopolicy",
            # Written through controller a, read through controller b: I/O
            # passthrough on each controller's own node (with multipath the
            # paths have no block or generic node of their own).
            "head -c 8192 /dev/urandom > /tmp/pattern",
            "nvme io-passthru /dev/$a --opcode=0x01 --namespace-id=1 --cdw10=64 --cdw12=15 "
            "--data-len=8192 --write --input-file=/tmp/pattern >/dev/null",
            "nvme io-passthru /dev/$b --opcode=0x02 --namespace-id=1 --cdw10=64 --cdw12=15 "
            "--data-len=8192 --read --raw-binary > /tmp/back",
            "cmp /tmp/pattern /tmp/back && echo PATH-B-READS-PATH-A",
            # Reset of b while fio writes and verifies through the shared disk.
            f"({fio('reset', **busy)}) > /tmp/reset.out 2>&1 &",
            "pid=$!",
            "inflight; kill -0 $pid && echo BUSY-AT-RESET",
            "echo 1 > /sys/class/nvme/$b/reset_controller",
            "nvmev-wait $b 20",
            "wait $pid || true; cat /tmp/reset.out",
            # Hot-unplug of b under fio: the disk keeps its path through a.
            f"({fio('unplug', offset='64M', **busy)}) > /tmp/unplug.out 2>&1 &",
            "pid=$!",
            "inflight; kill -0 $pid && echo BUSY-AT-UNPLUG",
            "nvmev-host unplug",
            "i=0; while [ -e /sys/class/nvme/$b ]; do sleep 0.5; i=$((i+1)); "
            "[ $i -lt 60 ] || { echo $b not removed; exit 3; }; done",
            "wait $pid || true; cat /tmp/unplug.out",
            "echo ==AFTER==; echo ctrls: $(ls /sys/class/nvme-subsystem/$sub | "
            "grep -E '^nvme[0-9]+$'); echo paths: $(ls /sys/block | grep -E '^nvme[0-9]+c[0-9]+n[0-9]+$'); echo ==END AFTER==",
            fio("after", verify_only=1, **busy),
            "nvmev-host check",
        ])
        r = run_guest(job, "--no-device",
                      "--hook", f"unplug={QMP} device_del '{{\"id\": \"nvme1\"}}'",
                      "--hook", f"check={check}", "--", *qemu, timeout=600,
                      kernel_log_allow=[r"nvme nvme\d+: resetting controller$",
                                        # nvme io-passthru on a controller node
                                        r"using deprecated NVME_IOCTL_IO_CMD ioctl"])
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
        topo = r.section("TOPOLOGY")
        self.assertRegex(topo, r"ctrls: nvme\d+ nvme\d+\n")
        self.assertRegex(topo, r"paths: nvme\d+c\d+n1 nvme\d+c\d+n1\n")
        self.assertIn("nqn: nqn.2026-11.io.nvmev:subsys:s0", topo)
        subsystems = [line for line in topo.splitlines() if line.startswith("nvme-subsys")]
        self.assertEqual(len(subsystems), 1, topo)
        self.assertIn("PATH-B-READS-PATH-A", r.out)
        self.assertIn("BUSY-AT-RESET", r.out)
        self.assertIn("BUSY-AT-UNPLUG", r.out)
        self.assertJob(r, "reset", 48 * MIB)
        self.assertJob(r, "unplug", 48 * MIB)
        self.assertJob(r, "after", 48 * MIB)
        after = r.section("AFTER")
        self.assertRegex(after, r"ctrls: nvme\d+\n")
        self.assertRegex(after, r"paths: nvme\d+c\d+n1\n")
        out = r.section("QMP")
        listed = json.loads(out[:out.rindex("]") + 1])
        self.assertEqual([d["id"] for d in listed], ["nvme0"])


if __name__ == "__main__":
    unittest.main()
