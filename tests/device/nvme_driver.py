"""Just enough of an NVMe driver, over qtest, to drive nvmev at register level."""

import struct

from qtest_client import BAR0, PCI_SLOT

ASQ, ACQ = 0x100000, 0x110000
IOSQ, IOCQ = 0x120000, 0x130000
DATA = 0x200000          # 1 MiB of data buffers
PRP_LIST = 0x300000


def sqe(opcode, cid, nsid=0, prp1=0, prp2=0, cdw10=0, cdw11=0, cdw12=0,
        cdw13=0, cdw14=0, cdw15=0, flags=0):
    return struct.pack("<BBHIIIQQQIIIIII", opcode, flags, cid, nsid, 0, 0, 0,
                       prp1, prp2, cdw10, cdw11, cdw12, cdw13, cdw14, cdw15)


class Queue:
    def __init__(self, qid, sq, cq, entries):
        self.qid, self.sq, self.cq, self.entries = qid, sq, cq, entries
        self.tail = 0
        self.head = 0
        self.phase = 1


class Nvme:
    def __init__(self, qt, slot=PCI_SLOT, bar0=BAR0):
        """The controller in `slot`, its BAR 0 mapped at `bar0`. Two drivers
        use the same queue and data addresses: run one at a time."""
        self.qt = qt
        self.bar0 = bar0
        self.cid = 0
        self.queues = {}
        qt.map_bar0(slot, bar0)

    def reg32(self, off): return self.qt.readl(self.bar0 + off)
    def reg64(self, off): return self.qt.readq(self.bar0 + off)
    def set32(self, off, v): self.qt.writel(self.bar0 + off, v)

    def enable(self, entries=16, css=0):
        self.set32(0x24, (entries - 1) | ((entries - 1) << 16))
        self.qt.writeq(self.bar0 + 0x28, ASQ)
        self.qt.writeq(self.bar0 + 0x30, ACQ)
        self.qt.memwrite(ACQ, bytes(16 * entries))
        self.set32(0x14, 1 | (css << 4) | (6 << 16) | (4 << 20))
        self.queues[0] = Queue(0, ASQ, ACQ, entries)
        return self.reg32(0x1C)

    def disable(self):
        self.set32(0x14, 0)
        self.queues.clear()

    def submit(self, qid, opcode, **kw):
        q = self.queues[qid]
        self.cid = (self.cid + 1) & 0xFFFF
        self.qt.memwrite(q.sq + 64 * q.tail, sqe(opcode, self.cid, **kw))
        q.tail = (q.tail + 1) % q.entries
        self.set32(0x1000 + 8 * qid, q.tail)
        return self.cid

    def poll(self, qid, dw1=False):
        """Returns (cid, status, dw0) of the next completion, or None; with
        dw1, (cid, status, dw0, dw1)."""
        q = self.queues[qid]
        dw0, d1, _, _, cid, status = struct.unpack(
            "<IIHHHH", self.qt.memread(q.cq + 16 * q.head, 16))
        if (status & 1) != q.phase:
            return None
        q.head = (q.head + 1) % q.entries
        if q.head == 0:
            q.phase ^= 1
        self.set32(0x1000 + 8 * qid + 4, q.head)
        return (cid, status >> 1, dw0, d1) if dw1 else (cid, status >> 1, dw0)

    def wait(self, qid, step_ns=1000, limit_ns=10_000_000):
        waited = 0
        while waited <= limit_ns:
            c = self.poll(qid)
            if c:
                return c
            self.qt.clock_step(step_ns)
            waited += step_ns
        raise TimeoutError(f"no completion on queue {qid}")

    def call(self, qid, opcode, **kw):
        cid = self.submit(qid, opcode, **kw)
        got = self.wait(qid)
        assert got[0] == cid, (got, cid)
        return got[1], got[2]

    def create_io_queues(self, qid=1, entries=64, vector=0):
        """Pair qid: its queues at IOSQ/IOCQ + (qid - 1) * 0x4000 (room for
        up to 256 entries each, 4 pairs before DATA)."""
        sq, cq = IOSQ + (qid - 1) * 0x4000, IOCQ + (qid - 1) * 0x4000
        self.qt.memwrite(cq, bytes(16 * entries))
        st, _ = self.call(0, 0x05, prp1=cq, cdw10=qid | ((entries - 1) << 16),
                          cdw11=1 | 2 | (vector << 16))
        if st:
            return st
        st, _ = self.call(0, 0x01, prp1=sq, cdw10=qid | ((entries - 1) << 16),
                          cdw11=1 | (qid << 16))
        if st == 0:
            self.queues[qid] = Queue(qid, sq, cq, entries)
        return st

    def rw(self, opcode, slba, nlb, prp1, prp2=0, nsid=1, qid=1, **kw):
        return self.call(qid, opcode, nsid=nsid, prp1=prp1, prp2=prp2,
                         cdw10=slba & 0xFFFFFFFF, cdw11=slba >> 32,
                         cdw12=nlb - 1, **kw)
