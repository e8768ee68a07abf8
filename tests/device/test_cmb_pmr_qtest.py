"""Device tests for the Controller Memory Buffer and the Persistent Memory
Region (docs/cmb-pmr.md): the BARs' sizes and kinds, the registers as a
host reads them, I/O with the submission queue and the data in the CMB
(the SQ entries are written through BAR 2 only, so the command runs only
if the controller fetched them from the CMB), PMR control, the PMR's
contents surviving a QEMU restart with a file backend, and every
configuration error."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import BAR0, FIRMWARE, QEMU, QTest  # noqa: E402
from nvme_driver import DATA, IOCQ, Nvme, Queue  # noqa: E402

CMB_ADDR = 0xC0000000   # where the tests map BAR 2 (in q35's PCI hole)
PMR_ADDR = 0xD0000000   # and BAR 5
REG_CAP, REG_CMBLOC, REG_CMBSZ, REG_CMBMSC, REG_CMBSTS = 0x00, 0x38, 0x3C, 0x50, 0x58
REG_PMRCAP, REG_PMRCTL, REG_PMRSTS = 0xE00, 0xE04, 0xE08
CRE, CMSE = 1, 2
OPC_WRITE, OPC_READ = 0x01, 0x02
MIB = 2**20


def pattern(seed, size=4096):
    return bytes((i * seed + (i >> 8) + 1) & 0xFF for i in range(size))


def bar_probe(qt, reg):
    """(size, low flag bits) of the BAR at config offset reg, as firmware
    sizes it; the BAR is left unassigned."""
    old = qt.cfg_readl(reg)
    qt.cfg_writel(reg, 0xFFFFFFFF)
    low = qt.cfg_readl(reg)
    is64 = (low >> 1) & 3 == 2
    high = 0xFFFFFFFF
    if is64:
        qt.cfg_writel(reg + 4, 0xFFFFFFFF)
        high = qt.cfg_readl(reg + 4)
        qt.cfg_writel(reg + 4, 0)
    qt.cfg_writel(reg, old)
    mask = (high << 32) | (low & ~0xF)
    return ((~mask) & 0xFFFFFFFFFFFFFFFF) + 1, low & 0xF


def map_bar(qt, reg, addr):
    qt.cfg_writel(reg, addr & 0xFFFFFFFF)
    if (qt.cfg_readl(reg) >> 1) & 3 == 2:
        qt.cfg_writel(reg + 4, addr >> 32)


def startup_error(props, extra=()):
    p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                        "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null",
                        *extra, "-device", f"nvmev,size=8M,{props}"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, "QEMU started with " + props
    return p.stderr


class CmbPmrTestBase(unittest.TestCase):
    IOTHREAD = False

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nvmev-cmb-")
        self.pmr_file = os.path.join(self.dir, "pmr.img")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, opts="cmb-size=1M,pmr-memdev=pmr0", pmr_size="1M"):
        extra = ("-object", f"memory-backend-file,id=pmr0,size={pmr_size},"
                 f"mem-path={self.pmr_file},share=on")
        if self.IOTHREAD:
            extra += ("-object", "iothread,id=io0")
            opts += ",iothread=io0"
        qt = QTest(f"size=16M,read-latency-ns=1000,write-latency-ns=1000,{opts}", extra)
        self.addCleanup(qt.close)
        nvme = Nvme(qt)
        map_bar(qt, 0x18, CMB_ADDR)
        map_bar(qt, 0x24, PMR_ADDR)
        return qt, nvme


class BarsAndRegistersTest(CmbPmrTestBase):
    def test_bar_sizes_and_kinds(self):
        qt, _ = self.start(opts="cmb-size=3M,pmr-memdev=pmr0", pmr_size="2M")
        # BAR 2: the CMB, 64-bit prefetchable (flags 1100b), rounded up to
        # a power of two; BAR 5: the PMR, 32-bit prefetchable (1000b),
        # after MSI-X's 32-bit BAR 4.
        self.assertEqual(bar_probe(qt, 0x18), (4 * MIB, 0xC))
        self.assertEqual(bar_probe(qt, 0x24), (2 * MIB, 0x8))
        self.assertEqual(bar_probe(qt, 0x20)[1], 0x0)

    def test_without_them_bars_2_and_5_are_unused(self):
        qt, nvme = self.start(opts="max-ioqpairs=4")
        self.assertEqual(qt.cfg_readl(0x18), 0)
        self.assertEqual(qt.cfg_readl(0x24), 0)
        self.assertEqual((nvme.reg64(REG_CAP) >> 56) & 3, 0, "no CAP.PMRS, CAP.CMBS")

    def test_registers(self):
        qt, nvme = self.start()
        cap = nvme.reg64(REG_CAP)
        self.assertEqual((cap >> 56) & 3, 3, "CAP.PMRS and CAP.CMBS")
        self.assertEqual(nvme.reg32(REG_CMBSZ), 0, "CMBSZ is 0 until CMBMSC.CRE")
        nvme.set32(REG_CMBMSC, CRE)
        self.assertEqual(nvme.reg32(REG_CMBLOC), 2)
        self.assertEqual(nvme.reg32(REG_CMBSZ), 0x1F | (256 << 12))
        self.assertEqual(nvme.reg32(REG_PMRCAP), 0x8 | 0x10 | (5 << 5) | (2 << 10) | (1 << 16),
                         "RDS, WDS, BIR 5, PMRWBM 2h (PMRSTS reads), PMRTO 1")
        self.assertEqual(nvme.reg32(REG_PMRSTS), 1 << 8, "NRDY while PMRCTL.EN = 0")
        info = qt.qmp("query-nvmev")[0]
        self.assertEqual(info["cmb"], {"size": MIB, "enabled": False, "read-bytes": 0,
                                       "write-bytes": 0})
        self.assertEqual(info["pmr"], {"size": MIB, "enabled": False})


class CmbIoTest(CmbPmrTestBase):
    def test_io_with_the_sq_and_data_in_the_cmb(self):
        qt, nvme = self.start()
        self.assertEqual(nvme.enable() & 1, 1)
        qt.writeq(BAR0 + REG_CMBMSC, CMB_ADDR | CRE | CMSE)
        self.assertEqual(nvme.reg64(REG_CMBMSC), CMB_ADDR | CRE | CMSE)
        self.assertEqual(nvme.reg32(REG_CMBSTS), 0)
        # I/O queue pair 1: the CQ in guest RAM, the SQ at the CMB's start.
        sq, cq, entries = CMB_ADDR, IOCQ, 16
        qt.memwrite(cq, bytes(16 * entries))
        self.assertEqual(nvme.call(0, 0x05, prp1=cq, cdw10=1 | ((entries - 1) << 16),
                                   cdw11=1 | 2)[0], 0)
        self.assertEqual(nvme.call(0, 0x01, prp1=sq, cdw10=1 | ((entries - 1) << 16),
                                   cdw11=1 | (1 << 16))[0], 0)
        nvme.queues[1] = Queue(1, sq, cq, entries)
        # Write from guest RAM, read back into the CMB (after the SQ).
        data = pattern(7)
        qt.memwrite(DATA, data)
        self.assertEqual(nvme.rw(OPC_WRITE, 8, 8, DATA)[0], 0)
        self.assertEqual(nvme.rw(OPC_READ, 8, 8, CMB_ADDR + 0x10000)[0], 0)
        self.assertEqual(qt.memread(CMB_ADDR + 0x10000, 4096), data)
        # Write from the CMB, read back into guest RAM.
        data2 = pattern(11)
        qt.memwrite(CMB_ADDR + 0x20000, data2)
        self.assertEqual(nvme.rw(OPC_WRITE, 16, 8, CMB_ADDR + 0x20000)[0], 0)
        self.assertEqual(nvme.rw(OPC_READ, 16, 8, DATA + 0x10000)[0], 0)
        self.assertEqual(qt.memread(DATA + 0x10000, 4096), data2)
        cmb = qt.qmp("query-nvmev")[0]["cmb"]
        self.assertTrue(cmb["enabled"])
        # 4 SQEs fetched from the CMB, plus 4 KiB of write data.
        self.assertEqual(cmb["read-bytes"], 4 * 64 + 4096)
        self.assertEqual(cmb["write-bytes"], 4096)

    def test_cmse_off_means_plain_dma_to_the_bar(self):
        qt, nvme = self.start()
        self.assertEqual(nvme.enable() & 1, 1)
        self.assertEqual(nvme.create_io_queues(), 0)
        nvme.set32(REG_CMBMSC, CRE)  # registers on, controller memory space off
        data = pattern(3)
        qt.memwrite(CMB_ADDR + 0x4000, data)
        # The address then is an ordinary bus address: QEMU's DMA reaches
        # the BAR's RAM through the memory map, not the core's CMB path.
        self.assertEqual(nvme.rw(OPC_WRITE, 0, 8, CMB_ADDR + 0x4000)[0], 0)
        self.assertEqual(nvme.rw(OPC_READ, 0, 8, DATA)[0], 0)
        self.assertEqual(qt.memread(DATA, 4096), data)
        self.assertEqual(qt.qmp("query-nvmev")[0]["cmb"]["read-bytes"], 0)


class CmbIoIothreadTest(CmbIoTest):
    """The same in an IOThread: the SQ fetch and the staged data copies
    (made without the core's lock) reach the CMB from there."""
    IOTHREAD = True


class CmbMemdevTest(CmbPmrTestBase):
    def test_the_cmb_lives_in_its_backend(self):
        path = os.path.join(self.dir, "cmb.img")
        extra = ("-object", f"memory-backend-file,id=cmb0,size=2M,mem-path={path},share=on")
        qt = QTest("size=16M,read-latency-ns=1000,write-latency-ns=1000,cmb-memdev=cmb0", extra)
        self.addCleanup(qt.close)
        nvme = Nvme(qt)
        self.assertEqual(bar_probe(qt, 0x18), (2 * MIB, 0xC))
        map_bar(qt, 0x18, CMB_ADDR)
        self.assertEqual(nvme.enable() & 1, 1)
        self.assertEqual(nvme.create_io_queues(), 0)
        nvme.set32(REG_CMBMSC, CRE)
        self.assertEqual(nvme.reg32(REG_CMBSZ), 0x1F | (512 << 12))
        qt.writeq(BAR0 + REG_CMBMSC, CMB_ADDR | CRE | CMSE)
        data = pattern(13)
        qt.memwrite(DATA, data)
        self.assertEqual(nvme.rw(OPC_WRITE, 0, 8, DATA)[0], 0)
        # A Read into the CMB lands in the backend's file.
        self.assertEqual(nvme.rw(OPC_READ, 0, 8, CMB_ADDR + 0x3000)[0], 0)
        with open(path, "rb") as f:
            f.seek(0x3000)
            self.assertEqual(f.read(4096), data)
        self.assertEqual(qt.qmp("query-nvmev")[0]["cmb"]["write-bytes"], 4096)


class PmrTest(CmbPmrTestBase):
    def test_pmr_contents_survive_a_restart(self):
        data = pattern(5, 8192)
        qt, nvme = self.start()
        nvme.set32(REG_PMRCTL, 1)
        self.assertEqual(nvme.reg32(REG_PMRCTL), 1)
        self.assertEqual(nvme.reg32(REG_PMRSTS), 0, "ready and healthy")
        self.assertTrue(qt.qmp("query-nvmev")[0]["pmr"]["enabled"])
        qt.memwrite(PMR_ADDR + 0x1000, data)
        self.assertEqual(qt.memread(PMR_ADDR + 0x1000, 8192), data)
        nvme.reg32(REG_PMRSTS)  # the host's way to make its writes persistent
        qt.close()
        self.assertTrue(os.path.exists(self.pmr_file))

        qt2, nvme2 = self.start()
        # Disabled after the restart: the BAR does not show the memory.
        self.assertNotEqual(qt2.memread(PMR_ADDR + 0x1000, 16), data[:16])
        nvme2.set32(REG_PMRCTL, 1)
        self.assertEqual(qt2.memread(PMR_ADDR + 0x1000, 8192), data)
        with open(self.pmr_file, "rb") as f:
            f.seek(0x1000)
            self.assertEqual(f.read(8192), data)


class HotUnplugTest(unittest.TestCase):
    """device_del behind a pcie-root-port lets go of both backends."""
    PORT_SLOT = 5

    def test_unplug_releases_the_backends(self):
        extra = ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                 "-device", f"pcie-root-port,id=rp1,bus=pcie.0,addr={self.PORT_SLOT:02x}.0,"
                 "chassis=1,port=1",
                 "-object", "memory-backend-ram,id=c1,size=1M",
                 "-object", "memory-backend-ram,id=p1,size=1M",
                 "-device", "nvmev,id=hp1,bus=rp1,size=8M,cmb-memdev=c1,pmr-memdev=p1"]
        qt = QTest("size=8M,cmb-size=64K", extra)
        self.addCleanup(qt.close)
        self.assertEqual(sorted(d["id"] for d in qt.qmp("query-nvmev")), ["hp1", "nvme0"])
        qt.qmp("device_del", id="hp1")

        def port(reg, val=None):
            qt.outl(0xCF8, 0x80000000 | (self.PORT_SLOT << 11) | (reg & 0xFC))
            if val is None:
                return qt.inl(0xCFC)
            qt.outl(0xCFC, val)
        # The guest's part of native hotplug: power the slot off.
        ptr = port(0x34) & 0xFC
        while port(ptr) & 0xFF != 0x10:
            ptr = (port(ptr) >> 8) & 0xFC
        sltctl = port(ptr + 0x18) & 0xFFFF
        port(ptr + 0x18, (sltctl & ~0x300) | 0x300 | 0x400)
        self.assertEqual([d["id"] for d in qt.qmp("query-nvmev")], ["nvme0"])
        qt.qmp("object-del", id="c1")
        qt.qmp("object-del", id="p1")
        self.assertTrue(qt.alive())


class ConfigErrorsTest(unittest.TestCase):
    def backend(self, size, ident="m0"):
        return ("-object", f"memory-backend-ram,id={ident},size={size}")

    def test_cmb_size_out_of_range(self):
        for size in ("6000", "2G", "2K"):
            with self.subTest(size=size):
                self.assertIn("nvmev: property 'cmb-size': ", startup_error(f"cmb-size={size}"))
        err = startup_error("cmb-size=2G")
        self.assertIn("is not a valid CMB size (allowed: 4K..1G in 4 KiB steps)", err)

    def test_cmb_size_and_memdev_together(self):
        err = startup_error("cmb-size=1M,cmb-memdev=m0", self.backend("1M"))
        self.assertIn("give either 'cmb-size' or 'cmb-memdev', not both", err)

    def test_cmb_memdev_bad_size(self):
        err = startup_error("cmb-memdev=m0", self.backend("6000"))
        self.assertIn("property 'cmb-memdev': 6000 bytes is not a valid CMB size", err)

    def test_pmr_not_a_power_of_two(self):
        err = startup_error("pmr-memdev=m0", self.backend("3M"))
        self.assertIn("nvmev: property 'pmr-memdev': backend 'm0' has 3145728 bytes "
                      "(allowed: a power of two, 4K..256M)", err)

    def test_pmr_too_large(self):
        err = startup_error("pmr-memdev=m0", self.backend("512M"))
        self.assertIn("(allowed: a power of two, 4K..256M)", err)

    def test_pmr_missing_backend(self):
        err = startup_error("pmr-memdev=nope")
        self.assertIn("pmr-memdev", err)

    def test_read_only_backends(self):
        # Mapped without PROT_WRITE: the controller's first store into the
        # CMB (a Read's data, a CQ entry) would have killed QEMU.
        path = os.path.join(tempfile.mkdtemp(prefix="nvmev-cmb-ro-"), "ro.img")
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        with open(path, "wb") as f:
            f.truncate(MIB)
        ro = ("-object", f"memory-backend-file,id=m0,size=1M,mem-path={path},readonly=on")
        for prop in ("cmb-memdev", "pmr-memdev"):
            with self.subTest(prop=prop):
                self.assertIn(f"nvmev: property '{prop}': backend 'm0' is read-only "
                              "(allowed: a writable backend;", startup_error(f"{prop}=m0", ro))

    def test_backend_used_twice(self):
        err = startup_error("cmb-memdev=m0,pmr-memdev=m0", self.backend("1M"))
        self.assertIn("property 'pmr-memdev': backend 'm0' is already in use", err)


if __name__ == "__main__":
    unittest.main()
