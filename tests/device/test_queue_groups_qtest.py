"""Device tests for iothread-vq-mapping: the I/O queue pairs split among
IOThreads (each a queue group of the core), as virtio-blk splits its
virtqueues. query-nvmev reports the mapping; commands on queue pairs of
different IOThreads move their data in each thread, and what one pair wrote
another reads back; bad mappings stop QEMU with a message that names the
property."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import FIRMWARE, QEMU, QTest  # noqa: E402
from nvme_driver import DATA, Nvme, sqe  # noqa: E402

OPC_WRITE, OPC_READ = 0x01, 0x02
SC_DATA_TRANSFER_ERROR = 0x4
IOAPIC, HPET = 0xFEC00000, 0xFED00000  # q35 MMIO, not RAM
BIOS = 0xFFFE0000  # SeaBIOS's 256 KiB ROM ("pc.bios") below 4 GiB: read-only RAM
REG_CC, REG_CSTS = 0x14, 0x1C
TIMING = {"read-latency-ns": 20000, "write-latency-ns": 20000,
          "read-bandwidth-mbps": 4096, "write-bandwidth-mbps": 4096}
IOTHREADS = ("-object", "iothread,id=io0", "-object", "iothread,id=io1,poll-max-ns=0")


def pattern(seed, size=4096):
    return bytes((i * seed + (i >> 8)) & 0xFF for i in range(size))


def startup_error(device):
    """Runs QEMU with the device (a JSON -device string); returns its stderr
    after it refused to start."""
    p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                        "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null",
                        *IOTHREADS, "-device", device],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, "QEMU started with " + device
    return p.stderr


class QueueGroupsTestBase(unittest.TestCase):
    MAPPING = None
    PAIRS = 4

    def setUp(self):
        opts = {"size": 16 << 20, "max-ioqpairs": self.PAIRS,
                "iothread-vq-mapping": self.MAPPING, **TIMING}
        self.qt = QTest(opts, (*IOTHREADS, "-trace", "nvmev_queue_group"))
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def groups(self):
        (info,) = self.qt.qmp("query-nvmev")
        return [(g["iothread"], g["queue-pairs"]) for g in info["queue-groups"]]

    def write_then_read_across(self, pairs):
        """Each pair writes its own blocks; the next pair reads them back."""
        for qid in pairs:
            self.assertEqual(self.nvme.create_io_queues(qid, entries=16), 0)
        for round_ in range(3):  # 3 x 16-entry queues: wraps them
            for n, qid in enumerate(pairs):
                seed = 1 + n + 4 * round_
                buf = DATA + 0x10000 * n
                self.qt.memwrite(buf, pattern(seed))
                self.assertEqual(self.nvme.rw(OPC_WRITE, 8 * seed, 8, buf, qid=qid)[0], 0)
            for n, qid in enumerate(pairs):
                seed = 1 + n + 4 * round_
                reader = pairs[(n + 1) % len(pairs)]
                buf = DATA + 0x80000 + 0x10000 * n
                self.qt.memwrite(buf, b"\xee" * 4096)
                self.assertEqual(self.nvme.rw(OPC_READ, 8 * seed, 8, buf, qid=reader)[0], 0)
                self.assertEqual(self.qt.memread(buf, 4096), pattern(seed), (qid, reader))


class RoundRobinTest(QueueGroupsTestBase):
    MAPPING = [{"iothread": "io0"}, {"iothread": "io1"}]

    def test_pairs_alternate_between_the_iothreads_and_share_the_data(self):
        self.assertEqual(self.groups(), [("io0", [1, 3]), ("io1", [2, 4])])
        err = self.qt.stderr()
        self.assertIn("queue group 0 in io0", err)
        self.assertIn("queue group 1 in io1", err)
        self.write_then_read_across([1, 2, 3, 4])

    def test_dma_from_an_iothread_into_mmio_fails_instead_of_taking_the_bql(self):
        # An IOThread holds the core's lock while it moves data; an MMIO
        # target would make it wait for the BQL, which a vCPU writing a
        # doorbell holds while it waits for that lock. So only RAM is
        # reachable from an IOThread, and the command fails.
        for qid in (1, 2):
            self.assertEqual(self.nvme.create_io_queues(qid, entries=16), 0)
        self.assertEqual(self.nvme.rw(OPC_READ, 0, 8, IOAPIC, qid=2)[0], SC_DATA_TRANSFER_ERROR)
        self.assertEqual(self.nvme.rw(OPC_WRITE, 0, 8, HPET, qid=1)[0], SC_DATA_TRANSFER_ERROR)
        self.qt.memwrite(DATA, pattern(9))
        self.assertEqual(self.nvme.rw(OPC_WRITE, 0, 8, DATA, qid=1)[0], 0)
        self.assertEqual(self.nvme.rw(OPC_READ, 0, 8, DATA + 0x10000, qid=2)[0], 0)
        self.assertEqual(self.qt.memread(DATA + 0x10000, 4096), pattern(9))

    def test_dma_from_an_iothread_into_rom_fails_instead_of_taking_the_bql(self):
        # QEMU's generic fuzzer found it (docs/fuzzing.md): ROM counts as RAM
        # for QEMU's "memory" attribute, but a write into it takes the MMIO
        # path and so the BQL, with the core's lock held; with the main loop
        # resetting the machine (BQL held, waiting for the core's lock) both
        # threads hung. A Read into the ROM now fails; reading from it (a
        # Write of the ROM's bytes) is a direct access and works.
        for qid in (1, 2):
            self.assertEqual(self.nvme.create_io_queues(qid, entries=16), 0)
        self.assertEqual(self.nvme.rw(OPC_READ, 0, 8, BIOS, qid=1)[0], SC_DATA_TRANSFER_ERROR)
        rom = self.qt.memread(BIOS, 4096)
        self.assertEqual(self.nvme.rw(OPC_WRITE, 16, 8, BIOS, qid=2)[0], 0)
        self.assertEqual(self.nvme.rw(OPC_READ, 16, 8, DATA, qid=1)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 4096), rom)
        # A completion queue in the ROM: the controller cannot post to it,
        # so it reports a fatal status, and a system reset still completes.
        cq = BIOS
        st, _ = self.nvme.call(0, 0x05, prp1=cq, cdw10=3 | (15 << 16), cdw11=1)
        self.assertEqual(st, 0)
        st, _ = self.nvme.call(0, 0x01, prp1=DATA + 0x20000, cdw10=3 | (15 << 16),
                               cdw11=1 | (3 << 16))
        self.assertEqual(st, 0)
        q = DATA + 0x20000
        self.qt.memwrite(q, bytes(64))
        self.qt.memwrite(q, sqe(OPC_READ, 1, nsid=1, prp1=DATA + 0x30000, cdw12=7))
        self.nvme.set32(0x1000 + 2 * 3 * 4, 1)  # SQ 3 tail
        for _ in range(1000):
            if self.nvme.reg32(REG_CSTS) & 2:
                break
            self.qt.clock_step(1000)
        self.assertEqual(self.nvme.reg32(REG_CSTS) & 2, 2)  # CSTS.CFS
        self.qt.qmp("system_reset")
        self.assertTrue(self.qt.alive())
        self.assertEqual(self.qt.qmp("query-status")["status"], "running")

    def test_a_reset_with_both_groups_busy_leaves_a_working_controller(self):
        self.write_then_read_across([1, 2])
        self.nvme.set32(REG_CC, 0)
        for _ in range(1000):
            if self.nvme.reg32(REG_CSTS) & 1 == 0:
                break
        self.assertEqual(self.nvme.reg32(REG_CSTS) & 1, 0)
        self.nvme.queues.clear()
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(2, entries=16), 0)
        buf = DATA + 0x40000
        self.assertEqual(self.nvme.rw(OPC_READ, 8 * 1, 8, buf, qid=2)[0], 0)
        self.assertEqual(self.qt.memread(buf, 4096), pattern(1))


class ExplicitMappingTest(QueueGroupsTestBase):
    PAIRS = 2
    MAPPING = [{"iothread": "io1", "vqs": [1]}, {"iothread": "io0", "vqs": [0]}]

    def test_vq_n_is_queue_pair_n_plus_1(self):
        self.assertEqual(self.groups(), [("io1", [2]), ("io0", [1])])
        self.write_then_read_across([2, 1])


class MappingErrorsTest(unittest.TestCase):
    def device(self, **props):
        return json.dumps({"driver": "nvmev", "size": 8 << 20, "max-ioqpairs": 2, **props})

    def test_iothread_and_a_mapping_together(self):
        err = startup_error(self.device(iothread="io0",
                                        **{"iothread-vq-mapping": [{"iothread": "io1"}]}))
        self.assertIn("give either 'iothread' or 'iothread-vq-mapping', not both", err)

    def test_an_unknown_iothread(self):
        err = startup_error(self.device(**{"iothread-vq-mapping": [{"iothread": "nope"}]}))
        self.assertIn("property 'iothread-vq-mapping': IOThread \"nope\" object does not exist",
                      err)

    def test_a_queue_pair_beyond_max_ioqpairs(self):
        err = startup_error(self.device(**{"iothread-vq-mapping": [
            {"iothread": "io0", "vqs": [0, 1]}, {"iothread": "io1", "vqs": [2]}]}))
        self.assertIn("property 'iothread-vq-mapping': vq index 2 for IOThread \"io1\" must be "
                      "less than num_queues 2", err)

    def test_a_queue_pair_left_out(self):
        err = startup_error(self.device(**{"max-ioqpairs": 3, "iothread-vq-mapping": [
            {"iothread": "io0", "vqs": [0]}, {"iothread": "io1", "vqs": [2]}]}))
        self.assertIn("missing vq 1 IOThread assignment", err)

    def test_more_iothreads_than_queue_pairs(self):
        err = startup_error(self.device(**{"max-ioqpairs": 1, "iothread-vq-mapping": [
            {"iothread": "io0"}, {"iothread": "io1"}]}))
        self.assertIn("property 'iothread-vq-mapping': 2 queue groups for 1 I/O queue pairs: "
                      "need 1..1", err)


if __name__ == "__main__":
    unittest.main()
