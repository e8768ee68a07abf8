"""Device tests: an nvmev-subsys with two nvmev controllers sharing NSID 1
(real QEMU over qtest). The first controller (driven at register level)
reports the subsystem's NQN, serial, its CNTLID, CMIC and NMIC and both
CNTLIDs in its controller list; data the second one's namespace holds is
the first one's, and every configuration error names its property."""

import os
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import FIRMWARE, QEMU, STATE_AREA, QTest  # noqa: E402
from nvme_driver import DATA, Nvme  # noqa: E402

MIB = 2**20
NQN = "nqn.2026-11.io.nvmev:subsys:s0"
SUBSYS = ("-device", "nvmev-subsys,id=s0")


def startup_error(*args):
    """Runs QEMU with args; returns its stderr after it refused to start."""
    p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                        "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, "QEMU started: " + " ".join(args)
    return p.stderr


class SubsysDeviceTest(unittest.TestCase):
    def start(self, first="", second="size=32M,cntlid=7", subsys="nvmev-subsys,id=s0"):
        self.qt = QTest("ssd=nvm,size=32M,subsys=s0" + (("," + first) if first else ""),
                        ("-device", "nvmev,id=nvme1,addr=05.0,ssd=nvm,subsys=s0," + second),
                        pre_args=("-device", subsys))
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def tearDown(self):
        qt = getattr(self, "qt", None)
        if qt:
            alive = qt.alive()
            qt.close()
            self.assertTrue(alive, "QEMU died:\n" + qt.stderr())

    def identify(self, cns, nsid=0, cntid=0):
        st, _ = self.nvme.call(0, 0x06, nsid=nsid, prp1=DATA, cdw10=cns | (cntid << 16))
        self.assertEqual(st, 0)
        return self.qt.memread(DATA, 4096)

    def ctrl_list(self, cns, nsid=0, cntid=0):
        data = self.identify(cns, nsid, cntid)
        n, = struct.unpack_from("<H", data, 0)
        return list(struct.unpack_from(f"<{n}H", data, 2))

    def test_identify_shows_the_subsystem(self):
        self.start()
        ctrl = self.identify(1)
        cntlid, = struct.unpack_from("<H", ctrl, 78)
        self.assertEqual(cntlid, 1)
        self.assertEqual(ctrl[76], 0x2)  # CMIC: two or more controllers
        self.assertEqual(ctrl[768:768 + len(NQN) + 1], NQN.encode() + b"\0")
        serial = ctrl[4:24].decode().strip()
        self.assertRegex(serial, r"^NVMEVS[0-9A-F]{8}$")
        ns = self.identify(0, nsid=1)
        self.assertEqual(ns[30], 1)  # NMIC: shared
        self.assertEqual(self.ctrl_list(0x13), [1, 7])
        self.assertEqual(self.ctrl_list(0x12, nsid=1), [1, 7])
        self.assertEqual(self.ctrl_list(0x13, cntid=2), [7])

    def test_subsystem_properties(self):
        self.start(second="size=32M", subsys="nvmev-subsys,id=s0,nqn=nqn.2014-08.org.example:"
                   "shared,serial=SHARED-SN-1")
        ctrl = self.identify(1)
        self.assertEqual(ctrl[4:24].decode().strip(), "SHARED-SN-1")
        self.assertEqual(ctrl[768:768 + 31], b"nqn.2014-08.org.example:shared\0")
        self.assertEqual(self.ctrl_list(0x13), [1, 2])
        self.assertEqual(self.qt.qmp("qom-get", path="/machine/peripheral/s0", property="nqn"),
                         "nqn.2014-08.org.example:shared")

    def test_written_through_one_read_through_the_other(self):
        self.start()
        self.qt.memwrite(DATA, b"\x5a" * 512)
        self.assertEqual(self.nvme.rw(0x01, 3, 1, DATA)[0], 0)
        info = {d["id"]: d for d in self.qt.qmp("query-nvmev")}
        self.assertEqual(sorted(info), ["nvme0", "nvme1"])
        self.assertEqual(info["nvme1"]["capacity-bytes"], 32 * MIB)
        # The second controller, on the same queue addresses once the
        # first is off: CNTLID 7, the block written through the first.
        self.nvme.disable()
        other = Nvme(self.qt, slot=5, bar0=0xFD000000)
        self.assertEqual(other.enable() & 1, 1)
        self.assertEqual(other.create_io_queues(), 0)
        st, _ = other.call(0, 0x06, prp1=DATA, cdw10=1)
        self.assertEqual(st, 0)
        self.assertEqual(struct.unpack_from("<H", self.qt.memread(DATA + 78, 2))[0], 7)
        self.qt.memwrite(DATA, bytes(512))
        self.assertEqual(other.rw(0x02, 3, 1, DATA)[0], 0)
        self.assertEqual(self.qt.memread(DATA, 512), b"\x5a" * 512)

    def test_one_memdev_named_by_both(self):
        self.qt = QTest("ssd=nvm,memdev=m0,subsys=s0",
                        ("-device", "nvmev,id=nvme1,addr=05.0,memdev=m0,subsys=s0"),
                        pre_args=("-object", "memory-backend-ram,id=m0,size=32M",
                                  "-device", "nvmev-subsys,id=s0"))
        info = {d["id"]: d["capacity-bytes"] for d in self.qt.qmp("query-nvmev")}
        # The memdev keeps the drive state area at its end (docs/persistence.md).
        self.assertEqual(info, {"nvme0": 32 * MIB - STATE_AREA, "nvme1": 32 * MIB - STATE_AREA})

    def test_configuration_errors(self):
        first = ("-device", "nvmev-subsys,id=s0", "-device", "nvmev,id=c0,size=32M,subsys=s0")
        cases = [
            (("-device", "nvmev,id=c0,size=32M,subsys=nope"),
             "Device 'nope' not found"),
            (first + ("-device", "nvmev,id=c1,size=64M,subsys=s0"),
             "nvmev: property 'size': 67108864 bytes differs from the shared namespace's "
             "33554432 bytes (allowed: 33554432; every controller of subsystem 's0' "
             "describes NSID 1 alike)"),
            (("-object", "memory-backend-ram,id=m0,size=32M",
              "-object", "memory-backend-ram,id=m1,size=32M", "-device", "nvmev-subsys,id=s0",
              "-device", "nvmev,id=c0,memdev=m0,subsys=s0",
              "-device", "nvmev,id=c1,memdev=m1,subsys=s0"),
             "nvmev: property 'memdev': 'm1' is not the shared namespace's backend (allowed: "
             "'m0', as the first controller of subsystem 's0' gave)"),
            (first + ("-device", "nvmev,id=c1,size=32M,subsys=s0,lba-size=4096"),
             "nvmev: property 'lba-size': 4096 differs from the shared namespace's 512 "
             "(allowed: 512; every controller of a subsystem describes NSID 1 alike)"),
            (first + ("-device", "nvmev,id=c1,size=32M,subsys=s0,cntlid=1"),
             f"nvmev: property 'cntlid': 1 is already used in subsystem {NQN} (allowed: a "
             "CNTLID no other controller of the subsystem has, or 0 for the lowest free)"),
            (first + ("-device", "nvmev,id=c1,size=32M,subsys=s0,serial=OTHER"),
             "nvmev: property 'serial': 'OTHER' differs from subsystem 's0''s serial"),
            (("-device", "nvmev,id=c0,size=32M,cntlid=3"),
             "nvmev: property 'cntlid' needs 'subsys'"),
            (first + ("-device", "nvmev-ns,bus=c0,nsid=2,size=8M"),
             f"property 'bus': the controller is in subsystem {NQN}, whose controllers share "
             "NSID 1 only"),
            (("-device", "nvmev-subsys,id=s0,serial=" + "x" * 21),
             "nvmev-subsys: property 'serial': '" + "x" * 21 + "' is not allowed (allowed: "
             "1..20 ASCII characters)"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.assertIn(message, startup_error(*args))


if __name__ == "__main__":
    unittest.main()
