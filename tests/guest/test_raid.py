"""Two nvmev controllers in one guest (an ssd=nvm and an ssd=conv) as the
members of an md RAID 1 and a RAID 0: fio writes and verifies through
/dev/md0, mdadm sees both members active, and a RAID 1 with one member
failed still reads back what was written."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import run_guest  # noqa: E402

SIZE = 256 * 2**20
# The second controller: run.py passes everything after `--` to QEMU.
SECOND = ["--", "-device", f"nvmev,id=nvme1,ssd=conv,size={SIZE},serial=RAID-MEMBER-1"]
FIO = ("fio --name={name} --filename=/dev/md0 --direct=1 --ioengine=io_uring --iodepth=16 "
       "--rw=randwrite --bs=4k --size=64M --verify=crc32c --do_verify=1 --verify_fatal=1 "
       "--output-format=json --output=/tmp/{name}.json {more}; "
       "echo =={name}== && cat /tmp/{name}.json && echo ==END {name}==")
SETUP = """
set -e
for m in md-mod raid0 raid1; do insmod /lib/modules/nvmev/$m.ko; done
nvmev-wait nvme1 20
mkdir -p /run/mdadm
"""
DMESG = "echo ==DMESG== && dmesg && echo ==END DMESG=="


def fio(name, more=""):
    return FIO.format(name=name, more=more)


def detail(name):
    return f"echo =={name}== && mdadm --detail /dev/md0 && echo ==END {name}=="


def nvme_errors(dmesg):
    """Kernel lines of the nvme driver or block layer reporting trouble."""
    return [line for line in dmesg.splitlines()
            if re.search(r"(?i)nvme", line)
            and re.search(r"(?i)error|timeout|abort|reset|fail", line)
            and "md/raid" not in line and " md: " not in line and "md0" not in line]


class RaidTest(unittest.TestCase):
    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def assertVerified(self, r, name):
        job = r.json(name)["jobs"][0]
        self.assertEqual(job["error"], 0, name)
        self.assertEqual(job["write"]["io_bytes"], 64 * 2**20, name)
        self.assertEqual(job["read"]["io_bytes"], 64 * 2**20, name)

    def test_raid1_mirror_and_degraded_read_back(self):
        job = SETUP + " && ".join([
            "mdadm --create /dev/md0 --level=1 --raid-devices=2 --assume-clean --run "
            "/dev/nvme0n1 /dev/nvme1n1",
            fio("mirror"),
            detail("DETAIL"),
            "mdadm /dev/md0 --fail /dev/nvme1n1",
            # Same job, same seed: re-read and check what was written.
            fio("degraded", "--verify_only=1"),
            detail("DEGRADED"),
            "mdadm --stop /dev/md0",
            DMESG,
        ])
        # md reports the member the test fails on purpose at critical level.
        r = run_guest(job, "--size", str(SIZE), *SECOND, timeout=900,
                      kernel_log_allow=[r"md/raid1:md0: Disk failure on nvme1n1, disabling device"])
        self.assertGuestOk(r)
        self.assertVerified(r, "mirror")
        # verify_only counts the writes it skipped; the read pass checked them.
        self.assertVerified(r, "degraded")
        d = r.section("DETAIL")
        self.assertRegex(d, r"Raid Level : raid1")
        self.assertRegex(d, r"Active Devices : 2")
        self.assertRegex(d, r"Failed Devices : 0")
        self.assertRegex(d, r"active sync\s+/dev/nvme0n1")
        self.assertRegex(d, r"active sync\s+/dev/nvme1n1")
        d = r.section("DEGRADED")
        self.assertRegex(d, r"State : clean, degraded")
        self.assertRegex(d, r"Active Devices : 1")
        self.assertRegex(d, r"Failed Devices : 1")
        self.assertRegex(d, r"active sync\s+/dev/nvme0n1")
        self.assertRegex(d, r"faulty\s+/dev/nvme1n1")
        self.assertEqual(nvme_errors(r.section("DMESG")), [])

    def test_raid0_stripe(self):
        job = SETUP + " && ".join([
            "mdadm --create /dev/md0 --level=0 --raid-devices=2 --chunk=64 --run "
            "/dev/nvme0n1 /dev/nvme1n1",
            fio("stripe"),
            detail("DETAIL"),
            "echo ==STAT== && cat /sys/block/nvme0n1/stat /sys/block/nvme1n1/stat "
            "&& echo ==END STAT==",
            "mdadm --stop /dev/md0",
            DMESG,
        ])
        r = run_guest(job, "--size", str(SIZE), *SECOND, timeout=900)
        self.assertGuestOk(r)
        self.assertVerified(r, "stripe")
        d = r.section("DETAIL")
        self.assertRegex(d, r"Raid Level : raid0")
        self.assertRegex(d, r"Active Devices : 2")
        self.assertRegex(d, r"Chunk Size : 64K")
        self.assertRegex(d, r"active sync\s+/dev/nvme0n1")
        self.assertRegex(d, r"active sync\s+/dev/nvme1n1")
        # Both members carried the stripes: each wrote at least a third.
        writes = [int(line.split()[6]) * 512 for line in r.section("STAT").splitlines()]
        self.assertEqual(len(writes), 2)
        for w in writes:
            self.assertGreater(w, 64 * 2**20 // 3)
        self.assertEqual(nvme_errors(r.section("DMESG")), [])


if __name__ == "__main__":
    unittest.main()
