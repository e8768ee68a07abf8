"""Device tests: ssd=conv's drive state in a memory-backend-file (real QEMU
over qtest, docs/persistence.md). A drive aged until GC ran is quit
cleanly and started again: query-nvmev's media figures continue instead of
starting over, and the data reads back. A metadata area with both
checkpoint slots corrupt makes QEMU exit with an error naming the file and
reinit-metadata; with reinit-metadata=on the drive starts fresh."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import FIRMWARE, QEMU, QTest  # noqa: E402
from nvme_driver import DATA, PRP_LIST, Nvme  # noqa: E402

# 2 dies, 32 KiB programs, 4-page blocks: GC runs after a few MiB.
GEOMETRY = ("ssd=conv,memdev=m0,channels=2,luns-per-channel=1,pages-per-block=4,"
            "flash-page-size=32K,program-unit-size=32K,partitions=2,write-buffer-size=256K")
SIZE = 16 * 2**20
CHUNK = 64 * 1024  # one write: PRP1 and a list of 15 entries


class PersistenceDeviceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvmev-persist-")
        self.path = os.path.join(self.dir, "drive.img")
        self.qt = None

    def tearDown(self):
        if self.qt:
            self.qt.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def backend(self):
        return ("-object", f"memory-backend-file,id=m0,mem-path={self.path},"
                f"size={SIZE},share=on")

    def start(self, extra=""):
        self.qt = QTest(GEOMETRY + extra, self.backend())
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def quit(self):
        """QEMU exits as on `quit`: its exit notifier checkpoints the drive."""
        self.qt.qmp("quit")
        self.assertEqual(self.qt.proc.wait(timeout=60), 0, self.qt.stderr())
        self.qt.close()
        self.qt = None

    def media(self):
        info = self.qt.qmp("query-nvmev")[0]
        m = info["media"]
        return info["capacity-bytes"], {k: m[k] for k in (
            "host-pages-written", "nand-pages-written", "gc-runs", "gc-pages-copied",
            "erases", "free-lines")}

    def write(self, slba, seed):
        data = bytes(((i * 7) + seed) & 0xFF for i in range(CHUNK))
        self.qt.memwrite(DATA, data)
        self.qt.memwrite(PRP_LIST, b"".join(
            (DATA + 4096 * i).to_bytes(8, "little") for i in range(1, CHUNK // 4096)))
        cid = self.nvme.submit(1, 0x01, nsid=1, prp1=DATA, prp2=PRP_LIST, cdw10=slba,
                               cdw12=CHUNK // 512 - 1)
        got = self.nvme.wait(1, step_ns=100_000, limit_ns=1_000_000_000)
        self.assertEqual(got[:2], (cid, 0))
        return data

    def age(self, capacity, seed, fill=True):
        chunks = capacity // CHUNK
        rng = random.Random(seed)
        order = list(range(chunks)) if fill else []
        order += [rng.randrange(chunks) for _ in range(chunks)]
        for c in order:
            self.write(c * CHUNK // 512, c % 251)

    def test_an_aged_drive_is_reused_aged(self):
        self.start()
        capacity, fresh = self.media()
        self.assertLess(capacity, SIZE, "the drive state area comes out of the memdev")
        self.assertEqual(capacity % 4096, 0)
        self.assertEqual(fresh["host-pages-written"], 0)
        self.age(capacity, 1)
        _, aged = self.media()
        self.assertGreater(aged["gc-runs"], 0)
        self.assertGreater(aged["nand-pages-written"], aged["host-pages-written"])
        self.quit()

        self.start()
        self.assertEqual(self.media(), (capacity, aged), "WAF, GC and erase figures continue")
        # The data is there, and the drive goes on from where it stopped.
        self.assertEqual(self.nvme.rw(0x02, 0, 8, DATA)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 4096),
                         bytes(((i * 7) + 0) & 0xFF for i in range(4096)))
        self.age(capacity, 2, fill=False)
        _, later = self.media()
        self.assertEqual(later["host-pages-written"],
                         aged["host-pages-written"] + capacity // CHUNK * 16)
        self.assertGreater(later["gc-runs"], aged["gc-runs"])
        self.assertGreater(later["erases"], aged["erases"])
        self.quit()

    def test_corrupt_metadata_stops_qemu_naming_the_file(self):
        self.start()
        capacity, _ = self.media()
        self.write(0, 3)
        self.quit()
        # Break both checkpoint slots' headers (magic NVMEVCKP) in the area.
        with open(self.path, "r+b") as f:
            f.seek(capacity)
            area = f.read()
            slots = [i for i in range(0, len(area), 4096) if area[i:i + 8] == b"NVMEVCKP"]
            self.assertEqual(len(slots), 2)
            for at in slots:
                f.seek(capacity + at + 8)
                f.write(b"\xff")
        p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                            "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null",
                            *self.backend(), "-device", "nvmev," + GEOMETRY],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"nvmev: property 'memdev': memdev backend 'm0' (file {self.path}) "
                      "holds a drive state whose checkpoint slots A and B are both corrupt "
                      "(CRC32 mismatch); start with the same backend and properties, or set "
                      "reinit-metadata=on to format the drive state afresh", p.stderr)
        # On purpose: a new drive over the data.
        self.start(",reinit-metadata=on")
        _, fresh = self.media()
        self.assertEqual(fresh["host-pages-written"], 0)
        self.assertEqual(fresh["gc-runs"], 0)
        self.assertEqual(self.nvme.rw(0x02, 0, 8, DATA)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 4096),
                         bytes(((i * 7) + 3) & 0xFF for i in range(4096)))


if __name__ == "__main__":
    unittest.main()
