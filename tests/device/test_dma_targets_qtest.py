"""Device tests: DMA and MSI-X messages a guest aims at an nvmev controller's
own BAR, or at a subsystem sibling's. The controller does its DMA and raises
its interrupts with the core's lock held; a controller's MMIO handlers take
that lock (shared by a subsystem's controllers), so such an access would
wait for itself and hang QEMU. It fails instead (a queue entry it cannot
fetch: CSTS.CFS; an MSI-X message: dropped) and QEMU keeps running."""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import BAR0, PCI_SLOT, QTest, find_cap  # noqa: E402
from nvme_driver import ACQ, Nvme  # noqa: E402

REG_AQA, REG_ASQ, REG_ACQ, REG_CC, REG_CSTS = 0x24, 0x28, 0x30, 0x14, 0x1C
CSTS_RDY, CSTS_CFS = 1, 2
MSIX_BAR_AT = 0xFE100000
MMCONFIG = 0xB0000000
SIBLING_SLOT, SIBLING_BAR0 = 5, 0xFD000000


class DmaTargetsBase(unittest.TestCase):
    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def enable_with_admin_sq_at(self, asq):
        self.nvme.set32(REG_AQA, 15 | (15 << 16))
        self.qt.writeq(self.nvme.bar0 + REG_ASQ, asq)
        self.qt.writeq(self.nvme.bar0 + REG_ACQ, ACQ)
        self.qt.memwrite(ACQ, bytes(16 * 16))
        self.nvme.set32(REG_CC, 1 | (6 << 16) | (4 << 20))
        self.assertEqual(self.nvme.reg32(REG_CSTS) & CSTS_RDY, CSTS_RDY)

    def ring_and_expect_fatal_status(self):
        self.nvme.set32(0x1000, 1)  # SQ 0 tail: the controller fetches entry 0
        for _ in range(100):
            if self.nvme.reg32(REG_CSTS) & CSTS_CFS:
                break
            self.qt.clock_step(10_000)
        self.assertEqual(self.nvme.reg32(REG_CSTS) & CSTS_CFS, CSTS_CFS)
        self.assertEqual(self.qt.qmp("query-status")["status"], "running")


class OwnBarTest(DmaTargetsBase):
    def setUp(self):
        self.qt = QTest("ssd=nvm,size=32M")
        self.nvme = Nvme(self.qt)

    def test_an_admin_sq_in_the_controllers_own_bar0_is_fatal_not_a_hang(self):
        self.enable_with_admin_sq_at(BAR0)
        self.ring_and_expect_fatal_status()

    def identify_with_vector_0_at(self, address):
        """MSI-X on, vector 0's message a write of 0 to `address`; an
        Identify completes (its interrupt dropped) and QEMU runs on."""
        cfg = self.qt.cfg_readl
        msix = find_cap(cfg, 0x11)
        table = cfg(msix + 4)
        bir, offset = table & 7, table & ~7
        bar = 0x10 + 4 * bir
        self.qt.cfg_writel(bar, MSIX_BAR_AT)
        if cfg(bar) & 0x4:  # 64-bit BAR
            self.qt.cfg_writel(bar + 4, 0)
        entry = MSIX_BAR_AT + offset
        self.qt.writel(entry, address & 0xFFFFFFFF)
        self.qt.writel(entry + 4, address >> 32)
        self.qt.writel(entry + 8, 0)
        self.qt.writel(entry + 12, 0)  # unmasked
        self.qt.cfg_writel(msix, cfg(msix) | (1 << 31))  # MSI-X enable
        self.assertEqual(self.nvme.enable() & CSTS_RDY, CSTS_RDY)
        st, _ = self.nvme.call(0, 0x06, prp1=0x200000, cdw10=1)
        self.assertEqual(st, 0)
        vid, = struct.unpack("<H", self.qt.memread(0x200000, 2))
        self.assertEqual(vid, cfg(0) & 0xFFFF)
        self.assertEqual(self.nvme.reg32(REG_CSTS) & CSTS_CFS, 0)
        self.assertEqual(self.qt.qmp("query-status")["status"], "running")
        return msix

    def test_an_msix_message_to_the_controllers_own_bar0_is_dropped(self):
        self.identify_with_vector_0_at(BAR0 + 0x1000)  # the SQ 0 tail doorbell

    def test_an_msix_message_to_pcie_config_space_is_dropped(self):
        # MMCONFIG at q35's default PCIEXBAR, enabled as firmware would.
        self.qt.cfg_writel(0x64, 0, slot=0)
        self.qt.cfg_writel(0x60, MMCONFIG | 1, slot=0)
        msix = find_cap(self.qt.cfg_readl, 0x11)
        # The dword with MSI-X Message Control: 0 there disables MSI-X,
        # which nvmev's config handler tells the core (its lock).
        self.identify_with_vector_0_at(MMCONFIG + (PCI_SLOT << 15) + msix)
        self.assertTrue(self.qt.cfg_readl(msix) & (1 << 31), "MSI-X still enabled")


class SiblingBarTest(DmaTargetsBase):
    def setUp(self):
        self.qt = QTest("ssd=nvm,size=32M,subsys=s0",
                        ("-device", f"nvmev,id=nvme1,addr={SIBLING_SLOT:02x}.0,ssd=nvm,"
                         "size=32M,subsys=s0,cntlid=7"),
                        pre_args=("-device", "nvmev-subsys,id=s0"))
        self.nvme = Nvme(self.qt)
        self.sibling = Nvme(self.qt, slot=SIBLING_SLOT, bar0=SIBLING_BAR0)

    def test_an_admin_sq_in_a_siblings_bar0_is_fatal_not_a_hang(self):
        self.enable_with_admin_sq_at(SIBLING_BAR0)
        self.ring_and_expect_fatal_status()
        self.assertEqual(self.sibling.reg32(REG_CSTS), 0, "the sibling is untouched")


if __name__ == "__main__":
    unittest.main()
