"""Device tests: the real QEMU binary with nvmev, driven at register level
over qtest (no guest kernel). The qtest accelerator freezes the virtual
clock, so completion times are asserted exactly."""

import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import STATE_AREA, QTest  # noqa: E402
from nvme_driver import DATA, PRP_LIST, Nvme  # noqa: E402

SC_INVALID_OPCODE = 0x4001
SC_INVALID_FIELD = 0x4002
SC_LBA_RANGE = 0x4080
SC_INVALID_QID = 0x4101
SC_INVALID_PRP_OFFSET = 0x4013


class DeviceTest(unittest.TestCase):
    OPTS = "size=64M,serial=QT-SERIAL-7,model=qtest model,read-latency-ns=50000,write-latency-ns=20000,read-bandwidth-mbps=4096,write-bandwidth-mbps=4096"

    def setUp(self):
        self.qt = QTest(self.OPTS)
        self.nvme = Nvme(self.qt)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def ready(self):
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def test_pci_identity(self):
        ids = self.qt.cfg_readl(0x00)
        self.assertEqual(ids & 0xFFFF, 0x1B36)
        self.assertEqual(ids >> 16, 0x10EE)
        self.assertEqual(self.qt.cfg_readl(0x08) >> 8, 0x010802)  # NVMe class
        self.assertEqual(self.qt.cfg_readl(0x10) & 0x6, 0x4)       # 64-bit BAR

    def test_registers(self):
        cap = self.nvme.reg64(0x0)
        self.assertEqual(cap & 0xFFFF, 4095)
        self.assertEqual((cap >> 37) & 1, 1)
        self.assertEqual(self.nvme.reg32(0x8), 0x00010400)
        self.assertEqual(self.nvme.reg32(0x1C), 0)
        # Byte writes to CC are ignored, not merged.
        self.qt.writeb(0xFE000014, 1)
        self.assertEqual(self.nvme.reg32(0x14), 0)

    def test_enable_disable_cycle(self):
        for _ in range(3):
            self.assertEqual(self.nvme.enable() & 1, 1)
            self.assertEqual(self.nvme.create_io_queues(), 0)
            self.nvme.disable()
            self.assertEqual(self.nvme.reg32(0x1C) & 1, 0)

    def test_identify(self):
        self.nvme.enable()
        st, _ = self.nvme.call(0, 0x06, prp1=DATA, cdw10=1)
        self.assertEqual(st, 0)
        idc = self.qt.memread(DATA, 4096)
        self.assertEqual(idc[4:24].decode().rstrip(), "QT-SERIAL-7")
        self.assertEqual(idc[24:64].decode().rstrip(), "qtest model")
        self.assertEqual(idc[77], 7)  # MDTS
        st, _ = self.nvme.call(0, 0x06, nsid=1, prp1=DATA, cdw10=0)
        self.assertEqual(st, 0)
        nsze = struct.unpack("<Q", self.qt.memread(DATA, 8))[0]
        self.assertEqual(nsze, 64 * 2**20 // 512)

    def test_write_read_back_across_a_prp_list(self):
        self.ready()
        pages = 16  # 64 KiB: PRP1 + a list of 15 entries
        data = bytes((i * 7 + i // 4096) & 0xFF for i in range(4096 * pages))
        self.qt.memwrite(DATA, data)
        entries = b"".join(struct.pack("<Q", DATA + 4096 * i) for i in range(1, pages))
        self.qt.memwrite(PRP_LIST, entries)
        st, _ = self.nvme.rw(0x01, 1000, 8 * pages, DATA, PRP_LIST)
        self.assertEqual(st, 0)
        self.qt.memwrite(DATA, bytes(4096 * pages))
        st, _ = self.nvme.rw(0x02, 1000, 8 * pages, DATA, PRP_LIST)
        self.assertEqual(st, 0)
        self.assertEqual(self.qt.memread(DATA, 4096 * pages), data)

    def test_completion_lands_exactly_at_the_configured_latency(self):
        self.ready()
        t0 = self.qt.clock_now()
        cid = self.nvme.submit(1, 0x02, nsid=1, prp1=DATA, cdw12=7)
        self.qt.clock_step(49_999)
        self.assertIsNone(self.nvme.poll(1))
        self.qt.clock_step(1)
        got = self.nvme.poll(1)
        self.assertIsNotNone(got)
        self.assertEqual(got[0], cid)
        self.assertEqual(self.qt.clock_now() - t0, 50_000)
        info = self.qt.qmp("query-nvmev")[0]
        self.assertEqual(info["counters"]["read-cmds"], 1)
        self.assertEqual(info["lateness"]["max-ns"], 0)

    def test_set_timing_over_qmp(self):
        self.ready()
        self.qt.qmp("nvmev-set-timing", id="nvme0", **{"read-latency-ns": 7000})
        self.nvme.submit(1, 0x02, nsid=1, prp1=DATA, cdw12=7)
        self.qt.clock_step(6_999)
        self.assertIsNone(self.nvme.poll(1))
        self.qt.clock_step(1)
        self.assertIsNotNone(self.nvme.poll(1))
        with self.assertRaisesRegex(RuntimeError, "'read-bandwidth-mbps' must be positive"):
            self.qt.qmp("nvmev-set-timing", id="nvme0", **{"read-bandwidth-mbps": 0})
        with self.assertRaisesRegex(RuntimeError, "no nvmev device with id 'nope'"):
            self.qt.qmp("nvmev-set-timing", id="nope", **{"read-latency-ns": 1})
        self.qt.qmp("nvmev-reset-stats")
        self.assertEqual(self.qt.qmp("query-nvmev")[0]["counters"]["read-cmds"], 0)

    def test_write_zeroes_and_deallocate_read_back_as_zeros(self):
        self.ready()
        nlbas = 64 * 2**20 // 512
        for slba in (0, 64):
            self.qt.memwrite(DATA, b"\xab" * 4096)
            self.assertEqual(self.nvme.rw(0x01, slba, 8, DATA)[0], 0)
        # Write Zeroes on LBAs 0..7; Dataset Management deallocate on 64..71.
        self.assertEqual(self.nvme.call(1, 0x08, nsid=1, cdw10=0, cdw12=7)[0], 0)
        self.qt.memwrite(DATA, struct.pack("<IIQ", 0, 8, 64))
        self.assertEqual(self.nvme.call(1, 0x09, nsid=1, prp1=DATA, cdw10=0, cdw11=1 << 2)[0], 0)
        for slba in (0, 64):
            self.qt.memwrite(DATA, b"\xff" * 4096)
            self.assertEqual(self.nvme.rw(0x02, slba, 8, DATA)[0], 0)
            self.assertEqual(self.qt.memread(DATA, 4096), bytes(4096))
        # Ranges past the end: LBA Out of Range, nothing changed.
        self.assertEqual(self.nvme.call(1, 0x08, nsid=1, cdw10=nlbas - 4, cdw12=7)[0],
                         SC_LBA_RANGE)
        self.qt.memwrite(DATA, struct.pack("<IIQ", 0, 8, 0) + struct.pack("<IIQ", 0, 8, nlbas))
        self.assertEqual(self.nvme.call(1, 0x09, nsid=1, prp1=DATA, cdw10=1, cdw11=1 << 2)[0],
                         SC_LBA_RANGE)

    def test_malformed_commands_get_spec_statuses(self):
        self.ready()
        nlbas = 64 * 2**20 // 512
        self.assertEqual(self.nvme.rw(0x02, nlbas - 4, 8, DATA)[0], SC_LBA_RANGE)
        self.assertEqual(self.nvme.call(1, 0x7F, nsid=1)[0], SC_INVALID_OPCODE)
        self.assertEqual(self.nvme.call(0, 0xE0)[0], SC_INVALID_OPCODE)
        self.assertEqual(self.nvme.rw(0x02, 0, 16, DATA, DATA + 0x1008)[0],
                         SC_INVALID_PRP_OFFSET)
        self.assertEqual(self.nvme.create_io_queues(qid=0), SC_INVALID_QID)
        self.assertEqual(self.nvme.rw(0x02, 0, 8, 0x7FFFF000)[0], 0x0004)  # DMA error

    def test_garbage_from_the_guest_leaves_qemu_healthy(self):
        self.ready()
        # Random SQEs, doorbells beyond every queue, writes of every size.
        import random
        rnd = random.Random(1234)
        for _ in range(200):
            raw = bytes(rnd.getrandbits(8) for _ in range(64))
            q = self.nvme.queues[rnd.choice([0, 1])]
            self.qt.memwrite(q.sq + 64 * q.tail, raw)
            q.tail = (q.tail + 1) % q.entries
            self.nvme.set32(0x1000 + 8 * q.qid, q.tail)
            self.qt.clock_step(rnd.randrange(1, 200_000))
        for off in (0x1000 + 8 * 30, 0x1004, 0x3FFC, 0x20, 0x0):
            self.qt.writel(0xFE000000 + off, 0xFFFFFFFF)
        self.qt.clock_step(10_000_000)
        self.assertTrue(self.qt.alive())
        # The controller still answers (after a reset if the garbage broke it).
        self.nvme.disable()
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.call(0, 0x06, prp1=DATA, cdw10=1)[0], 0)


class ConvDeviceTest(unittest.TestCase):
    """ssd=conv (samsung-970pro preset) timed exactly on the frozen clock."""
    OPTS = "ssd=conv,size=64M"
    # 4096 B over PCIe at 3523 MB/s: ceil(4096e6 / 3523) ps = 1162646 ps,
    # rounded up to 1163 ns.
    PCIE_4K = 1163

    def setUp(self):
        self.qt = QTest(self.OPTS)
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def assertCompletesAfter(self, ns, opcode, slba=0, nlb=8):
        """The command completes, successfully, exactly `ns` after submission."""
        self.nvme.submit(1, opcode, nsid=1, prp1=DATA, cdw10=slba, cdw12=nlb - 1)
        self.qt.clock_step(ns - 1)
        self.assertIsNone(self.nvme.poll(1), f"completed before {ns} ns")
        self.qt.clock_step(1)
        got = self.nvme.poll(1)
        self.assertIsNotNone(got, f"not completed at {ns} ns")
        self.assertEqual(got[1], 0)

    def test_reads_and_writes_take_the_model_time(self):
        # Never written: firmware (21.5 us) + PCIe, no NAND.
        self.assertCompletesAfter(21500 + self.PCIE_4K, 0x02)
        # Write, early completion: 4000 + 460 ns firmware + PCIe.
        self.assertCompletesAfter(4460 + self.PCIE_4K, 0x01)
        # Its 32 KiB program unit is still open: read from the write buffer.
        self.assertCompletesAfter(21500 + self.PCIE_4K, 0x02)

    def test_timing_parameters_retune_over_qmp(self):
        self.qt.qmp("nvmev-set-timing", id="nvme0",
                    parameters=[{"name": "fw-read-4k-ns", "value": 1000},
                                {"name": "pcie-mbps", "value": 4096}])
        # 4096 B at 4096 MB/s = 1000 ns.
        self.assertCompletesAfter(1000 + 1000, 0x02)
        with self.assertRaisesRegex(RuntimeError, "'read-latency-ns' is not a timing parameter "
                                    "of ssd=conv"):
            self.qt.qmp("nvmev-set-timing", id="nvme0", **{"read-latency-ns": 1})
        with self.assertRaisesRegex(RuntimeError, "'channel-mbps' must be at least 1"):
            self.qt.qmp("nvmev-set-timing", id="nvme0",
                        parameters=[{"name": "fw-read-4k-ns", "value": 5},
                                    {"name": "channel-mbps", "value": 0}])
        info = self.qt.qmp("query-nvmev")[0]
        params = {p["name"]: p["value"] for p in info["parameters"]}
        self.assertEqual(params["fw-read-4k-ns"], 1000)  # the failed retune changed nothing
        self.assertEqual(params["channels"], 8)
        self.assertEqual(params["partitions"], 4)
        self.assertNotIn("timing", info)
        self.assertEqual(info["kind"], "conv")
        self.assertEqual(info["preset"], "samsung-970pro")
        self.assertEqual(info["media"]["write-buffer-capacity"], 2**20)


class ZnsDeviceTest(unittest.TestCase):
    """ssd=zns (wd-zn540 preset, 48 MiB zones) in the real QEMU binary."""
    # 4096 B over PCIe at 3050 MB/s: ceil(4096e6 / 3050) ps, rounded up = 1343 ns.
    PCIE_4K = 1343

    def start(self, opts="", extra=()):
        self.qt = QTest("ssd=zns,zone-size=48M,max-open-zones=2,max-active-zones=3," + opts,
                        extra)
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable(css=6) & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def zone_send(self, slba, action, select_all=False):
        return self.nvme.call(1, 0x79, nsid=1, cdw10=slba & 0xFFFFFFFF, cdw11=slba >> 32,
                              cdw13=action | (0x100 if select_all else 0))[0]

    def report(self, slba=0, nzones=4):
        size = 64 + 64 * nzones
        st, _ = self.nvme.call(1, 0x7A, nsid=1, prp1=DATA, cdw10=slba, cdw12=size // 4 - 1)
        self.assertEqual(st, 0)
        data = self.qt.memread(DATA, size)
        out = []
        for i in range(struct.unpack_from("<Q", data)[0]):
            zt, zs, za, _, zcap, zslba, wp = struct.unpack_from("<BBBB4xQQQ", data, 64 + 64 * i)
            out.append((zs >> 4, zslba, wp))
        return out

    def test_zone_commands_timing_and_qmp(self):
        self.start("size=192M")
        zone = 48 * 2**20 // 512
        info = self.qt.qmp("query-nvmev")[0]
        self.assertEqual(info["kind"], "zns")
        self.assertEqual(info["capacity-bytes"], 192 * 2**20)
        self.assertEqual(info["zones"]["count"], 4)
        self.assertEqual(info["zones"]["zone-size"], 48 * 2**20)
        # Identify CNS 05h CSI 2: zone size in LBAs, MOR/MAR 0's based.
        st, _ = self.nvme.call(0, 0x06, nsid=1, prp1=DATA, cdw10=0x05, cdw11=2 << 24)
        self.assertEqual(st, 0)
        zoc, ozcs, mar, mor = struct.unpack_from("<HHII", self.qt.memread(DATA, 12))
        self.assertEqual((zoc, mar, mor), (0, 2, 1))
        self.assertEqual(struct.unpack_from("<Q", self.qt.memread(DATA + 2816, 8))[0], zone)
        # Unwritten read: firmware 20 us + PCIe. Write at the write pointer,
        # early completion: 5600 + 600 ns firmware + PCIe.
        self.nvme.submit(1, 0x02, nsid=1, prp1=DATA, cdw12=7)
        self.qt.clock_step(20000 + self.PCIE_4K - 1)
        self.assertIsNone(self.nvme.poll(1))
        self.qt.clock_step(1)
        self.assertEqual(self.nvme.poll(1)[1], 0)
        self.nvme.submit(1, 0x01, nsid=1, prp1=DATA, cdw12=7)
        self.qt.clock_step(6200 + self.PCIE_4K - 1)
        self.assertIsNone(self.nvme.poll(1))
        self.qt.clock_step(1)
        self.assertEqual(self.nvme.poll(1)[1], 0)
        # Not at the write pointer: Zone Invalid Write (SCT 1, SC BCh, DNR).
        self.assertEqual(self.nvme.rw(0x01, 0, 8, DATA)[0], 0x41BC)
        # Zone Append returns the LBA it wrote.
        self.nvme.submit(1, 0x7D, nsid=1, prp1=DATA, cdw10=zone, cdw12=7)
        got = None
        for _ in range(1000):
            got = self.nvme.poll(1, dw1=True)
            if got:
                break
            self.qt.clock_step(1000)
        self.assertEqual(got[1:], (0, zone, 0))
        self.assertEqual(self.report(), [(2, 0, 8), (2, zone, zone + 8), (1, 2 * zone, 2 * zone),
                                         (1, 3 * zone, 3 * zone)])
        self.assertEqual(self.zone_send(2 * zone, 0x02), 0)  # finish
        self.assertEqual(self.zone_send(0, 0x04, select_all=True), 0)  # reset all
        self.assertEqual([z[0] for z in self.report()], [1, 1, 1, 1])
        info = self.qt.qmp("query-nvmev")[0]["zones"]
        self.assertEqual((info["empty"], info["resets"], info["finishes"], info["appends"]),
                         (4, 3, 1, 1))
        # Fault injection over QMP.
        self.qt.qmp("nvmev-zone-set-state", id="nvme0", zone=1, state="offline")
        self.assertEqual(self.report()[1][0], 0xF)
        self.assertEqual(self.nvme.rw(0x02, zone, 8, DATA)[0], 0x41BB)
        with self.assertRaisesRegex(RuntimeError, "zone 4 does not exist"):
            self.qt.qmp("nvmev-zone-set-state", id="nvme0", zone=4, state="offline")

    def test_zones_persist_in_a_memdev_file(self):
        path = os.path.join(tempfile.mkdtemp(prefix="nvmev-zns-"), "media")
        backend = ("-object", f"memory-backend-file,id=m0,mem-path={path},"
                   f"size={192 * 2**20 + 8192 + STATE_AREA},share=on")
        zone = 48 * 2**20 // 512
        self.start("memdev=m0", backend)
        self.qt.memwrite(DATA, bytes(range(256)) * 16)
        self.assertEqual(self.nvme.rw(0x01, 0, 8, DATA)[0], 0)
        self.assertEqual(self.zone_send(zone, 0x03), 0)          # explicitly open
        self.assertEqual(self.zone_send(2 * zone, 0x02), 0)      # full
        before = self.report()
        self.assertEqual(before[0], (2, 0, 8))
        self.qt.close()
        self.start("memdev=m0", backend)
        self.assertEqual(self.report(), before)
        self.assertEqual(self.nvme.rw(0x02, 0, 8, DATA + 4096)[0], 0)
        self.assertEqual(self.qt.memread(DATA + 4096, 4096), bytes(range(256)) * 16)


if __name__ == "__main__":
    unittest.main()
