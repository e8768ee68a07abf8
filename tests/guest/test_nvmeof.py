"""NVMe over Fabrics (TCP) between two guests (docs/nvmeof.md).

Guest A has nvmev (an ssd=conv NSID 1 and an ssd=zns NSID 2) and exports
both namespaces with the kernel target (nvmet, nvmet-tcp) configured through
configfs; guest B has no NVMe device of its own and connects with
`nvme discover` / `nvme connect -t tcp`. The two QEMUs are joined by
`--net listen=SOCKET` / `--net connect=SOCKET` (QEMU -netdev stream over a
unix socket: no root, no bridge).

The guests meet through host hooks (guest_harness.GuestPair): A says
`nvmev-host exported` once configfs is set up (its host saves A's
`query-nvmev`), B's `nvmev-host target` returns only then; B says
`nvmev-host done` after its I/O and disconnect, and A's `nvmev-host
finished` returns only then (its host saves `query-nvmev` again). Nothing
sleeps.

Checks: fio write+verify from B on the conv namespace; the zoned namespace
seen by B with the zone layout A sees (blkzone report, before and after
B's zonemode=zbd write+verify); remote latency (fio clat on B) greater
than A's local latency on the same blocks; A's command counters grew by at
least the reads and writes B's fio jobs issued."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import (NVMEOF_HOST, NVMET_LOAD, NVMET_PORT, STEP, GuestPair,  # noqa: E402
                           fio_job, nvmet_export)

NQN = "nqn.2024-01.io.nvmev:target"
TARGET_IP = "10.0.0.1"
HOST_IP = "10.0.0.2"
ZONE_MIB = 16
LAT_IOS = 400   # 4 KiB random reads at queue depth 1, locally on A and from B

# Random reads of the first 16 MiB, which both guests have written before.
LAT = dict(rw="randread", bs="4k", size="16M", ioengine="psync", number_ios=LAT_IOS)
VERIFY = dict(verify="crc32c", do_verify=1, verify_fatal=1)

# Guest A: the target. The configfs steps are the recipe of docs/nvmeof.md.
TARGET_JOB = STEP + f"""
set -e
{NVMET_LOAD}
nvmev-wait nvme0 20
# One NVMe command per bio: the counters can then be compared with fio's.
for q in /sys/block/nvme0n*/queue/nomerges; do echo 2 > $q; done
step ZONED_A cat /sys/block/nvme0n2/queue/zoned /sys/block/nvme0n2/queue/chunk_sectors
{fio_job("fill_a", rw="write", bs="128k", size="16M", ioengine="psync")}
{fio_job("local_lat", **LAT)}
step ZONES_A blkzone report /dev/nvme0n2
{nvmet_export(NQN, TARGET_IP, ["/dev/nvme0n1", "/dev/nvme0n2"])}
step ENABLED cat $S/namespaces/1/enable $S/namespaces/2/enable

nvmev-host exported
nvmev-host finished
step ZONES_A_AFTER blkzone report /dev/nvme0n2
"""

# Guest B: the host. Its zbd job: fio rounds --size down to whole zones, so
# --size is 4 zones and --io_size writes 3.5 of them.
HOST_JOB = STEP + f"""
set -e
{NVMEOF_HOST}
nvmev-host target
step DISCOVER nvme discover -t tcp -a {TARGET_IP} -s {NVMET_PORT}
step CONNECT nvme connect -t tcp -n {NQN} -a {TARGET_IP} -s {NVMET_PORT}
nvmev-wait nvme0 30
for q in /sys/block/nvme0*/queue/nomerges; do echo 2 > $q || true; done
step SUBSYS cat /sys/class/nvme/nvme0/subsysnqn /sys/class/nvme/nvme0/transport
step ZONED_B cat /sys/block/nvme0n2/queue/zoned /sys/block/nvme0n2/queue/chunk_sectors
step ZONES_B blkzone report /dev/nvme0n2
{fio_job("conv", rw="randwrite", bs="4k", size="16M", ioengine="libaio", iodepth=8, **VERIFY)}
{fio_job("zbd", "/dev/nvme0n2", zonemode="zbd", rw="write", bs="64k", size=f"{4 * ZONE_MIB}M",
         io_size=f"{3 * ZONE_MIB + ZONE_MIB // 2}M", ioengine="psync", **VERIFY)}
step ZONES_B_AFTER blkzone report /dev/nvme0n2
{fio_job("remote_lat", **LAT)}
step DISCONNECT nvme disconnect -n {NQN}
nvmev-host done
"""


def zones(text):
    """blkzone report lines -> [(start, len, cap, wptr, condition)]; sectors,
    wptr relative to the zone's start as blkzone prints it."""
    rows = re.findall(r"start: (0x[0-9a-f]+), len (0x[0-9a-f]+), cap (0x[0-9a-f]+), "
                      r"wptr (0x[0-9a-f]+) reset:\d+ non-seq:\d+, zcond:\s*\d+\((\w+)\)", text)
    return [(int(s, 16), int(n, 16), int(c, 16), int(w, 16), cond) for s, n, c, w, cond in rows]


class NvmeofTest(unittest.TestCase):
    maxDiff = None

    def test_tcp_export_conv_and_zoned_between_two_guests(self):
        pair = GuestPair(TARGET_IP, HOST_IP)
        self.addCleanup(pair.cleanup)
        ra, rb = pair.run(
            TARGET_JOB, ["--ssd", "conv", "--size", "128M", "--namespace",
                         f"ssd=zns,nsid=2,size={8 * ZONE_MIB}M,zone-size={ZONE_MIB}M"],
            HOST_JOB, ["--no-device"], timeout=1200)

        # B found A's subsystem and reached it over TCP.
        self.assertIn(f"subnqn:  {NQN}", rb.section("DISCOVER"))
        self.assertRegex(rb.section("DISCOVER"), rf"traddr:\s+{re.escape(TARGET_IP)}")
        self.assertEqual(rb.section("SUBSYS").split(), [NQN, "tcp"])

        # The zoned namespace is zoned on B too, with A's zone size and layout.
        self.assertEqual(ra.section("ZONED_A").split(), ["host-managed", str(ZONE_MIB * 2048)])
        self.assertEqual(rb.section("ZONED_B").split(), ra.section("ZONED_A").split())
        za, zb = zones(ra.section("ZONES_A")), zones(rb.section("ZONES_B"))
        self.assertEqual(len(za), 8)
        self.assertEqual(zb, za)
        # After B's zbd job: the write pointers B sees are those A sees.
        za2, zb2 = zones(ra.section("ZONES_A_AFTER")), zones(rb.section("ZONES_B_AFTER"))
        self.assertEqual(zb2, za2)
        self.assertEqual([z[4] for z in za], ["em"] * 8)
        self.assertEqual([z[4] for z in za2[:3]], ["fu"] * 3, za2)
        self.assertEqual(za2[3][3], ZONE_MIB // 2 * 2048, za2)

        # fio wrote and verified every block from B.
        ios = {"read": 0, "write": 0}
        for name, size in (("conv", 16), ("zbd", 3 * ZONE_MIB + ZONE_MIB // 2)):
            job = rb.json(name)["jobs"][0]
            self.assertEqual(job["error"], 0, name)
            self.assertEqual(job["write"]["io_bytes"], size * 2**20, name)
            self.assertEqual(job["read"]["io_bytes"], size * 2**20, name)
            for op in ios:
                ios[op] += job[op]["total_ios"]
        remote = rb.json("remote_lat")["jobs"][0]["read"]
        local = ra.json("local_lat")["jobs"][0]["read"]
        self.assertEqual(remote["total_ios"], LAT_IOS)
        self.assertEqual(local["total_ios"], LAT_IOS)
        ios["read"] += remote["total_ios"]

        # Remote = local + network: the same blocks, the same job.
        lat_local = local["clat_ns"]["mean"] / 1000
        lat_remote = remote["clat_ns"]["mean"] / 1000
        self.assertGreater(lat_remote, lat_local)

        # A's device counted B's I/O.
        c0, c1 = pair.before()[0]["counters"], pair.after()[0]["counters"]
        delta = {k: c1[k] - c0[k] for k in c0}
        # Writes: exactly B's (A issues none meanwhile, nothing merges). Reads:
        # B's, plus the few of B's partition scan when it connected.
        self.assertEqual(delta["write-cmds"], ios["write"], delta)
        self.assertGreaterEqual(delta["read-cmds"], ios["read"], delta)
        self.assertLessEqual(delta["read-cmds"], ios["read"] + 64, delta)
        self.assertGreaterEqual(delta["write-bytes"], (16 + 3 * ZONE_MIB + ZONE_MIB // 2) * 2**20)
        self.assertEqual(delta["error-cmds"], 0, delta)
        print(f"\nnvmeof: 4 KiB QD1 random read clat mean: local {lat_local:.1f} us "
              f"({local['iops']:.0f} IOPS), remote {lat_remote:.1f} us "
              f"({remote['iops']:.0f} IOPS), network {lat_remote - lat_local:.1f} us; "
              f"B issued {ios['read']} reads / {ios['write']} writes, A counted "
              f"{delta['read-cmds']} / {delta['write-cmds']}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
