"""Device tests for the core's typed trace events (docs/tracing.md): the
events enabled with -trace reach QEMU's log backend with their fields, the
others do not, and guest errors are also logged with -d guest_errors."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qtest_client import QTest  # noqa: E402
from nvme_driver import DATA, Nvme  # noqa: E402

OPC_READ = 0x02
TIMING = ("read-latency-ns=20000,write-latency-ns=20000,"
          "read-bandwidth-mbps=4096,write-bandwidth-mbps=4096")
TRACED = ("nvmev_submit", "nvmev_complete", "nvmev_create_sq", "nvmev_enable",
          "nvmev_err_cmd")


class TraceEventsTest(unittest.TestCase):
    def setUp(self):
        args = ["-d", "guest_errors"]
        for name in TRACED:
            args += ["-trace", name]
        self.qt = QTest(f"size=16M,{TIMING}", tuple(args))
        self.nvme = Nvme(self.qt)
        self.assertEqual(self.nvme.enable() & 1, 1)
        self.assertEqual(self.nvme.create_io_queues(entries=16), 0)

    def tearDown(self):
        alive = self.qt.alive()
        self.qt.close()
        self.assertTrue(alive, "QEMU died:\n" + self.qt.stderr())

    def events(self, name, count=1):
        """The key=value fields of each `name` trace line, once there are
        `count` of them (the log backend writes to stderr)."""
        deadline = time.monotonic() + 5
        while True:
            found = [dict(re.findall(r"(\w+)=(\S+)", ln))
                     for ln in self.qt.stderr().splitlines()
                     if re.search(rf"\b{name} nvme0 ", ln)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def test_read_submit_and_complete(self):
        st, _ = self.nvme.rw(OPC_READ, slba=3, nlb=1, prp1=DATA)
        self.assertEqual(st, 0)
        cid = self.nvme.cid
        subs = [e for e in self.events("nvmev_submit", 1) if e["sqid"] == "1"]
        self.assertEqual(len(subs), 1, self.qt.stderr())
        s = subs[0]
        # Fetched at `at`; an isolated 512 B read takes the latency less
        # the 4 KiB transfer it includes, plus its own (docs/models.md):
        # 20000 - 1000 + 125 ns at 4096 MB/s.
        self.assertEqual(int(s["due"]) - int(s["at"]), 19125)
        self.assertEqual((s["cid"], s["opc"], s["nsid"], s["slba"], s["nlb"]),
                         (str(cid), "0x02", "1", "3", "1"))
        comps = [e for e in self.events("nvmev_complete", 1) if e["sqid"] == "1"]
        self.assertEqual(len(comps), 1, self.qt.stderr())
        c = comps[0]
        self.assertEqual((c["cid"], c["status"], c["due"]),
                         (str(cid), "0x0000", s["due"]))
        # The driver steps the clock 1 us at a time: at most that late.
        self.assertLessEqual(int(c["late_ns"]), 1000)

    def test_queue_and_enable_events(self):
        sq = self.events("nvmev_create_sq")
        self.assertEqual(len(sq), 1, self.qt.stderr())
        self.assertEqual((sq[0]["sqid"], sq[0]["size"], sq[0]["cqid"]),
                         ("1", "16", "1"))
        self.assertEqual(len(self.events("nvmev_enable")), 1)
        # Not enabled: not traced; and the old catch-all event is gone.
        err = self.qt.stderr()
        self.assertNotIn("nvmev_create_cq", err)
        self.assertNotIn("nvmev_core", err)

    def test_guest_error_is_traced_and_logged(self):
        # 16 MiB of 512 B blocks: LBA 1 << 20 is past the end.
        st, _ = self.nvme.rw(OPC_READ, slba=1 << 20, nlb=1, prp1=DATA)
        self.assertEqual(st, 0x4080)  # LBA Out of Range, DNR
        errs = self.events("nvmev_err_cmd")
        self.assertEqual(len(errs), 1, self.qt.stderr())
        self.assertEqual((errs[0]["sqid"], errs[0]["opc"], errs[0]["status"]),
                         ("1", "0x02", "0x4080"))
        logged = [ln for ln in self.qt.stderr().splitlines()
                  if ln.startswith("nvmev nvme0: nvmev_err_cmd")]
        self.assertEqual(len(logged), 1, self.qt.stderr())


if __name__ == "__main__":
    unittest.main()
