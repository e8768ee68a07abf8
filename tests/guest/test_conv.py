"""Guest end-to-end tests of ssd=conv: data integrity through the FTL, GC
and write amplification after the drive is filled and overwritten, and
TRIM."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, fio_job, run_guest  # noqa: E402

QUERY = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP query-nvmev > {{}}"


class ConvGuestTest(unittest.TestCase):
    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def test_fio_write_and_verify(self):
        common = dict(size="64M", ioengine="io_uring", iodepth=16, verify="crc32c",
                      do_verify=1, verify_fatal=1)
        job = " && ".join([
            fio_job("randw", rw="randwrite", bs="4k", **common),
            fio_job("seqw", rw="write", bs="128k", offset="128M", **common),
        ])
        r = run_guest(job, "--ssd", "conv", "--size", "512M", "--iothread")
        self.assertGuestOk(r)
        for name in ("randw", "seqw"):
            j = r.json(name)["jobs"][0]
            self.assertEqual(j["error"], 0, name)
            self.assertEqual(j["write"]["io_bytes"], 64 * 2**20, name)
            self.assertEqual(j["read"]["io_bytes"], 64 * 2**20, name)

    def test_filled_and_overwritten_drive_collects_garbage_and_slows_down(self):
        # A small, slow drive (2 dies, 2 ms programs) so that the NAND, not
        # the TCG guest, limits random-write throughput: fresh, about
        # 2 x 32 KiB per 2 ms = 8000 IOPS; in GC steady state each host
        # page costs WAF programs' share.
        dev = ("channels=1,luns-per-channel=2,partitions=1,nand-program-ns=2000000,"
               "write-buffer-size=256K")
        rand = dict(rw="randwrite", bs="4k", ioengine="io_uring", iodepth=16,
                    norandommap=1, randrepeat=0)
        job = " && ".join([
            # Half the drive: no line needs collecting yet.
            fio_job("fresh", io_size="32M", **rand),
            "nvmev-host before",
            fio_job("fill", rw="write", bs="128k", ioengine="io_uring", iodepth=8),
            fio_job("overwrite", rw="randwrite", bs="4k", ioengine="io_uring", iodepth=16,
                    io_size="128M", norandommap=1, randrepeat=0),
            fio_job("steady", runtime=4, time_based=1, **rand),
            "nvmev-host after",
        ])
        with tempfile.TemporaryDirectory() as d:
            r = run_guest(job, "--ssd", "conv", "--size", "64M", "--device-opts", dev,
                          "--hook", "before=" + QUERY.format(f"{d}/before.json"),
                          "--hook", "after=" + QUERY.format(f"{d}/after.json"),
                          timeout=900)
            self.assertGuestOk(r)
            before, after = (_load(f"{d}/{n}.json")[0]["media"] for n in ("before", "after"))
        fresh = r.json("fresh")["jobs"][0]["write"]["iops"]
        steady = r.json("steady")["jobs"][0]["write"]["iops"]
        print(f"\n  conv random 4 KiB writes: fresh {fresh:.0f} IOPS, GC steady state "
              f"{steady:.0f} IOPS; WAF {after['waf']:.2f}, GC runs {after['gc-runs']}, "
              f"pages copied {after['gc-pages-copied']}, erases {after['erases']}",
              file=sys.stderr)
        self.assertEqual(before["gc-runs"], 0)
        self.assertGreater(after["gc-runs"], 0)
        self.assertGreater(after["erases"], 0)
        self.assertGreater(after["gc-pages-copied"], 0)
        self.assertGreater(after["waf"], 1.0)
        self.assertLess(steady, 0.8 * fresh)

    def test_trimmed_blocks_read_as_zeros(self):
        r = run_guest(
            "dd if=/dev/urandom of=/tmp/p bs=1M count=8 2>/dev/null && "
            "dd if=/tmp/p of=/dev/nvme0n1 bs=1M oflag=direct 2>/dev/null && "
            "dd if=/dev/nvme0n1 bs=1M count=8 iflag=direct 2>/dev/null | cmp - /tmp/p && "
            "echo written_ok && "
            "blkdiscard -o 1048576 -l 4194304 /dev/nvme0n1 && echo discard_ok && "
            "dd if=/dev/nvme0n1 bs=1M skip=1 count=4 iflag=direct 2>/dev/null | "
            "cmp - /dev/zero 2>&1 | grep -q EOF && echo zeros_ok; "
            "dd if=/tmp/p of=/tmp/rest bs=1M skip=5 count=3 2>/dev/null && "
            "dd if=/dev/nvme0n1 bs=1M skip=5 count=3 iflag=direct 2>/dev/null | "
            "cmp - /tmp/rest && echo rest_ok",
            "--ssd", "conv", "--size", "64M")
        self.assertGuestOk(r)
        for marker in ("written_ok", "discard_ok", "zeros_ok", "rest_ok"):
            self.assertIn(marker, r.out)


def _load(path):
    with open(path) as f:
        return json.load(f)


if __name__ == "__main__":
    unittest.main()
