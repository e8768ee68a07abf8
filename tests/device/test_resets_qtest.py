"""Device tests for resets and teardown: controller reset (CC.EN 1 -> 0),
shutdown (CC.SHN), NVM Subsystem Reset, PCIe Function Level Reset and
hot-unplug with device_del, each with I/O outstanding, then the controller
(or QEMU) working again with the data intact. The qtest clock is frozen, so
"outstanding" is exact: a command is fetched but its deadline not reached."""

import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import BAR0, PCI_SLOT, QTest, find_cap  # noqa: E402
from nvme_driver import ACQ, DATA, IOCQ, Nvme, sqe  # noqa: E402

REG_CAP, REG_INTMS, REG_CC, REG_CSTS, REG_NSSR = 0x00, 0x0C, 0x14, 0x1C, 0x20
REG_AQA, REG_ASQ, REG_ACQ = 0x24, 0x28, 0x30
CSTS_RDY, CSTS_CFS, CSTS_NSSRO = 1, 2, 1 << 4
SHST_COMPLETE = 2 << 2
OPC_WRITE, OPC_READ, OPC_AER, OPC_DBBUF = 0x01, 0x02, 0x0C, 0x7C
READ_NS, WRITE_NS = 50_000, 20_000
TIMING = (f"read-latency-ns={READ_NS},write-latency-ns={WRITE_NS},"
          "read-bandwidth-mbps=4096,write-bandwidth-mbps=4096")
MIB64 = 64 * 2**20


def pattern(seed, size=4096):
    return bytes((i * seed + (i >> 8)) & 0xFF for i in range(size))


class ResetTestBase(unittest.TestCase):
    OPTS = f"size=64M,{TIMING}"
    EXTRA = ()

    def setUp(self):
        self.qt = QTest(self.OPTS, self.EXTRA)
        self.nvme = Nvme(self.qt)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def ready(self):
        self.assertEqual(self.nvme.enable() & CSTS_RDY, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def write_lba(self, slba, data):
        self.qt.memwrite(DATA, data)
        self.assertEqual(self.nvme.rw(OPC_WRITE, slba, len(data) // 512, DATA)[0], 0)

    def read_lba(self, slba, size=4096):
        self.qt.memwrite(DATA + 0x10000, b"\xee" * size)
        self.assertEqual(self.nvme.rw(OPC_READ, slba, size // 512, DATA + 0x10000)[0], 0)
        return self.qt.memread(DATA + 0x10000, size)

    def submit_outstanding(self):
        """A write (LBA 8) and a read (LBA 0) fetched but not yet due."""
        self.qt.memwrite(DATA + 0x20000, pattern(5))
        self.qt.memwrite(DATA + 0x30000, b"\xee" * 4096)
        self.nvme.submit(1, OPC_WRITE, nsid=1, prp1=DATA + 0x20000, cdw10=8, cdw12=7)
        self.nvme.submit(1, OPC_READ, nsid=1, prp1=DATA + 0x30000, cdw10=0, cdw12=7)
        self.qt.clock_step(1)
        self.assertIsNone(self.nvme.poll(1), "completed before its deadline")


class ControllerResetTest(ResetTestBase):
    def test_reset_drops_completions_queues_aers_and_shadow_doorbells(self):
        self.ready()
        self.write_lba(0, pattern(3))
        # Shadow doorbells on (the shadow SQ 1 tail set to the current tail,
        # as a driver does), one AER outstanding.
        self.qt.memwrite(0x400000, bytes(8192))
        self.qt.memwrite(0x400000 + 8, struct.pack("<I", self.nvme.queues[1].tail))
        self.assertEqual(self.nvme.call(0, OPC_DBBUF, prp1=0x400000, prp2=0x401000)[0], 0)
        self.nvme.submit(0, OPC_AER)
        # With shadow doorbells the host writes the shadow tail, then rings.
        self.qt.memwrite(DATA + 0x20000, pattern(5))
        for cid_lba, opc, buf in ((8, OPC_WRITE, 0x20000), (0, OPC_READ, 0x30000)):
            q = self.nvme.queues[1]
            self.nvme.cid += 1
            self.qt.memwrite(q.sq + 64 * q.tail, sqe(opc, self.nvme.cid, nsid=1,
                                                     prp1=DATA + buf, cdw10=cid_lba, cdw12=7))
            q.tail = (q.tail + 1) % q.entries
            self.qt.memwrite(0x400000 + 8, struct.pack("<I", q.tail))
            self.nvme.set32(0x1008, q.tail)
        self.qt.clock_step(1)
        self.assertIsNone(self.nvme.poll(1))
        iocq = self.qt.memread(IOCQ, 64 * 16)
        acq = self.qt.memread(ACQ, 16 * 16)

        self.nvme.set32(REG_CC, 0)
        self.assertEqual(self.nvme.reg32(REG_CSTS), 0)
        # Past every deadline: nothing is posted to the deleted queues.
        self.qt.clock_step(10 * READ_NS)
        self.assertEqual(self.qt.memread(IOCQ, 64 * 16), iocq)
        self.assertEqual(self.qt.memread(ACQ, 16 * 16), acq)
        # A doorbell while disabled is ignored.
        self.nvme.set32(0x1008, 3)
        self.qt.clock_step(READ_NS)
        self.assertEqual(self.qt.memread(IOCQ, 64 * 16), iocq)

        # Re-enabled: the old AER is gone, so an error event waits for a new
        # one (an old AER would have taken it at once).
        self.nvme.queues.clear()
        self.assertEqual(self.nvme.enable() & CSTS_RDY, 1)
        self.nvme.set32(0x1000 + 8 * 5, 1)  # doorbell of a queue that does not exist
        self.qt.clock_step(READ_NS)
        self.assertIsNone(self.nvme.poll(0))
        cid = self.nvme.submit(0, OPC_AER)
        got = self.nvme.wait(0)
        self.assertEqual((got[0], got[1]), (cid, 0))
        self.assertEqual(got[2], 0x01 << 16)  # error event, invalid doorbell, Error log
        # Shadow doorbells are off: a plain doorbell alone is enough (with
        # them still on, the zero shadow tail would hide the command).
        self.assertEqual(self.nvme.create_io_queues(), 0)
        self.assertEqual(self.read_lba(0), pattern(3))
        # The write fetched before the reset had moved its data already.
        self.assertEqual(self.read_lba(8), pattern(5))

    def test_reset_while_not_enabled_and_repeated_cycles(self):
        for i in range(3):
            self.nvme.set32(REG_CC, 0)  # no-op while disabled
            self.ready()
            self.write_lba(16 * i, pattern(7 + i))
            self.submit_outstanding()
            self.nvme.disable()
            self.assertEqual(self.nvme.reg32(REG_CSTS) & CSTS_RDY, 0)
        self.ready()
        for i in range(3):
            self.assertEqual(self.read_lba(16 * i), pattern(7 + i))


class ShutdownTest(ResetTestBase):
    OPTS = f"memdev=m0,{TIMING}"

    def setUp(self):
        self.path = os.path.join(tempfile.mkdtemp(prefix="nvmev-shn-"), "media")
        self.EXTRA = ("-object", f"memory-backend-file,id=m0,mem-path={self.path},"
                      f"size={MIB64},share=on")
        super().setUp()

    def tearDown(self):
        super().tearDown()
        os.unlink(self.path)
        os.rmdir(os.path.dirname(self.path))

    def shutdown_then_reenable(self, shn):
        self.ready()
        self.submit_outstanding()
        cc = self.nvme.reg32(REG_CC)
        self.nvme.set32(REG_CC, cc | (shn << 14))
        # Shutdown finishes at once: CSTS.SHST = 10b, still ready, and the
        # outstanding commands were completed (no clock step needed).
        self.assertEqual(self.nvme.reg32(REG_CSTS), CSTS_RDY | SHST_COMPLETE)
        self.assertEqual(self.nvme.reg32(REG_CC) >> 14 & 3, shn)
        done = [self.nvme.poll(1), self.nvme.poll(1)]
        self.assertTrue(all(d is not None and d[1] == 0 for d in done), done)
        self.assertEqual(self.qt.memread(DATA + 0x30000, 4096), bytes(4096))
        # The written data is in the backing file.
        with open(self.path, "rb") as f:
            f.seek(8 * 512)
            self.assertEqual(f.read(4096), pattern(5))
        # Clearing EN resets; enabling again serves I/O with the data intact.
        self.nvme.disable()
        self.assertEqual(self.nvme.reg32(REG_CSTS), 0)
        self.ready()
        self.assertEqual(self.read_lba(8), pattern(5))
        self.assertEqual(self.read_lba(0), bytes(4096))

    def test_normal_shutdown(self):
        self.shutdown_then_reenable(1)

    def test_abrupt_shutdown(self):
        self.shutdown_then_reenable(2)

    def test_data_survives_a_restart_after_shutdown(self):
        self.ready()
        self.write_lba(24, pattern(9))
        self.nvme.set32(REG_CC, self.nvme.reg32(REG_CC) | (1 << 14))
        self.assertEqual(self.nvme.reg32(REG_CSTS) & SHST_COMPLETE, SHST_COMPLETE)
        self.qt.close()
        self.qt = QTest(self.OPTS, self.EXTRA)
        self.nvme = Nvme(self.qt)
        self.ready()
        self.assertEqual(self.read_lba(24), pattern(9))


class SubsystemResetTest(ResetTestBase):
    def test_nssr_is_ignored_without_cap_nssrs(self):
        self.assertEqual(self.nvme.reg64(REG_CAP) >> 36 & 1, 0)  # CAP.NSSRS
        self.ready()
        self.write_lba(0, pattern(11))
        self.nvme.set32(REG_NSSR, 0x4E564D65)  # "NVMe"
        self.assertEqual(self.nvme.reg32(REG_NSSR), 0)
        self.assertEqual(self.nvme.reg32(REG_CSTS), CSTS_RDY)  # no NSSRO, still ready
        self.assertEqual(self.read_lba(0), pattern(11))


class FunctionLevelResetTest(ResetTestBase):
    def cfg(self, reg):
        return self.qt.cfg_readl(reg)

    def test_flr_resets_registers_msix_and_pending_io(self):
        exp = find_cap(self.cfg, 0x10)
        msix = find_cap(self.cfg, 0x11)
        self.assertTrue(self.cfg(exp + 4) & (1 << 28), "DEVCAP.FLR not advertised")
        self.qt.cfg_writel(msix, self.cfg(msix) | (1 << 31))  # MSI-X enable
        self.ready()
        # With MSI-X the pin-based mask registers are reserved.
        self.nvme.set32(REG_INTMS, 1)
        self.assertEqual(self.nvme.reg32(REG_INTMS), 0)
        self.write_lba(0, pattern(13))
        self.submit_outstanding()
        iocq = self.qt.memread(IOCQ, 64 * 16)

        self.qt.cfg_writel(exp + 8, self.cfg(exp + 8) | (1 << 15))  # Initiate FLR
        self.assertEqual(self.cfg(exp + 8) & (1 << 15), 0)
        self.assertEqual(self.cfg(msix) & (1 << 31), 0)  # MSI-X disabled
        self.assertEqual(self.cfg(0x04) & 0x6, 0)          # memory and bus master off
        self.assertEqual(self.cfg(0x10), 0x4)              # BAR0 unassigned
        self.qt.clock_step(10 * READ_NS)
        self.assertEqual(self.qt.memread(IOCQ, 64 * 16), iocq)

        self.qt.map_bar0()
        for reg in (REG_CC, REG_CSTS, REG_AQA, REG_INTMS):
            self.assertEqual(self.nvme.reg32(reg), 0, hex(reg))
        for reg in (REG_ASQ, REG_ACQ):
            self.assertEqual(self.nvme.reg64(reg), 0, hex(reg))
        # Pin-based again: the mask register works.
        self.nvme.set32(REG_INTMS, 1)
        self.assertEqual(self.nvme.reg32(REG_INTMS), 1)
        self.nvme.set32(0x10, 1)  # INTMC
        self.nvme.queues.clear()
        self.ready()
        self.assertEqual(self.read_lba(0), pattern(13))
        self.assertEqual(self.read_lba(8), pattern(5))


class SystemResetTest(ResetTestBase):
    def test_a_system_reset_leaves_the_controller_pin_based(self):
        # The reset disables MSI-X in config space after the device's own
        # reset ran: the controller must not keep MSI-X mode (INTMS/INTMC,
        # reserved with MSI-X, would be ignored and INTx never deasserted).
        msix = find_cap(self.qt.cfg_readl, 0x11)
        self.qt.cfg_writel(msix, self.qt.cfg_readl(msix) | (1 << 31))
        self.ready()
        self.nvme.set32(REG_INTMS, 1)
        self.assertEqual(self.nvme.reg32(REG_INTMS), 0)  # MSI-X: reserved
        self.qt.qmp("system_reset")
        self.assertEqual(self.qt.cfg_readl(msix) & (1 << 31), 0)
        self.qt.map_bar0()
        self.nvme.set32(REG_INTMS, 1)
        self.assertEqual(self.nvme.reg32(REG_INTMS), 1)
        self.nvme.set32(0x10, 1)  # INTMC
        self.assertEqual(self.nvme.reg32(REG_INTMS), 0)


class HotUnplugTest(unittest.TestCase):
    """device_del of an nvmev behind a pcie-root-port, I/O outstanding. qtest
    plays the guest's part of native PCIe hotplug: it powers the slot off
    (Slot Control), which completes the unplug."""
    PORT_SLOT = 5

    def start(self, iothread):
        extra = ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                 "-device", f"pcie-root-port,id=rp1,bus=pcie.0,addr={self.PORT_SLOT:02x}.0,"
                 "chassis=1,port=1",
                 "-object", f"memory-backend-ram,id=m1,size={MIB64}"]
        dev = f"nvmev,id=hp1,bus=rp1,memdev=m1,{TIMING}"
        if iothread:
            extra += ["-object", "iothread,id=io1"]
            dev += ",iothread=io1"
        if iothread == 2:  # two queue groups: pair 1 in io1, pair 2 in io2
            extra += ["-object", "iothread,id=io2"]
            props = dict(kv.split("=") for kv in dev.split(",")[1:] if "iothread" not in kv)
            dev = json.dumps({"driver": "nvmev", **{k: int(v) if v.isdigit() else v
                                                     for k, v in props.items()},
                              "max-ioqpairs": 2,
                              "iothread-vq-mapping": [{"iothread": "io1"}, {"iothread": "io2"}]})
        self.qt = QTest("size=64M", extra + ["-device", dev])

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def port_cfg_addr(self, reg):
        return 0x80000000 | (self.PORT_SLOT << 11) | (reg & 0xFC)

    def port_read(self, reg):
        self.qt.outl(0xCF8, self.port_cfg_addr(reg))
        return self.qt.inl(0xCFC)

    def port_write(self, reg, val):
        self.qt.outl(0xCF8, self.port_cfg_addr(reg))
        self.qt.outl(0xCFC, val)

    def unplug_with_io_outstanding(self, iothread):
        self.start(iothread)
        # The port forwards bus 1 and a 1 MiB window at BAR0 to the device.
        self.port_write(0x18, 0x00010100)
        self.port_write(0x20, ((BAR0 >> 16) << 16) | (BAR0 >> 16))
        self.port_write(0x04, self.port_read(0x04) | 0x6)
        self.qt.cfg_addr = lambda reg: 0x80000000 | (1 << 16) | (reg & 0xFC)
        nvme = Nvme(self.qt)
        self.assertEqual(nvme.enable() & CSTS_RDY, 1)
        pairs = 2 if iothread == 2 else 1
        for qid in range(1, pairs + 1):
            self.assertEqual(nvme.create_io_queues(qid), 0)
        self.qt.memwrite(DATA, pattern(17))
        self.assertEqual(nvme.rw(OPC_WRITE, 0, 8, DATA)[0], 0)
        for i in range(8):  # outstanding in every group
            nvme.submit(1 + i % pairs, OPC_READ, nsid=1, prp1=DATA + 0x1000 * i, cdw12=7)
        self.qt.clock_step(1)
        for qid in range(1, pairs + 1):
            self.assertIsNone(nvme.poll(qid))
        ids = sorted(d["id"] for d in self.qt.qmp("query-nvmev"))
        self.assertEqual(ids, ["hp1", "nvme0"])

        self.qt.qmp("device_del", id="hp1")
        exp = find_cap(self.port_read, 0x10)
        sltctl = self.port_read(exp + 0x18) & 0xFFFF
        # Power indicator off (PIC = 11b), power controller off (PCC).
        self.port_write(exp + 0x18, (sltctl & ~0x300) | 0x300 | 0x400)
        ids = [d["id"] for d in self.qt.qmp("query-nvmev")]
        self.assertEqual(ids, ["nvme0"])
        peripherals = [p["name"] for p in self.qt.qmp("qom-list", path="/machine/peripheral")]
        self.assertNotIn("hp1", peripherals)
        self.assertIn("rp1", peripherals)
        # Past every deadline of the dropped reads: no timer of the device fires.
        self.qt.clock_step(10 * READ_NS)
        self.assertTrue(self.qt.alive())
        # The device let go of its backend (and IOThread).
        self.qt.qmp("object-del", id="m1")
        for io in ("io1", "io2")[:iothread]:
            self.qt.qmp("object-del", id=io)
        self.assertNotIn("m1", [m.get("id") for m in self.qt.qmp("query-memdev")])
        self.assertEqual(len(self.qt.qmp("query-nvmev")), 1)

    def test_unplug_in_the_main_loop(self):
        self.unplug_with_io_outstanding(False)

    def test_unplug_with_an_iothread(self):
        self.unplug_with_io_outstanding(True)

    def test_unplug_with_two_queue_groups(self):
        # Each group's pass may kick the other's bottom half: every group
        # stops entering the core before any is freed.
        self.unplug_with_io_outstanding(2)


if __name__ == "__main__":
    unittest.main()
