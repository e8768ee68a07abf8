"""The hybrid virtual drive (docs/nvmeof.md, "The hybrid virtual drive"): an
md RAID 5 over three slow disks with a fast nvmev namespace as its write
journal in write-back mode, exported with nvmet over TCP to a second guest.

Guest A has one nvmev controller with five ssd=nvm namespaces: NSID 1, the
journal, with the default Optane-like timing (intel-p4800x: 14 us per 4 KiB
write); NSIDs 2-4, the RAID members, with HDD-like timing (DISK_NS latency,
150 MB/s; every nvmev-ns has its own timing), these four file-backed; NSID
5, fast, B's reference for the network's cost. A measures a member's raw
write latency, builds the array (`mdadm --create --level=5
--write-journal`), sets journal_mode to write-back and exports /dev/md0 and
NSID 5; guest B writes to the array across the network (GuestPair) in
rounds, A's block-device counters (/sys/block/X/stat) in between:

  1. write-back: 4 KiB random writes at queue depth 1 with verify headers,
     read back at once. Their latency is the journal's plus the network's,
     under one disk access; the members take no data writes meanwhile.
  2. A switches the journal to write-through (md writes its cache out to
     the members); B verifies round 1's blocks again, then writes more: now
     every write waits for a read-modify-write on the members (two disk
     accesses) and reaches two of them.
  3. A switches back to write-back; B writes a few blocks, which are still
     in the journal when A stops the array (`mdadm --stop` writes them out).

A second pair starts A again on the same files (the restart of the
exporting guest): A assembles the array (its journal in write-through mode
again), exports it, and a new B verifies the blocks of all three rounds.
Nothing sleeps: the guests meet through GuestPair's hooks, each round an
`exported` / `finished` pair on A and `target` / `done` on B."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import (NVMEOF_HOST, NVMET_LOAD, NVMET_PORT, STEP, GuestPair,  # noqa: E402
                           fio_job, median_lat_us, nvmet_export, nvmet_unexport)

NQN = "nqn.2024-01.io.nvmev:hybrid"
TARGET_IP = "10.0.0.1"
DISK_NS = 5_000_000      # the slow members' read and write latency
MEMBER_MIB = 64
JOURNAL_MIB = 64
SLOW = (f"ssd=nvm,size={MEMBER_MIB}M,read-latency-ns={DISK_NS},write-latency-ns={DISK_NS},"
        "read-bandwidth-mbps=150,write-bandwidth-mbps=150")
MEMBERS = ["nvme0n2", "nvme0n3", "nvme0n4"]
JOURNAL = "nvme0n1"
# A fast namespace exported next to the array: B's reference for what the
# network alone costs.
REF = "nvme0n5"
WB_IOS = 200   # B's write-back round
WT_IOS = 60    # B's write-through round (each write a read-modify-write)
WB2_IOS = 50   # B's second write-back round, in the journal when A stops
RAW_IOS = 40   # raw member writes, locally on A
STRIPE_CACHE = 4096
# One vCPU per guest: with two, the host's scheduling of each vCPU thread
# (two QEMUs on a shared host) shows in every wake-up across vCPUs, and the
# medians wander by milliseconds.
SMP = ["--smp", "1"]

# md RAID 5 and its dependencies, in load order (docs/nvmeof.md).
RAID5_LOAD = ("for m in md-mod xor async_tx async_memcpy async_xor raid6_pq async_pq "
              "async_raid6_recov libcrc32c raid456; do insmod /lib/modules/nvmev/$m.ko; done\n"
              "mkdir -p /run/mdadm\n")
MD = "/sys/block/md0/md"

# 4 KiB writes at queue depth 1, one at a time (psync, O_DIRECT).
QD1 = dict(rw="randwrite", bs="4k", ioengine="psync", lat_percentiles=1)
VERIFY = dict(verify="crc32c", do_verify=1, verify_fatal=1)
# B's jobs; the verify passes repeat them with verify_only=1 (same job
# name and options: the same offsets and the same data).
B_WB = dict(QD1, size="32M", number_ios=WB_IOS, **VERIFY)
B_WT = dict(QD1, offset="64M", size="32M", number_ios=WT_IOS, **VERIFY)
B_WB2 = dict(QD1, offset="96M", size="28M", number_ios=WB2_IOS, **VERIFY)


def stat(name):
    """Section NAME: /sys/block/X/stat of the journal and the members."""
    return f"step {name} cat " + " ".join(f"/sys/block/{d}/stat" for d in [JOURNAL] + MEMBERS)


def writes(run, name):
    """{device: write requests completed} from a stat() section."""
    lines = run.section(name).split()
    fields = [lines[i:i + 17] for i in range(0, len(lines), 17)]
    return {d: int(f[4]) for d, f in zip([JOURNAL] + MEMBERS, fields)}


def delta(run, a, b):
    wa, wb = writes(run, a), writes(run, b)
    return {d: wb[d] - wa[d] for d in wa}


# B sees the array as /dev/nvme0n1 and the reference as /dev/nvme0n2.
EXPORT = nvmet_export(NQN, TARGET_IP, ["/dev/md0", f"/dev/{REF}"])
UNEXPORT = nvmet_unexport(NQN, 2) + "mdadm --stop /dev/md0\n"

# Guest A, first boot: fresh (zeroed) files.
TARGET_JOB = STEP + RAID5_LOAD + NVMET_LOAD + f"""
set -e
nvmev-wait nvme0 20
# A member's own latency; zeros keep the members' parity consistent.
{fio_job("raw_disk", "/dev/" + MEMBERS[0], size="16M", number_ios=RAW_IOS, zero_buffers=1, **QD1)}
step CREATE mdadm --create /dev/md0 --level=5 --raid-devices=3 --assume-clean --run \\
    {" ".join("/dev/" + m for m in MEMBERS)} --write-journal /dev/{JOURNAL}
echo write-back > {MD}/journal_mode
# md writes cached stripes out once they fill half of the stripe cache
# (default 256 stripes of 4 KiB per member): room for both write-back jobs.
echo {STRIPE_CACHE} > {MD}/stripe_cache_size
step MODE_WB cat {MD}/journal_mode
# The same writes locally, for the network's share of B's latency.
{fio_job("local_wb", "/dev/md0", offset="32M", size="32M", number_ios=WB_IOS, **QD1)}
{EXPORT}
{stat("STAT_WB0")}
nvmev-host exported
nvmev-host finished
{stat("STAT_WB1")}
echo write-through > {MD}/journal_mode
step MODE_WT cat {MD}/journal_mode
{stat("STAT_SWITCH")}
nvmev-host exported
nvmev-host finished
{stat("STAT_WT")}
echo write-back > {MD}/journal_mode
step MODE_WB2 cat {MD}/journal_mode
nvmev-host exported
nvmev-host finished
step DETAIL mdadm --detail /dev/md0
{stat("STAT_STOP0")}
{UNEXPORT}
{stat("STAT_STOP1")}
"""

HOST_JOB = STEP + NVMEOF_HOST + f"""
set -e
nvmev-host target
step CONNECT nvme connect -t tcp -n {NQN} -a {TARGET_IP} -s {NVMET_PORT}
nvmev-wait nvme0 30
{fio_job("ref", "/dev/nvme0n2", section="ref1", size="16M", number_ios=WB_IOS, **QD1)}
{fio_job("bwb", **B_WB)}
{fio_job("ref", "/dev/nvme0n2", section="ref2", size="16M", number_ios=WB_IOS, **QD1)}
nvmev-host done
nvmev-host target
{fio_job("bwb", section="bwb_after_switch", verify_only=1, **B_WB)}
{fio_job("bwt", **B_WT)}
nvmev-host done
nvmev-host target
{fio_job("bwb2", **B_WB2)}
step DISCONNECT nvme disconnect -n {NQN}
nvmev-host done
"""

# Guest A, second boot on the same files.
RESTART_JOB = STEP + RAID5_LOAD + NVMET_LOAD + f"""
set -e
nvmev-wait nvme0 20
step ASSEMBLE mdadm --assemble /dev/md0 /dev/{JOURNAL} {" ".join("/dev/" + m for m in MEMBERS)}
step MODE_ASSEMBLED cat {MD}/journal_mode
step DETAIL mdadm --detail /dev/md0
{EXPORT}
nvmev-host exported
nvmev-host finished
{UNEXPORT}
"""

RESTART_HOST_JOB = STEP + NVMEOF_HOST + f"""
set -e
nvmev-host target
step CONNECT nvme connect -t tcp -n {NQN} -a {TARGET_IP} -s {NVMET_PORT}
nvmev-wait nvme0 30
{fio_job("bwb", section="bwb_restart", verify_only=1, **B_WB)}
{fio_job("bwt", section="bwt_restart", verify_only=1, **B_WT)}
{fio_job("bwb2", section="bwb2_restart", verify_only=1, **B_WB2)}
step DISCONNECT nvme disconnect -n {NQN}
nvmev-host done
"""


class HybridDriveTest(unittest.TestCase):
    maxDiff = None

    def assertDetail(self, detail):
        self.assertRegex(detail, r"Raid Level : raid5")
        self.assertRegex(detail, r"Consistency Policy : journal")
        self.assertRegex(detail, r"Active Devices : 3")
        self.assertRegex(detail, r"Failed Devices : 0")
        self.assertRegex(detail, rf"journal\s+/dev/{JOURNAL}")
        for m in MEMBERS:
            self.assertRegex(detail, rf"active sync\s+/dev/{m}")

    def assertVerified(self, run, section, ios):
        job = run.json(section)["jobs"][0]
        self.assertEqual(job["error"], 0, section)
        self.assertEqual(job["read"]["total_ios"], ios, section)

    def test_raid5_write_back_journal_exported_over_tcp(self):
        tmp = tempfile.mkdtemp(prefix="nvmev-hybrid.")
        self.addCleanup(shutil.rmtree, tmp, True)
        files = [os.path.join(tmp, f"ns{i}.img") for i in range(1, 5)]
        a_args = ["--ssd", "nvm", "--size", f"{JOURNAL_MIB}M", "--memdev-file", files[0]]
        for i, f in enumerate(files[1:]):
            a_args += ["--namespace", f"{SLOW},nsid={i + 2},memdev-file={f}"]
        a_args += ["--namespace", "ssd=nvm,nsid=5,size=16M"]

        a_args += SMP
        pair = GuestPair(TARGET_IP)
        self.addCleanup(pair.cleanup)
        ra, rb = pair.run(TARGET_JOB, a_args, HOST_JOB, ["--no-device", *SMP], timeout=900)

        self.assertIn("[write-back]", ra.section("MODE_WB"))
        self.assertIn("[write-through]", ra.section("MODE_WT"))
        self.assertDetail(ra.section("DETAIL"))

        d_wb = delta(ra, "STAT_WB0", "STAT_WB1")
        d_switch = delta(ra, "STAT_WB1", "STAT_SWITCH")
        d_wt = delta(ra, "STAT_SWITCH", "STAT_WT")
        d_wb2 = delta(ra, "STAT_WT", "STAT_STOP0")
        d_stop = delta(ra, "STAT_STOP0", "STAT_STOP1")
        raw = median_lat_us(ra.json("raw_disk"), "write")
        local_wb = median_lat_us(ra.json("local_wb"), "write")
        remote_wb = median_lat_us(rb.json("bwb"), "write")
        remote_wt = median_lat_us(rb.json("bwt"), "write")
        # The network's share: B's writes to the bare fast namespace, just
        # before and just after the write-back round.
        remote_ref = (median_lat_us(rb.json("ref1"), "write") +
                      median_lat_us(rb.json("ref2"), "write")) / 2
        disk_us = DISK_NS / 1000
        print(f"\nhybrid: 4 KiB QD1 random write latency (median): member disk {raw:.0f} us "
              f"(local on A); RAID 5, write-back journal: {local_wb:.0f} us local, "
              f"{remote_wb:.0f} us from B; write-through: {remote_wt:.0f} us from B; "
              f"a bare fast namespace from B {remote_ref:.0f} us. "
              f"Writes to journal/members: round 1 {list(d_wb.values())}, at the switch "
              f"{list(d_switch.values())}, round 2 {list(d_wt.values())}, round 3 "
              f"{list(d_wb2.values())}, at the stop "
              f"{list(d_stop.values())}", file=sys.stderr)

        # Round 1, write-back: B's writes landed in the journal, not on the
        # members (which take only md's superblock updates meanwhile).
        wb = rb.json("bwb")["jobs"][0]
        self.assertEqual(wb["error"], 0)
        self.assertEqual(wb["write"]["total_ios"], WB_IOS)
        self.assertEqual(wb["read"]["total_ios"], WB_IOS)
        d = d_wb
        self.assertGreaterEqual(d[JOURNAL], WB_IOS, d)
        for m in MEMBERS:
            self.assertLess(d[m], WB_IOS // 8, d)
        # The switch to write-through wrote the cache out: the blocks of
        # round 1 and of A's own local_wb job.
        self.assertGreaterEqual(sum(d_switch[m] for m in MEMBERS), 2 * WB_IOS, d_switch)
        # Round 2, write-through: every write reached two members (data and
        # parity).
        d = d_wt
        self.assertGreaterEqual(sum(d[m] for m in MEMBERS), 2 * WT_IOS, d)
        self.assertGreaterEqual(d[JOURNAL], WT_IOS, d)
        # Round 3, write-back again: the journal, not the members, took the
        # writes; `mdadm --stop` wrote them out.
        self.assertIn("[write-back]", ra.section("MODE_WB2"))
        self.assertEqual(rb.json("bwb2")["jobs"][0]["error"], 0)
        self.assertGreaterEqual(d_wb2[JOURNAL], WB2_IOS, d_wb2)
        for m in MEMBERS:
            self.assertLess(d_wb2[m], WB2_IOS // 4, d_wb2)
        self.assertGreaterEqual(sum(d_stop[m] for m in MEMBERS), WB2_IOS, d_stop)
        # Round 1's data read back after the switch; round 2's at once.
        self.assertVerified(rb, "bwb_after_switch", WB_IOS)
        self.assertVerified(rb, "bwt", WT_IOS)

        # Latency (medians: TCG's outliers are long). A member takes at
        # least its configured latency. The array in write-back mode takes
        # less than half of it locally, and from B adds less than one disk
        # access to what the network costs; in write-through mode a write
        # waits for a read and then a write on the members: two accesses.
        self.assertGreaterEqual(raw, disk_us)
        self.assertLess(local_wb, disk_us / 2)
        self.assertLess(remote_wb - remote_ref, disk_us)
        self.assertLess(remote_wb, disk_us)
        self.assertGreater(remote_wt, 2 * disk_us)
        self.assertGreater(remote_wt, 2 * remote_wb)

        # The restart: A boots again on the same files.
        pair2 = GuestPair(TARGET_IP)
        self.addCleanup(pair2.cleanup)
        ra2, rb2 = pair2.run(RESTART_JOB, a_args, RESTART_HOST_JOB, ["--no-device"],
                             timeout=600)
        self.assertIn("mdadm: /dev/md0 has been started with 3 drives and 1 journal",
                      ra2.section("ASSEMBLE"))
        # md starts every array's journal in write-through mode.
        self.assertIn("[write-through]", ra2.section("MODE_ASSEMBLED"))
        self.assertDetail(ra2.section("DETAIL"))
        self.assertVerified(rb2, "bwb_restart", WB_IOS)
        self.assertVerified(rb2, "bwt_restart", WT_IOS)
        self.assertVerified(rb2, "bwb2_restart", WB2_IOS)


if __name__ == "__main__":
    unittest.main()
