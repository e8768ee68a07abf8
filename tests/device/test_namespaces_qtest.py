"""Device tests: one nvmev controller with nvmev-ns children (real QEMU over
qtest): identify lists, I/O routed per NSID, attach/detach over NVMe and
QMP, query-nvmev per namespace, and nvmev-ns property errors."""

import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import FIRMWARE, QEMU, STATE_AREA, QTest  # noqa: E402
from nvme_driver import DATA, Nvme  # noqa: E402

SC_INVALID_NS = 0x400B
SC_NS_ALREADY_ATTACHED = 0x4118
SC_NS_NOT_ATTACHED = 0x411A
ZONE = 48 * 2**20 // 512   # zone-size=48M in 512 B LBAs

NS2 = ("-device", "nvmev-ns,bus=nvme0,nsid=2,ssd=zns,size=192M,zone-size=48M")
NS3 = ("-device", "nvmev-ns,bus=nvme0,ssd=nvm,size=8M,lba-size=4096,detached=on")


def startup_error(args):
    """Runs QEMU with args; returns its stderr after it refused to start."""
    p = subprocess.run([QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                        "-display", "none", "-m", "128M", *FIRMWARE, "-qtest", "null",
                        "-device", "nvmev,id=c0,size=8M", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, "QEMU started: " + " ".join(args)
    return p.stderr


class NamespacesDeviceTest(unittest.TestCase):
    def setUp(self):
        self.qt = QTest("ssd=nvm,size=32M", NS2 + NS3)
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable(css=6) & 1, 1)  # all I/O command sets
        self.assertEqual(self.nvme.create_io_queues(), 0)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def identify(self, cns, nsid=0, csi=0):
        st, _ = self.nvme.call(0, 0x06, nsid=nsid, prp1=DATA, cdw10=cns, cdw11=csi << 24)
        return st, self.qt.memread(DATA, 4096)

    def ns_list(self, cns, csi=0):
        st, data = self.identify(cns, 0, csi)
        self.assertEqual(st, 0)
        ids = struct.unpack("<1024I", data)
        return [i for i in ids if i]

    def attach(self, nsid, sel):
        self.qt.memwrite(DATA, struct.pack("<HH", 1, 1) + bytes(4092))
        return self.nvme.call(0, 0x15, nsid=nsid, prp1=DATA, cdw10=sel)[0]

    def test_identify_lists_and_namespace_data(self):
        st, data = self.identify(1)
        self.assertEqual(st, 0)
        nn, = struct.unpack_from("<I", data, 516)
        oacs, = struct.unpack_from("<H", data, 256)
        self.assertEqual(nn, 32)
        self.assertEqual(oacs & 0x8, 0x8)
        # NSID 3 (the lowest free one) starts detached.
        self.assertEqual(self.ns_list(0x02), [1, 2])
        self.assertEqual(self.ns_list(0x10), [1, 2, 3])
        self.assertEqual(self.ns_list(0x07, csi=2), [2])
        st, data = self.identify(0x00, 2)
        self.assertEqual(st, 0)
        self.assertEqual(struct.unpack_from("<Q", data, 0)[0], 192 * 2**20 // 512)
        st, data = self.identify(0x05, 2, csi=2)
        self.assertEqual(st, 0)
        self.assertEqual(struct.unpack_from("<Q", data, 2816)[0], ZONE)
        st, data = self.identify(0x00, 3)  # allocated, inactive: zeros
        self.assertEqual((st, data), (0, bytes(4096)))
        st, data = self.identify(0x11, 3)
        self.assertEqual(st, 0)
        self.assertEqual(struct.unpack_from("<Q", data, 0)[0], 8 * 2**20 // 4096)
        self.assertEqual(self.identify(0x00, 33)[0], SC_INVALID_NS)

    def test_io_per_namespace_and_attach_detach(self):
        self.qt.memwrite(DATA, b"\x11" * 512)
        self.assertEqual(self.nvme.rw(0x01, 0, 1, DATA, nsid=1)[0], 0)
        self.qt.memwrite(DATA, b"\x22" * 512)
        self.assertEqual(self.nvme.rw(0x01, 0, 1, DATA, nsid=2)[0], 0)
        self.assertEqual(self.nvme.rw(0x01, 3, 1, DATA, nsid=2)[0], 0x41BC)  # not at the WP
        for nsid, fill in ((1, 0x11), (2, 0x22)):
            self.qt.memwrite(DATA, bytes(512))
            self.assertEqual(self.nvme.rw(0x02, 0, 1, DATA, nsid=nsid)[0], 0)
            self.assertEqual(self.qt.memread(DATA, 512), bytes([fill]) * 512)
        self.assertEqual(self.nvme.rw(0x02, 0, 1, DATA, nsid=3)[0], SC_INVALID_NS)
        self.assertEqual(self.attach(3, 0), 0)
        self.assertEqual(self.attach(3, 0), SC_NS_ALREADY_ATTACHED)
        self.assertEqual(self.nvme.rw(0x02, 0, 1, DATA, nsid=3)[0], 0)
        self.assertEqual(self.attach(2, 1), 0)
        self.assertEqual(self.attach(2, 1), SC_NS_NOT_ATTACHED)
        self.assertEqual(self.nvme.rw(0x02, 0, 1, DATA, nsid=2)[0], SC_INVALID_NS)
        # Changed Namespace List: 3 then 2.
        st, _ = self.nvme.call(0, 0x02, nsid=0xFFFFFFFF, prp1=DATA, cdw10=0x04 | (1023 << 16))
        self.assertEqual(st, 0)
        self.assertEqual(struct.unpack_from("<3I", self.qt.memread(DATA, 12)), (3, 2, 0))
        # QMP: the same, with errors that say why.
        self.qt.qmp("nvmev-ns-attach", id="nvme0", nsid=2)
        self.assertEqual(self.nvme.rw(0x02, 0, 1, DATA, nsid=2)[0], 0)
        with self.assertRaisesRegex(RuntimeError, "namespace 2 is already attached"):
            self.qt.qmp("nvmev-ns-attach", id="nvme0", nsid=2)
        with self.assertRaisesRegex(RuntimeError, "namespace 9 does not exist"):
            self.qt.qmp("nvmev-ns-detach", id="nvme0", nsid=9)

    def test_query_and_qmp_per_namespace(self):
        info = self.qt.qmp("query-nvmev")[0]
        self.assertEqual(info["kind"], "nvm")  # NSID 1, as before
        ns = {n["nsid"]: n for n in info["namespaces"]}
        self.assertEqual(sorted(ns), [1, 2, 3])
        self.assertEqual((ns[2]["kind"], ns[2]["capacity-bytes"], ns[2]["attached"]),
                         ("zns", 192 * 2**20, True))
        self.assertEqual(ns[2]["zones"]["count"], 4)
        self.assertEqual((ns[3]["kind"], ns[3]["lba-size"], ns[3]["attached"], ns[3]["allocated"]),
                         ("nvm", 4096, False, True))
        self.assertNotIn("zones", ns[3])
        self.qt.qmp("nvmev-set-timing", id="nvme0", nsid=3, **{"read-latency-ns": 4321})
        ns = {n["nsid"]: n for n in self.qt.qmp("query-nvmev")[0]["namespaces"]}
        self.assertEqual(ns[3]["timing"]["read-latency-ns"], 4321)
        self.assertNotEqual(ns[1]["timing"]["read-latency-ns"], 4321)
        self.qt.qmp("nvmev-zone-set-state", id="nvme0", nsid=2, zone=1, state="offline")
        ns = {n["nsid"]: n for n in self.qt.qmp("query-nvmev")[0]["namespaces"]}
        self.assertEqual(ns[2]["zones"]["offline"], 1)
        self.assertEqual(self.nvme.rw(0x02, ZONE, 1, DATA, nsid=2)[0], 0x41BB)
        with self.assertRaisesRegex(RuntimeError, "namespace 1 is ssd=nvm|the device is ssd=nvm"):
            self.qt.qmp("nvmev-zone-set-state", id="nvme0", zone=1, state="offline")


class NamespacePropertyErrorsTest(unittest.TestCase):
    def test_bad_properties_are_named(self):
        cases = [
            ("nvmev-ns,bus=c0,nsid=1,size=8M", "property 'nsid': 1 is out of range"),
            ("nvmev-ns,bus=c0,nsid=33,size=8M", "property 'nsid': 33 is out of range"),
            ("nvmev-ns,bus=c0,ssd=hdd,size=8M", "property 'ssd': unknown kind 'hdd'"),
            ("nvmev-ns,bus=c0,size=8M,lba-size=1000", "property 'lba-size'"),
            ("nvmev-ns,bus=c0,ssd=zns,preset=970pro,size=8M", "property 'preset'"),
        ]
        for dev, msg in cases:
            with self.subTest(dev=dev):
                self.assertIn(msg, startup_error(["-device", dev]))
        err = startup_error(["-device", "nvmev-ns,bus=c0,nsid=3,size=8M",
                             "-device", "nvmev-ns,bus=c0,nsid=3,size=8M"])
        self.assertIn("property 'nsid': namespace 3 already exists", err)
        err = startup_error(["-device", "nvmev-ns,bus=nope,size=8M"])
        self.assertIn("nope", err)

    def test_zns_namespace_persists_in_a_memdev_file(self):
        path = os.path.join(tempfile.mkdtemp(prefix="nvmev-ns-"), "media")
        args = ("-object", f"memory-backend-file,id=m2,mem-path={path},"
                f"size={192 * 2**20 + 8192 + STATE_AREA},share=on",
                "-device", "nvmev-ns,bus=nvme0,nsid=2,ssd=zns,memdev=m2,zone-size=48M")
        for run in range(2):
            qt = QTest("size=8M", args)
            try:
                nvme = Nvme(qt)
                self.assertEqual(nvme.enable(css=6) & 1, 1)
                self.assertEqual(nvme.create_io_queues(), 0)
                if run == 0:
                    qt.memwrite(DATA, b"\x5a" * 4096)
                    self.assertEqual(nvme.rw(0x01, 0, 8, DATA, nsid=2)[0], 0)
                else:
                    qt.memwrite(DATA, bytes(4096))
                    self.assertEqual(nvme.rw(0x02, 0, 8, DATA, nsid=2)[0], 0)
                    self.assertEqual(qt.memread(DATA, 4096), b"\x5a" * 4096)
                    # The write pointer came back too: LBA 8 is next.
                    self.assertEqual(nvme.rw(0x01, 0, 1, DATA, nsid=2)[0], 0x41BC)
                    self.assertEqual(nvme.rw(0x01, 8, 1, DATA, nsid=2)[0], 0)
            finally:
                alive = qt.alive()
                qt.close()
                self.assertTrue(alive, qt.stderr())


if __name__ == "__main__":
    unittest.main()
