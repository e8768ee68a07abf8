"""Device tests: the drive state in a memory-backend-file (real QEMU over
qtest, docs/persistence.md). ssd=conv: a drive aged until GC ran is quit
cleanly and started again: query-nvmev's media figures continue instead of
starting over, and the data reads back. ssd=nvm, zns and kv: Write
Uncorrectable marks and namespace state (detached, formatted) come back.
A metadata area with both checkpoint slots corrupt makes QEMU exit with an
error naming the file and reinit-metadata; with reinit-metadata=on the
drive starts fresh."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import FIRMWARE, KV_STATE_AREA, QEMU, STATE_AREA, QTest  # noqa: E402
from nvme_driver import DATA, PRP_LIST, Nvme  # noqa: E402

# 2 dies, 32 KiB programs, 4-page blocks: GC runs after a few MiB.
GEOMETRY = ("ssd=conv,memdev=m0,channels=2,luns-per-channel=1,pages-per-block=4,"
            "flash-page-size=32K,program-unit-size=32K,partitions=2,write-buffer-size=256K")
SIZE = 16 * 2**20
CHUNK = 64 * 1024  # one write: PRP1 and a list of 15 entries


def qemu_startup_error(*args):
    """QEMU's stderr when it refuses to start with these arguments."""
    p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                        "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, "QEMU started"
    return p.stderr


def corrupt_both_slots(path, offset):
    """Breaks the checkpoint slot headers (magic NVMEVCKP) of the area that
    starts at or after `offset` in the file: both, or the one written if the
    drive state never changed after its format."""
    with open(path, "r+b") as f:
        f.seek(offset)
        area = f.read()
        slots = [i for i in range(0, len(area), 4096) if area[i:i + 8] == b"NVMEVCKP"]
        assert len(slots) in (1, 2), slots
        for at in slots:
            f.seek(offset + at + 8)
            f.write(b"\xff")


class FileBackedTest(unittest.TestCase):
    """QEMU over files in a temporary directory, started and quit."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvmev-persist-")
        self.qt = None

    def tearDown(self):
        if self.qt:
            self.qt.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def boot(self, opts, args, css=0):
        """QEMU with nvmev's `opts`, enabled with I/O queue pair 1."""
        self.qt = QTest(opts, args)
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable(css=css) & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def quit(self):
        """QEMU exits as on `quit`: its exit notifier checkpoints the drive."""
        self.qt.qmp("quit")
        self.assertEqual(self.qt.proc.wait(timeout=60), 0, self.qt.stderr())
        self.qt.close()
        self.qt = None


class PersistenceDeviceTest(FileBackedTest):
    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.dir, "drive.img")

    def backend(self):
        return ("-object", f"memory-backend-file,id=m0,mem-path={self.path},"
                f"size={SIZE},share=on")

    def start(self, extra=""):
        self.boot(GEOMETRY + extra, self.backend())

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
        corrupt_both_slots(self.path, capacity)
        err = qemu_startup_error(*self.backend(), "-device", "nvmev," + GEOMETRY)
        self.assertIn(f"nvmev: property 'memdev': memdev backend 'm0' (file {self.path}) "
                      "holds a drive state whose checkpoint slots A and B are both corrupt "
                      "(CRC32 mismatch); start with the same backend and properties, or set "
                      "reinit-metadata=on to format the drive state afresh", err)
        # On purpose: a new drive over the data.
        self.start(",reinit-metadata=on")
        _, fresh = self.media()
        self.assertEqual(fresh["host-pages-written"], 0)
        self.assertEqual(fresh["gc-runs"], 0)
        self.assertEqual(self.nvme.rw(0x02, 0, 8, DATA)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 4096),
                         bytes(((i * 7) + 3) & 0xFF for i in range(4096)))


class ReadOnlyBackendTest(FileBackedTest):
    """A backend mapped read-only (memory-backend-file readonly=on, whose rom
    defaults to on) is refused at start: the first store into it would have
    killed QEMU. readonly=on with rom=off (a private, writable mapping that
    keeps no write) starts."""

    def backend(self, ident, extra=""):
        path = os.path.join(self.dir, ident + ".img")
        with open(path, "wb") as f:
            f.truncate(SIZE + STATE_AREA)
        return ("-object", f"memory-backend-file,id={ident},mem-path={path},"
                f"size={SIZE + STATE_AREA},readonly=on{extra}")

    def test_a_read_only_memdev_is_refused(self):
        err = qemu_startup_error(*self.backend("r0"), "-device", "nvmev,ssd=nvm,memdev=r0")
        self.assertIn("nvmev: property 'memdev': backend 'r0' is read-only (allowed: a writable "
                      "backend; a memory-backend-file with readonly=on needs rom=off, and then "
                      "keeps no write)", err)
        err = qemu_startup_error(*self.backend("r1"), "-device", "nvmev,id=c0,size=8M",
                                 "-device", "nvmev-ns,bus=c0,nsid=2,memdev=r1")
        self.assertIn("nvmev-ns: property 'memdev': backend 'r1' is read-only", err)

    def test_a_private_writable_mapping_of_a_read_only_file_starts(self):
        self.boot("ssd=nvm,lba-size=512,memdev=r0", self.backend("r0", ",rom=off"))
        self.qt.memwrite(DATA, bytes([0x5A]) * 4096)
        self.assertEqual(self.nvme.rw(0x01, 0, 8, DATA)[0], 0)
        self.qt.memwrite(DATA, bytes(4096))
        self.assertEqual(self.nvme.rw(0x02, 0, 8, DATA)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 4096), bytes([0x5A]) * 4096)


class NamespaceStateDeviceTest(FileBackedTest):
    """ssd=nvm, zns and kv: NSID 1 (the device) and NSID 2 (an nvmev-ns),
    each on its own file. NSID 2 is formatted (nvm: to 4 KiB blocks) and
    detached, NSID 1 gets Write Uncorrectable marks (zns: at the write
    pointer; kv has no Write Uncorrectable); after `quit` and a start on
    the same files all of it is as it was."""
    KINDS = {
        # kind: (properties, file size: 16 MiB of data beside the metadata)
        "nvm": ("ssd=nvm", SIZE + STATE_AREA),
        "zns": ("ssd=zns,channels=2,luns-per-channel=1,flash-page-size=16384,"
                "program-unit-size=16384,zone-size=2M,zone-dies=2", SIZE + STATE_AREA + 8192),
        # The drive state area and a page of 64 key records.
        "kv": ("ssd=kv,kv-max-keys=64", SIZE + KV_STATE_AREA + 4096),
    }
    LOST = {"nvm": "marks and namespace state are lost",
            "zns": "zone states, marks and namespace state are lost",
            "kv": "keys, marks and namespace state are lost"}
    READ_ERROR = 0x4281  # Unrecovered Read Error, DNR

    def args(self, kind):
        props, size = self.KINDS[kind]
        out = []
        for i in (0, 2):
            path = os.path.join(self.dir, f"ns{i}.img")
            out += ["-object", f"memory-backend-file,id=m{i},mem-path={path},size={size},"
                    "share=on"]
        out += ["-device", f"nvmev-ns,bus=nvme0,nsid=2,{props},memdev=m2"]
        return props, out

    def start(self, kind, extra=""):
        props, args = self.args(kind)
        self.boot(f"{props},memdev=m0{extra}", args, css=6)

    def namespaces(self):
        info = self.qt.qmp("query-nvmev")[0]
        return {n["nsid"]: (n["allocated"], n["attached"], n["lba-size"], n["capacity-bytes"])
                for n in info["namespaces"]}

    def check_kind(self, kind):
        self.start(kind)
        before = self.namespaces()
        cap1, cap2 = before[1][3], before[2][3]
        self.assertEqual(before, {1: (True, True, 512, cap1), 2: (True, True, 512, cap2)})
        self.assertEqual(cap1, SIZE)
        lba = 0 if kind == "zns" else 40
        if kind == "nvm":
            # Format NVM of NSID 2 to LBA format 1 (4 KiB).
            st, _ = self.nvme.call(0, 0x80, nsid=2, cdw10=1)
            self.assertEqual(st, 0)
        if kind != "kv":
            self.assertEqual(self.nvme.rw(0x04, lba, 8, 0)[0], 0)  # Write Uncorrectable
        self.qt.qmp("nvmev-ns-detach", id="nvme0", nsid=2)
        self.quit()

        self.start(kind)
        lba2 = 4096 if kind == "nvm" else 512
        self.assertEqual(self.namespaces(), {1: (True, True, 512, cap1),
                                             2: (True, False, lba2, cap2)})
        if kind != "kv":
            for at, want in ((lba, self.READ_ERROR), (lba + 7, self.READ_ERROR),
                             (lba + 8, 0)):
                self.assertEqual(self.nvme.rw(0x02, at, 1, DATA)[0], want, at)
        self.quit()

        # Both slots of NSID 1's area corrupt: QEMU names the file and the remedy.
        path = os.path.join(self.dir, "ns0.img")
        corrupt_both_slots(path, cap1)
        props, args = self.args(kind)
        err = qemu_startup_error(*args[:4], "-device", f"nvmev,id=nvme0,{props},memdev=m0",
                                 *args[4:])
        self.assertIn(f"nvmev: property 'memdev': memdev backend 'm0' (file {path}) holds a "
                      "drive state whose checkpoint slots A and B are both corrupt (CRC32 "
                      "mismatch); start with the same backend and properties, or set "
                      "reinit-metadata=on to format the drive state afresh (a new drive over "
                      f"the data: {self.LOST[kind]})", err)
        self.start(kind, ",reinit-metadata=on")
        self.assertEqual(self.namespaces()[1], (True, True, 512, cap1))
        if kind != "kv":
            self.assertEqual(self.nvme.rw(0x02, lba, 1, DATA)[0], 0)

    def test_nvm(self):
        self.check_kind("nvm")

    def test_zns(self):
        self.check_kind("zns")

    def test_kv(self):
        self.check_kind("kv")


if __name__ == "__main__":
    unittest.main()
