"""An aged drive made in simulation boots in QEMU (docs/sim.md#aged-drives).

nvmev-sim preconditions a 256 MiB ssd=conv samsung-970pro drive to GC
steady state on a file (--memdev-file): a sequential 4 KiB fill, then random
4 KiB writes of twice the capacity, every block stamped with its LBA and
the number of the write that left it (--data-pattern=stamp). The host
checks the file holds exactly that, then boots a guest on the same file
(scripts/run.py --memdev-file): the first query-nvmev, taken before the
guest does any I/O, shows the simulation's media figures (WAF, free lines,
GC runs, erases, pages written) exactly; the guest reads the whole
namespace and its SHA-256 is the file's; 16 MiB of random writes in the
guest then continue from the simulation's counters and GC."""

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, fio_job, run_guest  # noqa: E402

QUERY = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP query-nvmev > {{}}"
PRESET = "samsung-970pro"
SIZE = "256M"
STAMP_MAGIC = 0x6d697376656d766e    # "nvmevsim", tools/sim/data_pattern.h
# query-nvmev's media fields the drive state carries.
MEDIA = ("host-pages-written", "nand-pages-written", "gc-runs", "gc-pages-copied", "erases",
         "free-lines", "total-lines", "write-buffer-bytes")


def simulate(path):
    """Preconditions the drive on `path`; returns nvmev-sim's JSON report."""
    cmd = [os.path.join(ROOT, "nvmev"), "sim",
           "--device", f"ssd=conv,preset={PRESET},size={SIZE}", "--memdev-file", path,
           "--data-pattern=stamp", "--output-format=json",
           "--name=fill", "--rw=write", "--bs=4k", "--iodepth=32",
           "--name=overwrite", "--stonewall", "--rw=randwrite", "--bs=4k", "--iodepth=32",
           "--io_size=512m"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"nvmev sim failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)


def check_stamps(path, capacity, lba_size, fill_writes):
    """Every logical block of the namespace holds the stamp of its own LBA;
    returns (SHA-256 of the namespace, blocks whose last write was one of
    the random ones)."""
    digest = hashlib.sha256()
    overwritten = 0
    chunk = 1 << 20
    with open(path, "rb") as f:
        for base in range(0, capacity, chunk):
            data = f.read(min(chunk, capacity - base))
            digest.update(data)
            for off in range(0, len(data), lba_size):
                lba = (base + off) // lba_size
                magic, got_lba, seq = struct.unpack_from("<QQQ", data, off)
                if magic != STAMP_MAGIC or got_lba != lba:
                    raise AssertionError(f"block {lba}: stamp {magic:#x} lba {got_lba}")
                overwritten += seq >= fill_writes
    return digest.hexdigest(), overwritten


class AgedDriveGuestTest(unittest.TestCase):

    def test_guest_boots_on_the_simulated_aged_drive(self):
        with tempfile.TemporaryDirectory(prefix="nvmev-aged.") as d:
            img = os.path.join(d, "aged.img")
            report = simulate(img)
            sim = report["nvmev"]
            media = sim["media"]
            capacity = sim["capacity-bytes"]
            fill, over = report["jobs"]
            self.assertEqual(fill["write"]["io_bytes"], capacity)
            self.assertEqual(over["write"]["io_bytes"], 512 << 20)
            self.assertEqual(fill["error"] + over["error"], 0)
            self.assertGreater(media["gc-runs"], 0, "the drive never reached GC")
            self.assertGreater(media["waf"], 1.5, "not in GC steady state")
            self.assertEqual(os.path.getsize(img), 256 << 20)
            lba_size = sim["lba-size"]
            sha, overwritten = check_stamps(img, capacity, lba_size, fill["write"]["total_ios"])
            # 2x the capacity of random 4 KiB writes leave ~86 % of the
            # blocks last written by them (1 - e^-2).
            self.assertGreater(overwritten, 0.8 * capacity // lba_size)
            self.assertGreater(report["idle"]["gc-runs"], 0)

            job = " && ".join([
                "nvmev-wait nvme0 20",
                "nvmev-host first",
                "echo ==SIZE== && cat /sys/block/nvme0n1/size && echo ==END SIZE==",
                "echo ==SHA== && dd if=/dev/nvme0n1 bs=1M iflag=direct 2>/dev/null | sha256sum"
                " && echo ==END SHA==",
                fio_job("more", rw="randwrite", bs="4k", io_size="16M", ioengine="io_uring",
                        iodepth=16, norandommap=1, randseed=7),
                "nvmev-host after",
            ])
            r = run_guest(job, "--ssd", "conv", "--preset", PRESET, "--size", SIZE,
                          "--memdev-file", img,
                          "--hook", "first=" + QUERY.format(f"{d}/first.json"),
                          "--hook", "after=" + QUERY.format(f"{d}/after.json"),
                          timeout=300)
            self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
            first, after = (_load(f"{d}/{n}.json")[0] for n in ("first", "after"))

        got = first["media"]
        print(f"\n  simulated: WAF {media['waf']:.6f}, free lines {media['free-lines']}/"
              f"{media['total-lines']}, GC runs {media['gc-runs']}; guest's first "
              f"query-nvmev: WAF {got['waf']:.6f}, free lines {got['free-lines']}; after 16 MiB "
              f"more: WAF {after['media']['waf']:.6f}, GC runs {after['media']['gc-runs']}",
              file=sys.stderr)
        self.assertEqual(first["capacity-bytes"], capacity)
        for k in MEDIA:
            self.assertEqual(got[k], media[k], k)
        self.assertEqual(f"{got['waf']:.6f}", f"{media['waf']:.6f}")
        self.assertEqual(int(r.section("SIZE")) * 512, capacity)
        self.assertEqual(r.section("SHA").split()[0], sha)
        self.assertEqual(r.json("more")["jobs"][0]["error"], 0)
        # The guest's writes continue the drive: its counters go on from
        # the simulation's, and steady-state writes collect garbage.
        am = after["media"]
        self.assertEqual(am["host-pages-written"], media["host-pages-written"] + 4096)
        self.assertGreater(am["gc-runs"], media["gc-runs"])
        self.assertGreater(am["nand-pages-written"] - media["nand-pages-written"], 4096)


def _load(path):
    with open(path) as f:
        return json.load(f)


if __name__ == "__main__":
    unittest.main()
