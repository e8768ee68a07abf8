"""Device tests for how doorbells reach the controller: with shadow doorbells
(Doorbell Buffer Config) the I/O queues' doorbells become ioeventfds on the
device's notifier (property ioeventfd, default on), and go back to MMIO when
a controller reset ends shadow doorbells; in an IOThread the controller also
polls the shadow buffer. Each way, data written is read back intact."""

import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import QTest  # noqa: E402
from nvme_driver import DATA, Nvme, sqe  # noqa: E402

REG_CC, REG_CSTS = 0x14, 0x1C
OPC_WRITE, OPC_READ, OPC_DBBUF = 0x01, 0x02, 0x7C
SHADOW, EVENTIDX = 0x400000, 0x401000
TIMING = ("read-latency-ns=20000,write-latency-ns=20000,"
          "read-bandwidth-mbps=4096,write-bandwidth-mbps=4096")


def pattern(seed, size=4096):
    return bytes((i * seed + (i >> 8)) & 0xFF for i in range(size))


class DoorbellTestBase(unittest.TestCase):
    OPTS = f"size=16M,{TIMING}"
    EXTRA = ()

    def setUp(self):
        self.qt = QTest(self.OPTS, ("-trace", "nvmev_ioeventfd", *self.EXTRA))
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(entries=16), 0)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def ioeventfd_trace(self):
        """The on/off states the device traced, in order."""
        deadline = time.monotonic() + 5
        lines = []
        while time.monotonic() < deadline:
            lines = [ln for ln in self.qt.stderr().splitlines() if "ioeventfd" in ln]
            if lines:
                break
            time.sleep(0.05)
        return [int(ln.rsplit(":", 1)[1]) for ln in lines]

    def shadow_on(self):
        q = self.nvme.queues[1]
        self.qt.memwrite(SHADOW, bytes(8192))
        self.qt.memwrite(SHADOW + 8, struct.pack("<II", q.tail, q.head))
        self.assertEqual(self.nvme.call(0, OPC_DBBUF, prp1=SHADOW, prp2=EVENTIDX)[0], 0)
        self.qt.clock_step(1)  # lets the main loop run the device's bottom halves

    def shadow_io(self, opc, slba, buf, ring=True):
        """One command through the shadow SQ tail (then, as Linux does when
        the event index says so, the MMIO doorbell); reaped through the
        shadow CQ head. Returns its status."""
        q = self.nvme.queues[1]
        self.nvme.cid += 1
        cid = self.nvme.cid
        self.qt.memwrite(q.sq + 64 * q.tail, sqe(opc, cid, nsid=1, prp1=buf, cdw10=slba, cdw12=7))
        q.tail = (q.tail + 1) % q.entries
        self.qt.memwrite(SHADOW + 8, struct.pack("<I", q.tail))
        if ring:
            self.nvme.set32(0x1008, q.tail)
        for _ in range(1000):
            dw3 = struct.unpack("<I", self.qt.memread(q.cq + 16 * q.head + 12, 4))[0]
            if (dw3 >> 16) & 1 == q.phase:
                break
            self.qt.clock_step(1000)
        else:
            self.fail("no completion")
        self.assertEqual(dw3 & 0xFFFF, cid)
        q.head = (q.head + 1) % q.entries
        if q.head == 0:
            q.phase ^= 1
        self.qt.memwrite(SHADOW + 12, struct.pack("<I", q.head))
        return dw3 >> 17

    def round_trip(self, seed, ring=True):
        self.qt.memwrite(DATA, pattern(seed))
        self.assertEqual(self.shadow_io(OPC_WRITE, 8 * seed, DATA, ring), 0)
        self.qt.memwrite(DATA + 0x10000, b"\xee" * 4096)
        self.assertEqual(self.shadow_io(OPC_READ, 8 * seed, DATA + 0x10000, ring), 0)
        self.assertEqual(self.qt.memread(DATA + 0x10000, 4096), pattern(seed))


class MainLoopDoorbellTest(DoorbellTestBase):
    def test_shadow_doorbells_move_to_ioeventfds_and_back_on_reset(self):
        self.round_trip(1)  # plain MMIO doorbells
        self.assertEqual(self.ioeventfd_trace(), [])
        self.shadow_on()
        self.assertEqual(self.ioeventfd_trace(), [1])
        for seed in range(2, 22):  # more than the 16-entry queues: wraps
            self.round_trip(seed)
        self.nvme.set32(REG_CC, 0)
        self.assertEqual(self.nvme.reg32(REG_CSTS) & 1, 0)
        self.assertEqual(self.ioeventfd_trace(), [1, 0])
        # Without shadow doorbells the MMIO value counts again.
        self.nvme.queues.clear()
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(entries=16), 0)
        self.qt.memwrite(DATA + 0x10000, b"\xee" * 4096)
        self.assertEqual(self.nvme.rw(OPC_READ, 8 * 21, 8, DATA + 0x10000)[0], 0)
        self.assertEqual(self.qt.memread(DATA + 0x10000, 4096), pattern(21))


class NoIoeventfdTest(DoorbellTestBase):
    OPTS = f"size=16M,{TIMING},ioeventfd=off"

    def test_shadow_doorbells_stay_mmio(self):
        self.shadow_on()
        for seed in range(1, 20):
            self.round_trip(seed)
        self.assertEqual(self.ioeventfd_trace(), [])


class NoDbbufTest(DoorbellTestBase):
    """dbbuf=off: Doorbell Buffer Config is not offered (docs/properties.md),
    so doorbells stay MMIO and no ioeventfd is set up."""
    OPTS = f"size=16M,{TIMING},dbbuf=off"

    def test_doorbell_buffer_config_is_an_invalid_opcode(self):
        st, _ = self.nvme.call(0, 0x06, cdw10=1, prp1=DATA)  # Identify Controller
        self.assertEqual(st, 0)
        oacs, = struct.unpack("<H", self.qt.memread(DATA + 256, 2))
        self.assertEqual(oacs & 0x100, 0)
        st, _ = self.nvme.call(0, OPC_DBBUF, prp1=SHADOW, prp2=EVENTIDX)
        self.assertEqual(st & 0x7FF, 0x001)  # SCT 0, SC 01h Invalid Command Opcode
        for seed in range(1, 20):  # MMIO doorbells through a wrap
            self.qt.memwrite(DATA, pattern(seed))
            self.assertEqual(self.nvme.rw(OPC_WRITE, 8 * seed, 8, DATA)[0], 0)
            self.qt.memwrite(DATA + 0x10000, b"\xee" * 4096)
            self.assertEqual(self.nvme.rw(OPC_READ, 8 * seed, 8, DATA + 0x10000)[0], 0)
            self.assertEqual(self.qt.memread(DATA + 0x10000, 4096), pattern(seed))
        self.assertEqual(self.ioeventfd_trace(), [])


class IOThreadDoorbellTest(DoorbellTestBase):
    OPTS = f"size=16M,{TIMING},iothread=io0"
    EXTRA = ("-object", "iothread,id=io0,poll-max-ns=100000")

    def test_shadow_doorbells_in_a_polling_iothread(self):
        self.shadow_on()
        self.assertEqual(self.ioeventfd_trace(), [1])
        for seed in range(1, 20):
            self.round_trip(seed)


if __name__ == "__main__":
    unittest.main()
