"""The Controller Memory Buffer and the Persistent Memory Region from a
Linux guest (docs/cmb-pmr.md).

Neither guest kernel (Debian 6.1 cloud and generic) has CONFIG_PCI_P2PDMA,
so Linux's nvme driver sets CMBMSC.CRE, reads CMBLOC/CMBSZ, enables the
CMB's controller memory space (CRE | CMSE | BAR 2's address), fails to
register it as P2P memory ("failed to register the CMB") and writes
CMBMSC = 0 again: its queues stay in host memory (use_cmb_sqes needs
P2PDMA), and 6.1 shows no cmb* sysfs attributes. What the guest can reach
is tested: the driver's CMBMSC writes (QEMU's nvmev_mmio_write trace), I/O
with the CMB present, CMBMSC back at 0 (query-nvmev), and,
with the nvme driver unbound, through /dev/mem (devmem): CMBLOC and CMBSZ
after CRE, CMBMSC as the guest sets it, BAR 2's size and its memory, and
the PMR through its BAR (IO_STRICT_DEVMEM keeps a driver's BARs from
/dev/mem and sysfs resourceN mmap), its contents surviving a restart on a
file backend."""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP"
CMB_WARNING = [r"failed to register the CMB"]
WORDS = 64


def word(i):
    return (0x5A000000 + i * 2654435761) & 0xFFFFFFFF


# The PMR's BAR (5) and the registers' (0) from sysfs, the driver unbound,
# PMRCTL.EN set; PMRSTS printed.
PMR_SETUP = "\n".join([
    "bdf=$(basename $(readlink /sys/class/nvme/nvme0/device))",
    "res=/sys/bus/pci/devices/$bdf/resource",
    "bar0=$(sed -n 1p $res | cut -d' ' -f1); bar5=$(sed -n 6p $res | cut -d' ' -f1)",
    "echo ==BAR5== && sed -n 6p $res && echo ==END BAR5==",
    "echo $bdf > /sys/bus/pci/drivers/nvme/unbind",
    "devmem $((bar0 + 0xE04)) 32 1",
    "echo ==PMRSTS== && devmem $((bar0 + 0xE08)) 32 && echo ==END PMRSTS==",
])
PMR_READ = ("echo ==PMR== && i=0; while [ $i -lt %d ]; do devmem $((bar5 + 4 * i)) 32; "
            "i=$((i + 1)); done; echo ==END PMR==" % WORDS)


class CmbPmrGuestTest(unittest.TestCase):
    KERNEL = "cloud"

    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def boot(self, job, pmr_path, trace=()):
        return run_guest(
            job, "--kernel", self.KERNEL, "--size", "64M",
            "--device-opts", "cmb-size=16M,pmr-memdev=pmr0",
            "--hook", f"qmp=echo ==QMP== && {QMP} query-nvmev && echo ==END QMP==",
            "--", "-object",
            f"memory-backend-file,id=pmr0,size=1M,mem-path={pmr_path},share=on", *trace,
            kernel_log_allow=CMB_WARNING)

    def test_cmb_registers_io_and_pmr_across_a_restart(self):
        writes = "; ".join(f"devmem $((bar5 + {4 * i})) 32 0x{word(i):08x}"
                           for i in range(WORDS))
        job1 = "\n".join([
            "set -e",
            # I/O with the CMB's memory space on: data written and read back.
            "dd if=/dev/urandom of=/tmp/p bs=1M count=4 2>/dev/null",
            "dd if=/tmp/p of=/dev/nvme0n1 bs=1M seek=2 oflag=direct 2>/dev/null",
            "dd if=/dev/nvme0n1 of=/tmp/q bs=1M skip=2 count=4 iflag=direct 2>/dev/null",
            "cmp /tmp/p /tmp/q && echo io_ok",
            "nvmev-host qmp",
            PMR_SETUP,
            "bar2=$(sed -n 3p $res | cut -d' ' -f1)",
            "devmem $((bar0 + 0x50)) 32 1",
            "devmem $((bar0 + 0x54)) 32 $((bar2 >> 32))",
            "devmem $((bar0 + 0x50)) 32 $(((bar2 & 0xffffffff) | 3))",
            "devmem $((bar2 + 0x1000)) 32 0x600dcafe",
            "echo ==CMB== && for r in 0x38 0x3C 0x50 0x54; do devmem $((bar0 + r)) 32; done "
            "&& devmem $((bar2 + 0x1000)) 32 && sed -n 3p $res && echo ==END CMB==",
            writes,
            PMR_READ,
            # Reading PMRSTS is how the host makes its writes persistent.
            "devmem $((bar0 + 0xE08)) 32 > /dev/null",
        ])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "pmr.img")
            r1 = self.boot(job1, path, trace=("-trace", "nvmev_mmio_write"))
            self.assertGuestOk(r1)
            cmbloc, cmbsz, msc_lo, msc_hi, mem, start, end, _ = r1.section("CMB").split()
            self.assertEqual(int(cmbloc, 16), 2, "CMB in BAR 2 at offset 0")
            # SQS CQS LISTS RDS WDS; 16 MiB in 4 KiB units.
            self.assertEqual(int(cmbsz, 16), 0x1F | (4096 << 12))
            # CMBMSC: CRE, CMSE and BAR 2's address, as the guest wrote them.
            self.assertEqual(int(msc_lo, 16) | int(msc_hi, 16) << 32, int(start, 16) | 3)
            self.assertEqual(int(end, 16) - int(start, 16) + 1, 16 * 2**20)
            self.assertEqual(int(mem, 16), 0x600DCAFE, "BAR 2 is memory")
            self.assertIn("io_ok", r1.out)
            cmb = json.loads(r1.section("QMP"))[0]["cmb"]
            # The driver's probe: CRE, then CRE | CMSE | BAR 2's address
            # (upper half first), then, P2PDMA failing, CMBMSC = 0 again.
            cmbmsc = re.findall(r"nvmev_mmio_write addr 0x5([04]) size 4 val (0x[0-9a-f]+)",
                                r1.err)
            self.assertEqual(cmbmsc[:4], [("0", "0x1"), ("4", hex(int(start, 16) >> 32)),
                                          ("0", hex(int(start, 16) & 0xFFFFFFFF | 3)),
                                          ("4", "0x0")], r1.err[-2000:])
            self.assertEqual(cmbmsc[4], ("0", "0x0"))
            # No P2PDMA: the driver turned the CMB off again and placed
            # nothing in it.
            self.assertFalse(cmb["enabled"])
            self.assertEqual(cmb["read-bytes"], 0)
            p_start, p_end, _ = r1.section("BAR5").split()
            self.assertEqual(int(p_end, 16) - int(p_start, 16) + 1, 2**20)
            self.assertEqual(int(r1.section("PMRSTS"), 16), 0, "PMR ready")
            expect = [word(i) for i in range(WORDS)]
            self.assertEqual([int(v, 16) for v in r1.section("PMR").split()], expect)

            r2 = self.boot("set -e\n" + PMR_SETUP + "\n" + PMR_READ, path)
            self.assertGuestOk(r2)
            self.assertEqual([int(v, 16) for v in r2.section("PMR").split()], expect)


class CmbPmrGenericKernelTest(CmbPmrGuestTest):
    """The same on Debian's generic kernel (nvme as a module), which lacks
    CONFIG_PCI_P2PDMA too."""
    KERNEL = "generic"


if __name__ == "__main__":
    unittest.main()
