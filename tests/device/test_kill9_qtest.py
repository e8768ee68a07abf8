"""kill -9 at any moment (docs/resets.md#kill--9-and-power-loss).

For each kind (nvm, conv, zns, kv) on a file-backed memdev, a workload runs
over qtest with several commands in flight while a timer SIGKILLs QEMU at a
seeded random moment, uniform over the first NVMEV_KILL_WINDOW seconds
(default 1.0) of the workload. QEMU then starts again on the same file and
the test checks:

- the device starts: QEMU comes up, CSTS.RDY = 1 without CFS, the namespace
  identifies;
- every write whose completion the test had read from the CQ before the
  kill reads back; a write still in flight reads old or new (a block may
  be torn between the two: each byte is old or new), never anything else;
- zns (Zone Append into four zones, resets when a zone fills): each zone's
  write pointer covers every completed append, every block below it holds
  data of an append (completed ones at their LBA), never zeros or stale
  data, the 64 blocks beyond it read zeros; a zone whose reset was in
  flight is either untouched or empty and zeroed;
- kv (store, delete over 60 keys, small data region so that stores compact
  it): every key reads the value of its last completed command, or, with a
  command in flight, that command's outcome; never anything else.

The round's check is the next round's start: NVMEV_KILL_ROUNDS kills per
kind (default 3; the long form uses 20). The seed (NVMEV_KILL_SEED, default
random) and every kill moment are printed, so a failing run is repeated by
setting the seed.
"""

import os
import random
import signal
import struct
import sys
import tempfile
import threading
import time
import unittest

from nvme_driver import DATA, PRP_LIST, Nvme
from qtest_client import KV_STATE_AREA, STATE_AREA, QTest

SEED = int(os.environ.get("NVMEV_KILL_SEED") or random.SystemRandom().randrange(2**32))
ROUNDS = int(os.environ.get("NVMEV_KILL_ROUNDS") or 3)
WINDOW_S = float(os.environ.get("NVMEV_KILL_WINDOW") or 1.0)

LBA = 512
PAGE = 4096
POOL = 0x1000000           # guest RAM: random data the writes take their payload from
POOL_BYTES = 2 << 20
QD = 8
STEP_NS = 20_000           # virtual time per workload iteration

KV_STATUS_NOT_FOUND = 0x187  # SCT 1, SC 87h (status field without DNR)
KV_STATUS_CAPACITY = 0x081   # SCT 0, SC 81h: Capacity Exceeded


def log(msg):
    print(f"kill9: {msg}", file=sys.stderr, flush=True)


class Killed(Exception):
    pass


class Pool:
    """POOL_BYTES of seeded random bytes, written into guest RAM at every
    start; a write's payload is a page-aligned slice of it, so old and new
    contents differ and each is known to the test."""

    def __init__(self, rng):
        self.data = rng.randbytes(POOL_BYTES)

    def load(self, qt):
        for off in range(0, POOL_BYTES, 256 << 10):
            qt.memwrite(POOL + off, self.data[off:off + (256 << 10)])

    def pick(self, rng, nbytes):
        pages = (nbytes + PAGE - 1) // PAGE
        off = rng.randrange(0, POOL_BYTES // PAGE - pages + 1) * PAGE
        return off

    def bytes(self, off, n):
        return self.data[off:off + n]


def prps(qt, slot, addr, nbytes):
    """PRP1/PRP2 for the page-aligned buffer at addr; a list in the slot's
    PRP list page when it spans more than two pages."""
    pages = (nbytes + PAGE - 1) // PAGE
    if pages <= 1:
        return addr, 0
    if pages == 2:
        return addr, addr + PAGE
    lst = PRP_LIST + slot * PAGE
    qt.memwrite(lst, struct.pack(f"<{pages - 1}Q",
                                 *(addr + PAGE * i for i in range(1, pages))))
    return addr, lst


def raw_sqe(opcode, cid, nsid=1, cdw2=0, cdw3=0, prp1=0, prp2=0, cdw10=0, cdw11=0,
            cdw12=0, cdw13=0, cdw14=0, cdw15=0):
    return struct.pack("<BBHIIIQQQIIIIII", opcode, 0, cid, nsid, cdw2, cdw3, 0,
                       prp1, prp2, cdw10, cdw11, cdw12, cdw13, cdw14, cdw15)


class Device:
    """One QEMU on the backing file, with I/O queue pair 1 and a command
    table for QD commands in flight."""

    def __init__(self, opts, path, size, css):
        backend = ("-object", f"memory-backend-file,id=m0,mem-path={path},size={size},"
                   "share=on")
        self.qt = QTest(f"{opts},memdev=m0", backend)
        self.nvme = Nvme(self.qt)
        csts = self.nvme.enable(entries=16, css=css)
        assert csts & 3 == 1, f"CSTS {csts:#x}: not ready, or fatal status"
        assert self.nvme.create_io_queues(1, 64) == 0
        self.q = self.nvme.queues[1]
        self.inflight = {}  # cid -> (slot, what)
        self.free_slots = list(range(QD))

    def submit(self, opcode, what, nbytes=0, buf=0, **kw):
        slot = self.free_slots.pop()
        prp1, prp2 = prps(self.qt, slot, buf, nbytes) if nbytes else (0, 0)
        n = self.nvme
        n.cid = (n.cid + 1) & 0xFFFF
        self.qt.memwrite(self.q.sq + 64 * self.q.tail,
                         raw_sqe(opcode, n.cid, prp1=prp1, prp2=prp2, **kw))
        self.q.tail = (self.q.tail + 1) % self.q.entries
        self.inflight[n.cid] = (slot, what)
        n.set32(0x1000 + 8, self.q.tail)

    def reap(self):
        """Completions now in the CQ: [(what, status, dw0, dw1)]."""
        out = []
        while True:
            got = self.nvme.poll(1, dw1=True)
            if not got:
                return out
            cid, status, dw0, dw1 = got
            slot, what = self.inflight.pop(cid)
            self.free_slots.append(slot)
            out.append((what, status & 0x7FFF & ~0x4000, dw0, dw1))

    def call(self, opcode, nbytes=0, buf=0, **kw):
        self.submit(opcode, None, nbytes, buf, **kw)
        for _ in range(100_000):
            done = self.reap()
            if done:
                return done[0][1], done[0][2]
            self.qt.clock_step(STEP_NS)
        raise TimeoutError("no completion")

    def read(self, slba, nblocks):
        """The blocks, read in 128 KiB commands through DATA."""
        out = bytearray()
        chunk = (128 << 10) // LBA
        for lba in range(slba, slba + nblocks, chunk):
            n = min(chunk, slba + nblocks - lba)
            st, _ = self.call(0x02, n * LBA, DATA, cdw10=lba & 0xFFFFFFFF, cdw11=lba >> 32,
                              cdw12=n - 1)
            assert st == 0, f"read of {n} blocks at {lba}: status {st:#x}"
            out += self.qt.memread(DATA, n * LBA)
        return bytes(out)


def same_or_torn(got, old, new):
    """got is old, new, or each of its bytes is the old or the new byte."""
    if got in (old, new):
        return True
    return all(g in (o, n) for g, o, n in zip(got, old, new))


class Kind:
    """A kind's workload, model and checks. The model holds what must read
    back (completed commands) and what may (commands in flight)."""
    name = ""
    opts = ""
    size = 0
    css = 0

    def __init__(self, rng, pool):
        self.rng = rng
        self.pool = pool

    def check_started(self, dev):
        st, _ = dev.nvme.call(0, 0x06, nsid=1, prp1=DATA, cdw10=0)  # Identify Namespace
        assert st == 0, f"Identify Namespace: status {st:#x}"
        nsze = struct.unpack_from("<Q", dev.qt.memread(DATA, 8))[0]
        assert nsze > 0, "the namespace identifies with NSZE 0"

    def begin_round(self, dev):
        pass


class BlockKind(Kind):
    """nvm and conv: random writes (1..16 pages) over the first REGION
    blocks; no two writes in flight overlap."""
    REGION = 4096
    size = 16 << 20

    def __init__(self, rng, pool):
        super().__init__(rng, pool)
        self.content = [bytes(LBA)] * self.REGION  # what the last completed write left
        self.pending = {}                          # lba -> bytes of the write in flight

    def submit_one(self, dev):
        for _ in range(8):
            n = self.rng.randrange(1, 17) * (PAGE // LBA)
            slba = self.rng.randrange(0, self.REGION - n + 1)
            if not any(lba in self.pending for lba in range(slba, slba + n)):
                break
        else:
            return False
        off = self.pool.pick(self.rng, n * LBA)
        data = self.pool.bytes(off, n * LBA)
        for i in range(n):
            self.pending[slba + i] = data[i * LBA:(i + 1) * LBA]
        dev.submit(0x01, (slba, n), n * LBA, POOL + off, cdw10=slba, cdw12=n - 1)
        return True

    def complete(self, what, status, dw0, dw1):
        slba, n = what
        assert status == 0, f"write of {n} blocks at {slba}: status {status:#x}"
        for lba in range(slba, slba + n):
            self.content[lba] = self.pending.pop(lba)

    def verify(self, dev):
        got = dev.read(0, self.REGION)
        lost, torn, new = [], 0, 0
        for lba in range(self.REGION):
            block = got[lba * LBA:(lba + 1) * LBA]
            if block == self.content[lba]:
                continue
            fly = self.pending.get(lba)
            if fly is not None and block == fly:
                new += 1
            elif fly is not None and same_or_torn(block, self.content[lba], fly):
                torn += 1
            else:
                lost.append(lba)
            self.content[lba] = block
        self.pending.clear()
        assert not lost, (f"{len(lost)} blocks lost a completed write or hold neither old "
                          f"nor new data, first {lost[:8]}")
        return f"{new} in-flight blocks new, {torn} torn"


class NvmKind(BlockKind):
    name = "nvm"
    opts = "ssd=nvm,write-latency-ns=40000"


class ConvKind(BlockKind):
    name = "conv"
    opts = ("ssd=conv,channels=2,luns-per-channel=1,flash-page-size=16384,"
            "program-unit-size=16384,partitions=2,blocks-per-plane=16,pages-per-block=64")


class ZnsKind(Kind):
    """Zone Append into four 2 MiB zones; a zone without room is reset once
    its appends are done."""
    name = "zns"
    ZONE = 4096            # blocks
    ZONES = 4
    USED = 4
    size = ZONES * ZONE * LBA + STATE_AREA + 8192  # and the zone metadata
    opts = ("ssd=zns,channels=2,luns-per-channel=1,flash-page-size=16384,"
            "program-unit-size=16384,zone-size=2M,zone-dies=2,max-open-zones=4,"
            "max-active-zones=4,nand-erase-ns=200000")
    css = 6

    def __init__(self, rng, pool):
        super().__init__(rng, pool)
        self.reset_model()

    def reset_model(self):
        self.done = {z: [] for z in range(self.USED)}     # completed: (lba, data)
        self.flying = {z: {} for z in range(self.USED)}   # id -> data
        self.room = {z: self.ZONE for z in range(self.USED)}  # blocks not yet promised
        self.resetting = {}  # zone -> True while its reset is in flight
        self.next_id = 0

    def begin_round(self, dev):
        st, _ = dev.call(0x79, cdw13=0x04 | 0x100)  # reset every zone
        assert st == 0, f"reset all: status {st:#x}"
        self.reset_model()

    def check_started(self, dev):
        super().check_started(dev)
        self.report(dev)

    def submit_one(self, dev):
        zones = [z for z in range(self.USED) if z not in self.resetting]
        if not zones:
            return False
        z = self.rng.choice(zones)
        n = self.rng.randrange(1, 9) * (PAGE // LBA)
        if self.room[z] < n:
            if self.flying[z]:
                return False
            self.resetting[z] = True
            dev.submit(0x79, ("reset", z), cdw10=z * self.ZONE, cdw13=0x04)
            return True
        off = self.pool.pick(self.rng, n * LBA)
        data = self.pool.bytes(off, n * LBA)
        self.next_id += 1
        self.flying[z][self.next_id] = data
        self.room[z] -= n
        dev.submit(0x7D, ("append", z, self.next_id), n * LBA, POOL + off,
                   cdw10=z * self.ZONE, cdw12=n - 1)
        return True

    def complete(self, what, status, dw0, dw1):
        if what[0] == "reset":
            z = what[1]
            assert status == 0, f"reset of zone {z}: status {status:#x}"
            del self.resetting[z]
            self.done[z] = []
            self.room[z] = self.ZONE
            return
        _, z, ident = what
        assert status == 0, f"append to zone {z}: status {status:#x}"
        data = self.flying[z].pop(ident)
        self.done[z].append((dw0 | (dw1 << 32), data))

    def report(self, dev):
        size = 64 + 64 * self.ZONES
        st, _ = dev.call(0x7A, size, DATA, cdw12=size // 4 - 1)
        assert st == 0, f"report zones: status {st:#x}"
        data = dev.qt.memread(DATA, size)
        assert struct.unpack_from("<Q", data)[0] == self.ZONES
        out = []
        for i in range(self.ZONES):
            zs, zslba, wp = struct.unpack_from("<xB14xQQ", data, 64 + 64 * i)
            out.append((zs >> 4, zslba, wp))
        return out

    def verify(self, dev):
        zones = self.report(dev)
        notes = []
        for z in range(self.USED):
            state, zslba, wp = zones[z]
            assert zslba == z * self.ZONE
            assert zslba <= wp <= zslba + self.ZONE, f"zone {z}: write pointer {wp}"
            blocks = dev.read(zslba, min(self.ZONE, wp - zslba + 64))
            below = wp - zslba
            if z in self.resetting and state == 1 and wp == zslba:
                assert blocks == bytes(len(blocks)), f"zone {z}: reset but not zeroed"
                notes.append(f"zone {z} reset")
                continue
            end = zslba
            at = {}
            for lba, data in self.done[z]:
                end = max(end, lba + len(data) // LBA)
                for i in range(len(data) // LBA):
                    at[lba + i] = data[i * LBA:(i + 1) * LBA]
            assert wp >= end, (f"zone {z}: write pointer {wp} below the end {end} of a "
                               "completed append")
            maybe = {d[i:i + LBA] for d in self.flying[z].values()
                     for i in range(0, len(d), LBA)}
            extra = 0
            for i in range(below):
                block = blocks[i * LBA:(i + 1) * LBA]
                want = at.get(zslba + i)
                if want is not None:
                    assert block == want, f"zone {z}: completed append lost at {zslba + i}"
                else:
                    assert block in maybe, (f"zone {z}: block {zslba + i} below the write "
                                            f"pointer {wp} holds no append's data")
                    extra += 1
            beyond = blocks[below * LBA:]
            assert beyond == bytes(len(beyond)), (f"zone {z}: data beyond the write pointer "
                                                  f"{wp}")
            notes.append(f"zone {z} wp +{below} ({extra} in-flight blocks)")
        self.reset_model()
        return ", ".join(notes)


class KvKind(Kind):
    """Stores (1 B..32 KiB) and deletes over 60 keys in a 1 MiB namespace,
    whose data region the stores keep compacting (a store that finds no
    room fails with Capacity Exceeded and leaves the old value)."""
    name = "kv"
    KEYS = 60
    # 1 MiB of capacity beside the key records and the drive state area.
    size = (1 << 20) + (64 << 10) + KV_STATE_AREA
    opts = "ssd=kv,kv-max-keys=64,kv-max-value-size=32K"
    css = 6

    def __init__(self, rng, pool):
        super().__init__(rng, pool)
        self.value = {}    # key -> bytes, or None: absent
        self.flying = {}   # key -> the in-flight command's outcome
        self.refused = 0   # stores refused for capacity

    def check_started(self, dev):
        st, _ = dev.nvme.call(0, 0x06, nsid=1, prp1=DATA, cdw10=0x05, cdw11=1 << 24)
        assert st == 0, f"Identify Namespace (CSI KV): status {st:#x}"

    @staticmethod
    def key_dwords(k):
        raw = f"key{k:04d}".encode().ljust(16, b"\0")
        return dict(zip(("cdw2", "cdw3", "cdw14", "cdw15"), struct.unpack("<4I", raw)))

    def submit_one(self, dev):
        free = [k for k in range(self.KEYS) if k not in self.flying]
        if not free:
            return False
        k = self.rng.choice(free)
        if self.rng.random() < 0.1:
            self.flying[k] = None
            dev.submit(0x10, ("delete", k), cdw11=7, **self.key_dwords(k))
            return True
        n = self.rng.randrange(1, 32 << 10)
        off = self.pool.pick(self.rng, n)
        self.flying[k] = self.pool.bytes(off, n)
        dev.submit(0x01, ("store", k), n, POOL + off, cdw10=n, cdw11=7, **self.key_dwords(k))
        return True

    def complete(self, what, status, dw0, dw1):
        op, k = what
        outcome = self.flying.pop(k)
        if op == "delete" and status == KV_STATUS_NOT_FOUND:
            status = 0
        if op == "store" and status == KV_STATUS_CAPACITY:
            self.refused += 1
            return
        assert status == 0, f"{op} of key {k}: status {status:#x}"
        self.value[k] = outcome

    def verify(self, dev):
        new = 0
        for k in range(self.KEYS):
            st, vlen = dev.call(0x02, 32 << 10, DATA, cdw10=32 << 10, cdw11=7,
                                **self.key_dwords(k))
            got = None
            if st == 0:
                got = dev.qt.memread(DATA, vlen)
            else:
                assert st == KV_STATUS_NOT_FOUND, f"retrieve of key {k}: status {st:#x}"
            old = self.value.get(k)
            if got == old:
                pass
            elif k in self.flying and got == self.flying[k]:
                new += 1
            else:
                desc = "absent" if got is None else f"{len(got)} bytes"
                raise AssertionError(f"key {k} reads {desc}: neither its last completed value "
                                     "nor the one in flight")
            self.value[k] = got
        self.flying.clear()
        return f"{new} in-flight commands landed ({self.refused} stores refused for capacity)"


class Kill9Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        log(f"seed {SEED} (NVMEV_KILL_SEED), {ROUNDS} rounds per kind "
            f"(NVMEV_KILL_ROUNDS), kills uniform over {WINDOW_S} s (NVMEV_KILL_WINDOW)")

    def run_kind(self, cls):
        rng = random.Random(f"{SEED}-{cls.name}")
        kind = cls(rng, Pool(rng))
        path = os.path.join(tempfile.mkdtemp(prefix=f"nvmev-kill9-{cls.name}-"), "media")
        for rnd in range(ROUNDS + 1):
            dev = Device(kind.opts, path, kind.size, kind.css)
            try:
                kind.check_started(dev)
                if rnd:
                    log(f"{cls.name} round {rnd}: {kind.verify(dev)}")
                if rnd == ROUNDS:
                    break
                kind.pool.load(dev.qt)
                kind.begin_round(dev)
                moment = rng.uniform(0, WINDOW_S)
                done = self.workload(dev, kind, moment)
                log(f"{cls.name} round {rnd + 1}: killed at {moment:.3f} s after "
                    f"{done} completions, {len(dev.inflight)} commands in flight")
            finally:
                dev.qt.close()

    def workload(self, dev, kind, moment):
        killed = threading.Event()

        def kill():
            killed.set()
            os.kill(dev.qt.proc.pid, signal.SIGKILL)

        done = 0
        timer = threading.Timer(moment, kill)
        timer.start()
        try:
            limit = time.monotonic() + WINDOW_S + 60
            while time.monotonic() < limit:
                while len(dev.inflight) < QD and kind.submit_one(dev):
                    pass
                dev.qt.clock_step(STEP_NS)
                for c in dev.reap():
                    kind.complete(*c)
                    done += 1
            self.fail("the workload outlived its kill")
        except (RuntimeError, OSError, ValueError, struct.error):
            if not killed.is_set():
                raise
        finally:
            timer.cancel()
        self.assertEqual(dev.qt.proc.wait(30), -signal.SIGKILL,
                         "QEMU ended other than by the kill:\n" + dev.qt.stderr())
        return done

    def test_nvm(self):
        self.run_kind(NvmKind)

    def test_conv(self):
        self.run_kind(ConvKind)

    def test_zns(self):
        self.run_kind(ZnsKind)

    def test_kv(self):
        self.run_kind(KvKind)


if __name__ == "__main__":
    unittest.main()
