"""Guest end-to-end test of several namespaces on one controller: a conv
NSID 1 and a zns NSID 2 (an nvmev-ns). Linux shows nvme0n1 (not zoned) and
nvme0n2 (host-managed); fio writes and verifies both; blkzone reports n2's
zones; nvme detach-ns / attach-ns (Namespace Attachment) and the same over
QMP make the kernel rescan (the Namespace Attribute Changed notice), so
/dev/nvme0n2 disappears and comes back with its data."""

import json
import os
import re
import shlex
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py"
ZONE_LBAS = 16 * 2**20 // 512

PRELUDE = r"""
step() { n=$1; shift; echo "==$n=="; "$@" 2>&1; echo "rc=$?"; echo "==END $n=="; }
# gone|back DEV: wait up to 20 s for DEV to disappear / appear.
gone() { for i in $(seq 200); do [ -e "$1" ] || return 0; sleep 0.1; done; return 1; }
back() { for i in $(seq 200); do [ -b "$1" ] && return 0; sleep 0.1; done; return 1; }
sum1() { dd if=/dev/nvme0n1 bs=1M count=16 iflag=direct 2>/dev/null | md5sum | cut -c1-32; }
sum2() { dd if=/dev/nvme0n2 bs=64k count=16 iflag=direct 2>/dev/null | md5sum | cut -c1-32; }
"""


def qmp_hook(name, command, arguments):
    return ("--hook", f"{name}={QMP} \"$NVMEV_QMP\" {command} "
            + shlex.quote(json.dumps(arguments)))


class NamespacesGuestTest(unittest.TestCase):
    maxDiff = None

    def section_rc(self, r, name):
        text = r.section(name).rstrip("\n").split("\n")
        m = re.fullmatch(r"rc=(\d+)", text[-1])
        self.assertIsNotNone(m, f"{name}: {text}")
        return "\n".join(text[:-1]), int(m.group(1))

    def ok(self, r, name):
        out, rc = self.section_rc(r, name)
        self.assertEqual(rc, 0, f"step {name} failed:\n{out}")
        return out

    def test_conv_and_zns_namespaces_with_detach_attach(self):
        fio = ("fio --name={n} --filename={dev} --direct=1 --ioengine=psync --bs=64k "
               "--verify=crc32c --do_verify=1 --output-format=json {extra}")
        script = PRELUDE + "\n".join([
            "echo mq-deadline > /sys/block/nvme0n2/queue/scheduler",
            "step ZONED cat /sys/block/nvme0n1/queue/zoned /sys/block/nvme0n2/queue/zoned",
            "step SIZES cat /sys/block/nvme0n1/size /sys/block/nvme0n2/size",
            "step FIO1 " + fio.format(n="n1", dev="/dev/nvme0n1",
                                      extra="--rw=randwrite --size=16M"),
            "step FIO2 " + fio.format(n="n2", dev="/dev/nvme0n2",
                                      extra="--zonemode=zbd --rw=write --size=32M"),
            "step BZ blkzone report /dev/nvme0n2",
            "S1=$(sum2); T1=$(sum1)",
            "step DETACH nvme detach-ns /dev/nvme0 --namespace-id=2 --controllers=1",
            "step GONE gone /dev/nvme0n2",
            "step LS1 ls /sys/block",
            "step ATTACH nvme attach-ns /dev/nvme0 --namespace-id=2 --controllers=1",
            "step BACK back /dev/nvme0n2",
            "echo mq-deadline > /sys/block/nvme0n2/queue/scheduler",
            "step SAME test \"$S1\" = \"$(sum2)\"",
            "step BZ2 blkzone report /dev/nvme0n2",
            # Over QMP: only the notice can tell the kernel.
            "step QDETACH nvmev-host detach",
            "step QGONE gone /dev/nvme0n2",
            "step QATTACH nvmev-host attach",
            "step QBACK back /dev/nvme0n2",
            "step SAME2 test \"$S1\" = \"$(sum2)\"",
            "step N1SAME test \"$T1\" = \"$(sum1)\"",
            "true",
        ])
        r = run_guest(script, "--ssd", "conv", "--size", "64M",
                      "--namespace", "ssd=zns,nsid=2,size=128M,zone-size=16M",
                      *qmp_hook("detach", "nvmev-ns-detach", {"id": "nvme0", "nsid": 2}),
                      *qmp_hook("attach", "nvmev-ns-attach", {"id": "nvme0", "nsid": 2}),
                      timeout=600)
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
        self.assertEqual(self.ok(r, "ZONED").split(), ["none", "host-managed"])
        self.assertEqual(self.ok(r, "SIZES").split(), [str(64 * 2**20 // 512),
                                                        str(128 * 2**20 // 512)])
        for name in ("FIO1", "FIO2"):
            res = json.loads(self.ok(r, name))
            job = res["jobs"][0]
            self.assertEqual(job["error"], 0, name)
            self.assertEqual(job["write"]["io_bytes"], (16 if name == "FIO1" else 32) * 2**20)
        # fio filled zones 0 and 1; the other six are empty.
        zones = re.findall(r"start: (0x[0-9a-f]+), len (0x[0-9a-f]+), cap 0x[0-9a-f]+, "
                           r"wptr (0x[0-9a-f]+) .*zcond:\s*\d+\((\w+)\)", self.ok(r, "BZ"))
        self.assertEqual(len(zones), 8)
        self.assertEqual([(int(s, 16), c) for s, _, _, c in zones[:3]],
                         [(0, "fu"), (ZONE_LBAS, "fu"), (2 * ZONE_LBAS, "em")])
        self.ok(r, "DETACH")
        self.ok(r, "GONE")
        blocks = self.ok(r, "LS1").split()
        self.assertIn("nvme0n1", blocks)
        self.assertNotIn("nvme0n2", blocks)
        self.ok(r, "ATTACH")
        self.ok(r, "BACK")
        self.ok(r, "SAME")
        self.assertEqual(self.ok(r, "BZ"), self.ok(r, "BZ2"))
        for name in ("QDETACH", "QGONE", "QATTACH", "QBACK", "SAME2", "N1SAME"):
            self.ok(r, name)


if __name__ == "__main__":
    unittest.main()
